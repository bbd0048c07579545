"""The partner webhooks' stored events become valid public contracts, and only those
that are public."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from chorus.contracts import contract_for
from chorus.publishing import to_public
from chorus.repository import EventCodec
from chorus.store.eventstore import RecordedEvent
from notifications.webhooks.domain.delivery import (
    DELIVERY_EVENTS,
    WebhookAttemptFailed,
    WebhookDelivered,
)
from notifications.webhooks.domain.subscription import SUBSCRIPTION_EVENTS, Subscription
from notifications.webhooks.messaging import MAPPINGS

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
CODEC = EventCodec((*SUBSCRIPTION_EVENTS, *DELIVERY_EVENTS))
PUBLIC = to_public(MAPPINGS)


def published(event: Any) -> tuple[str, Any] | None:
    new = CODEC.encode(event)
    recorded = RecordedEvent(1, new.event_id, "stream", "kind", 1, new.event_type, new.data,
                             {}, NOW)
    result = PUBLIC(recorded)
    if result is None:
        return None
    event_type, data = result
    contract_for(event_type).model_validate(data)
    return event_type, data


def attempt() -> dict[str, Any]:
    return {"delivery_id": uuid4(), "subscription_id": uuid4(), "network_id": uuid4(),
            "event_id": str(uuid4()), "delivered_type": "chorus.feedback.ChangeMade.v1",
            "attempt": 3, "status_code": 500, "latency_ms": 12}


def test_each_attempt_is_published_as_delivery_succeeded_or_failed() -> None:
    given_up = published(WebhookAttemptFailed(**attempt(), reason="HTTP 500",
                                              next_attempt_at=None, failed_at=NOW))
    assert given_up is not None
    event_type, data = given_up
    assert event_type == "chorus.notifications.DeliveryFailed.v1"
    assert data["next_attempt_at"] is None and data["channel"] == "webhook"
    assert data["participant_id"] is None
    succeeded = published(WebhookDelivered(**attempt() | {"status_code": 200},
                                           delivered_at=NOW))
    assert succeeded is not None and succeeded[0] == "chorus.notifications.DeliverySucceeded.v1"


def test_a_subscription_publishes_only_that_its_endpoint_was_disabled() -> None:
    from chorus.contracts.vocabulary import DisabledBecause

    subscription = Subscription.create(
        uuid4(), organisation_id=uuid4(), network_id=uuid4(),
        url="https://partner.example/hooks", event_types=("*",), description="ours",
        sealed_secret="enc:v1:sealed", by="staff", now=NOW)
    subscription.disable(DisabledBecause.FAILING, "HTTP 500", NOW)
    created, disabled = (published(e) for e in subscription.pending)
    assert created is None
    assert disabled is not None
    assert disabled[0] == "chorus.notifications.EndpointDisabled.v1"
    assert "enc:v1" not in str(disabled[1]) and "partner.example" not in str(disabled[1])
