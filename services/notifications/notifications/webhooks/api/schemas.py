"""The shapes the partner webhooks' API takes and gives."""

from datetime import UTC, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chorus.contracts.vocabulary import DisabledBecause
from notifications.webhooks.application.deliveries import AttemptView, DeliveryView
from notifications.webhooks.application.event_types import MAX_EVENT_TYPES
from notifications.webhooks.application.subscriptions import SubscriptionView, WithSecret
from notifications.webhooks.domain.delivery import DeliveryStatus
from notifications.webhooks.domain.patterns import MAX_LENGTH
from notifications.webhooks.domain.subscription import MAX_OVERLAP, SubscriptionStatus

DAY = 24 * 3600


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


def _printable(text: str | None) -> str | None:
    if text is not None and not text.isprintable():
        raise ValueError("only printable characters, on one line")
    return text


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A time with its zone, as UTC."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionIn(Strict):
    url: str = Field(min_length=1, max_length=2000, examples=["https://partner.example/hooks"],
                     description="Where to send deliveries: https (http only to this machine "
                     "in development); never a private, loopback, link-local or metadata "
                     "address.")
    event_types: list[str] = Field(
        min_length=1, max_length=MAX_EVENT_TYPES,
        examples=[["chorus.feedback.ChangeMade.v1", "chorus.registry.*"]],
        description="Event types, exactly (`chorus.feedback.ChangeMade.v1`) or with `*` "
        "standing for whole dotted parts (`chorus.feedback.*`, `*.ChangeMade.*`, `*`): "
        "registry, opportunities and feedback events.")
    network_id: UUID | None = Field(
        default=None, description="The network whose events to receive: the organisation's "
        "own (the default).")
    organisation_id: UUID | None = Field(
        default=None, description="The subscribing organisation: yours if you are its "
        "staff; a network admin names it.")
    description: Annotated[str | None, AfterValidator(_printable)] = Field(
        default=None, max_length=200, description="What it is for, for your own staff.")

    @model_validator(mode="after")
    def _short_types(self) -> Self:
        for event_type in self.event_types:
            if not 1 <= len(event_type) <= MAX_LENGTH:
                raise ValueError(f"an event type is 1 to {MAX_LENGTH} characters")
        return self


class DisabledOut(BaseModel):
    because: DisabledBecause = Field(description="'gone': the endpoint answered 410; "
                                     "'failing': it kept failing for five days.")
    detail: str | None = Field(description="The last attempt's reason.")
    disabled_at: datetime


class SubscriptionOut(BaseModel):
    subscription_id: UUID
    organisation_id: UUID
    network_id: UUID
    url: str
    event_types: list[str]
    description: str | None
    status: SubscriptionStatus = Field(description="'active', or 'disabled' (see `disabled`).")
    disabled: DisabledOut | None = Field(description="Why and when it was disabled.")
    failing_since: datetime | None = Field(
        description="Since when its deliveries have failed with no success; null while "
        "they succeed.")
    previous_secret_valid_until: datetime | None = Field(
        description="After a rotation: until when the old secret signs beside the new one.")
    created_at: datetime
    organisation_told_at: datetime | None = Field(
        description="Once disabled: when the organisation's contact address "
        "was e-mailed about it (null until then, or if it could not be).")
    organisation_not_told_because: str | None = Field(
        description="Once disabled: why the organisation could not be e-mailed "
        "about it (e.g. it has no contact address); it is not tried again.")

    @classmethod
    def of(cls, view: SubscriptionView) -> Self:
        disabled = None
        if view.disabled_because is not None and view.disabled_at is not None:
            disabled = DisabledOut(because=view.disabled_because, detail=view.disabled_detail,
                                   disabled_at=view.disabled_at)
        return cls(
            subscription_id=view.subscription_id, organisation_id=view.organisation_id,
            network_id=view.network_id, url=view.url, event_types=list(view.event_types),
            description=view.description, status=view.status, disabled=disabled,
            failing_since=view.failing_since,
            previous_secret_valid_until=view.previous_secret_valid_until,
            created_at=view.created_at, organisation_told_at=view.organisation_told_at,
            organisation_not_told_because=view.organisation_not_told_because)


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(description="The signing secret (`whsec_...`). Shown this once: keep "
                        "it to verify the `webhook-signature` of each delivery.")

    @classmethod
    def with_secret(cls, created: WithSecret) -> Self:
        return cls(**SubscriptionOut.of(created.subscription).model_dump(),
                   secret=created.secret)


class SubscriptionPage(BaseModel):
    total: int
    items: list[SubscriptionOut]


class RotationIn(Strict):
    overlap_seconds: int = Field(
        default=DAY, strict=True, ge=0, le=int(MAX_OVERLAP.total_seconds()),
        description="How long the old secret keeps signing beside the new one (both "
        "signatures are sent), so receivers can switch without missing a delivery.")


class RotatedOut(BaseModel):
    subscription_id: UUID
    secret: str = Field(description="The new signing secret. Shown this once.")
    previous_secret_valid_until: datetime


class ReplayIn(Strict):
    delivery_id: UUID | None = Field(default=None, description="Send this delivery again.")
    since: Moment | None = Field(
        default=None, description="Send every delivery since this time again (not in the "
        "future).")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.delivery_id is None) == (self.since is None):
            raise ValueError("give either delivery_id or since")
        return self


class EnabledOut(BaseModel):
    subscription: SubscriptionOut
    resumed: int = Field(description="How many deliveries it missed are now due, in order.")


class ReplayOut(BaseModel):
    replayed: int = Field(description="How many deliveries were queued to be sent again, "
                          "each with its webhook-id unchanged.")


class AttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    reason: str | None

    @classmethod
    def of(cls, view: AttemptView) -> Self:
        return cls(attempt=view.attempt, attempted_at=view.attempted_at,
                   succeeded=view.succeeded, status_code=view.status_code,
                   latency_ms=view.latency_ms, reason=view.reason)


class DeliveryOut(BaseModel):
    delivery_id: UUID = Field(description="Also the `webhook-id` of every attempt.")
    subscription_id: UUID
    event_id: str
    event_type: str
    subject: str = Field(description="The aggregate the event is about.")
    status: DeliveryStatus
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, view: DeliveryView) -> Self:
        return cls(delivery_id=view.delivery_id, subscription_id=view.subscription_id,
                   event_id=view.event_id, event_type=view.event_type, subject=view.subject,
                   status=view.status, attempts=[AttemptOut.of(a) for a in view.attempts],
                   next_attempt_at=view.next_attempt_at, created_at=view.created_at)


class DeliveryPage(BaseModel):
    total: int
    items: list[DeliveryOut]
