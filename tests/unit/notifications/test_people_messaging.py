"""The people half's stored events become the public delivery contracts, and nothing about
what a person was told (the kind of notice) goes with them."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from chorus.contracts.vocabulary import Frequency
from chorus.domain import DomainEvent
from chorus.publishing import to_public
from chorus.repository import EventCodec
from chorus.store.eventstore import RecordedEvent
from notifications.people.domain import events as e
from notifications.people.messaging import MAPPINGS

NOW = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
ABOUT: dict[str, Any] = {
    "delivery_id": uuid4(), "network_id": uuid4(), "participant_id": uuid4(),
    "kind": "change_made", "event_id": "0b6c5c0e", "attempt": 2,
    "delivered_type": "chorus.feedback.ChangeMade.v1"}


def published(event: DomainEvent) -> tuple[str, Mapping[str, Any]]:
    new = EventCodec(e.EVENT_TYPES).encode(event)
    recorded = RecordedEvent(1, new.event_id, "stream", e.STREAM_TYPE, 1, new.event_type,
                             new.data, {}, NOW)
    public = to_public(MAPPINGS)(recorded)
    assert public is not None
    return public


def test_an_email_sent_is_a_delivery_that_succeeded() -> None:
    kind, data = published(e.ParticipantEmailed(**ABOUT, latency_ms=40, delivered_at=NOW))
    assert kind == "chorus.notifications.DeliverySucceeded.v1"
    assert data["channel"] == "email" and data["subscription_id"] is None
    assert data["participant_id"] == str(ABOUT["participant_id"]) and data["attempt"] == 2
    assert "kind" not in data and data["status_code"] is None


def test_an_email_that_failed_says_whether_it_is_tried_again() -> None:
    again = NOW + timedelta(minutes=5)
    kind, data = published(e.ParticipantEmailFailed(
        **ABOUT, reason="mail server answered 451", latency_ms=12, next_attempt_at=again,
        failed_at=NOW))
    assert kind == "chorus.notifications.DeliveryFailed.v1"
    assert data["reason"] == "mail server answered 451"
    assert data["next_attempt_at"] == "2024-05-14T09:35:00Z"
    _, given_up = published(e.ParticipantEmailFailed(
        **ABOUT, reason="recipient refused (550)", latency_ms=12, next_attempt_at=None,
        failed_at=NOW))
    assert given_up["next_attempt_at"] is None


def test_a_digest_sent_is_published() -> None:
    kind, data = published(e.ParticipantDigestEmailed(
        digest_id=uuid4(), participant_id=uuid4(), network_id=uuid4(),
        frequency=Frequency.WEEKLY, notices=3, sent_at=NOW))
    assert kind == "chorus.notifications.DigestSent.v1"
    assert data["frequency"] == "weekly" and data["notices"] == 3 and data["channel"] == "email"
