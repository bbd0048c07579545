"""A partner organisation's webhook subscription: where to send which of its network's
events, signed with a secret that can be rotated with an overlap.

The secret itself never appears here: events carry it sealed (encrypted under the
subscription's own key), and only the signer opens it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from chorus.contracts.vocabulary import DisabledBecause
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import Conflict, DomainRuleBroken

MAX_OVERLAP = timedelta(days=7)


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # the endpoint said it is gone, or kept failing
    DELETED = "deleted"  # its organisation stopped it


@dataclass(frozen=True, kw_only=True)
class SubscriptionEvent(DomainEvent):
    subscription_id: UUID
    organisation_id: UUID
    network_id: UUID


@dataclass(frozen=True, kw_only=True)
class SubscriptionCreated(SubscriptionEvent):
    url: str
    event_types: tuple[str, ...]
    description: str | None
    sealed_secret: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class SubscriptionSecretRotated(SubscriptionEvent):
    sealed_secret: str
    previous_valid_until: datetime  # the old secret signs alongside the new one until then
    rotated_by: str
    rotated_at: datetime


@dataclass(frozen=True, kw_only=True)
class EndpointDisabled(SubscriptionEvent):
    because: DisabledBecause
    detail: str
    disabled_at: datetime


@dataclass(frozen=True, kw_only=True)
class EndpointEnabled(SubscriptionEvent):
    enabled_by: str
    enabled_at: datetime


@dataclass(frozen=True, kw_only=True)
class SubscriptionDeleted(SubscriptionEvent):
    deleted_by: str
    deleted_at: datetime


@dataclass(frozen=True)
class Secrets:
    """The sealed secrets that sign now: the current one, and the one it replaced while the
    overlap lasts."""

    current: str
    previous: str | None = None
    previous_valid_until: datetime | None = None

    def signing_at(self, now: datetime) -> tuple[str, ...]:
        if self.previous is None or self.previous_valid_until is None:
            return (self.current,)
        return (self.current, self.previous) if now < self.previous_valid_until else (
            self.current,)


class Subscription(Aggregate):
    stream_type = "webhook_subscription"

    created: SubscriptionCreated
    secrets: Secrets
    status: SubscriptionStatus
    disabled: EndpointDisabled | None

    @classmethod
    def create(cls, subscription_id: UUID, *, organisation_id: UUID, network_id: UUID,
               url: str, event_types: tuple[str, ...], description: str | None,
               sealed_secret: str, by: str, now: datetime) -> "Subscription":
        if not event_types:
            raise DomainRuleBroken("a subscription asks for at least one event type")
        subscription = cls(str(subscription_id))
        subscription.record(SubscriptionCreated(
            subscription_id=subscription_id, organisation_id=organisation_id,
            network_id=network_id, url=url, event_types=event_types, description=description,
            sealed_secret=sealed_secret, created_by=by, created_at=now))
        return subscription

    @property
    def organisation_id(self) -> UUID:
        return self.created.organisation_id

    @property
    def network_id(self) -> UUID:
        return self.created.network_id

    def rotate_secret(self, sealed_secret: str, overlap: timedelta, by: str,
                      now: datetime) -> SubscriptionSecretRotated:
        self._not_deleted()
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise DomainRuleBroken(f"the overlap is between 0 and {MAX_OVERLAP.days} days")
        rotated = SubscriptionSecretRotated(
            **self._ids(), sealed_secret=sealed_secret, previous_valid_until=now + overlap,
            rotated_by=by, rotated_at=now)
        self.record(rotated)
        return rotated

    def disable(self, because: DisabledBecause, detail: str, now: datetime) -> None:
        if self.status != SubscriptionStatus.ACTIVE:
            raise Conflict(f"the subscription is {self.status}, not active")
        self.record(EndpointDisabled(**self._ids(), because=because, detail=detail,
                                     disabled_at=now))

    def enable(self, by: str, now: datetime) -> None:
        """The organisation says its endpoint is back: sending resumes."""
        if self.status != SubscriptionStatus.DISABLED:
            raise Conflict(f"the subscription is {self.status}, not disabled")
        self.record(EndpointEnabled(**self._ids(), enabled_by=by, enabled_at=now))

    def delete(self, by: str, now: datetime) -> None:
        self._not_deleted()
        self.record(SubscriptionDeleted(**self._ids(), deleted_by=by, deleted_at=now))

    def _not_deleted(self) -> None:
        if self.status == SubscriptionStatus.DELETED:
            raise Conflict("the subscription was deleted")

    def _ids(self) -> dict[str, Any]:
        c = self.created
        return {"subscription_id": c.subscription_id, "organisation_id": c.organisation_id,
                "network_id": c.network_id}

    def apply(self, event: DomainEvent) -> None:
        match event:
            case SubscriptionCreated():
                self.created, self.secrets = event, Secrets(event.sealed_secret)
                self.status, self.disabled = SubscriptionStatus.ACTIVE, None
            case SubscriptionSecretRotated():
                self.secrets = Secrets(event.sealed_secret, self.secrets.current,
                                       event.previous_valid_until)
            case EndpointDisabled():
                self.status, self.disabled = SubscriptionStatus.DISABLED, event
            case EndpointEnabled():
                self.status, self.disabled = SubscriptionStatus.ACTIVE, None
            case SubscriptionDeleted():
                self.status = SubscriptionStatus.DELETED


SUBSCRIPTION_EVENTS: tuple[type[DomainEvent], ...] = (
    SubscriptionCreated, SubscriptionSecretRotated, EndpointDisabled, EndpointEnabled,
    SubscriptionDeleted)
