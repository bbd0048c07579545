"""Public events of the notifications service: what reached partners and people, and what
did not.

A person appears only by participant id; what they were told, and where, stays in the
service. An error is a short technical reason (a status code, a timeout), never a body a
partner's server sent back.
"""

from uuid import UUID

from pydantic import AwareDatetime, Field

from chorus.contracts.base import Contract
from chorus.contracts.vocabulary import DeliveryChannel, DisabledBecause, Frequency

REASON = 200


class _AboutDelivery(Contract):
    delivery_id: UUID = Field(description="The delivery; the subject of its events. For a "
                              "webhook it is the `webhook-id` the partner saw.")
    network_id: UUID = Field(description="The network it belongs to.")
    channel: DeliveryChannel = Field(description="How it was sent.")
    subscription_id: UUID | None = Field(
        description="For a webhook: the partner's subscription; else null.")
    participant_id: UUID | None = Field(
        description="For a person: the participant told; else null.")
    event_id: str | None = Field(max_length=200, description=(
        "The id of the event it delivered or told about; null for a digest or a sign-in "
        "code."))
    delivered_type: str | None = Field(max_length=200, description="That event's type.")
    attempt: int = Field(ge=1, le=100, description="Which attempt this was (1 = the first).")


class DeliverySucceeded(_AboutDelivery, service="notifications", version=1):
    """A delivery arrived: a partner's endpoint answered 2xx, or the mail server took it."""

    status_code: int | None = Field(ge=100, le=599,
                                    description="The webhook endpoint's status; null for e-mail.")
    latency_ms: int = Field(ge=0, description="How long the attempt took, in milliseconds.")
    delivered_at: AwareDatetime = Field(description="When it arrived.")


class DeliveryFailed(_AboutDelivery, service="notifications", version=1):
    """An attempt failed. `next_attempt_at` says when it is tried again; null means it was
    given up (the schedule ran out, or the endpoint was disabled)."""

    status_code: int | None = Field(ge=100, le=599,
                                    description="The endpoint's status, if it answered.")
    reason: str = Field(min_length=1, max_length=REASON,
                        description="Why, in a few words: 'HTTP 500', 'timed out after 15 s'.")
    latency_ms: int = Field(ge=0, description="How long the attempt took, in milliseconds.")
    next_attempt_at: AwareDatetime | None = Field(description="When it is tried again.")
    failed_at: AwareDatetime = Field(description="When it failed.")


class EndpointDisabled(Contract, service="notifications", version=1):
    """A partner's webhook subscription stopped receiving; its organisation was told."""

    subscription_id: UUID = Field(description="The subscription; the subject of its events.")
    organisation_id: UUID = Field(description="The partner organisation it belongs to.")
    network_id: UUID = Field(description="Its network.")
    because: DisabledBecause = Field(description="Why it was disabled.")
    disabled_at: AwareDatetime = Field(description="When it was disabled.")


class DigestSent(Contract, service="notifications", version=1):
    """A participant's daily or weekly digest went out: one per person across every
    organisation of their network."""

    digest_id: UUID = Field(description="The digest; the subject of its events.")
    participant_id: UUID = Field(description="Who it went to.")
    network_id: UUID = Field(description="Their network.")
    frequency: Frequency = Field(description="Daily or weekly.")
    notices: int = Field(ge=1, description="How many notices it gathered.")
    channel: DeliveryChannel = Field(description="How it was sent.")
    sent_at: AwareDatetime = Field(description="When it went.")
