"""The partner webhooks' pure rules: event type patterns, the retry schedule with jitter,
the ordering of deliveries, what an attempt came to, secrets during a rotation, and the
signature a receiver verifies."""

import base64
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from standardwebhooks import Webhook

from chorus.contracts.vocabulary import DisabledBecause
from chorus.errors import Conflict, DomainRuleBroken
from notifications.webhooks.application.event_types import checked_event_types, offered
from notifications.webhooks.domain.delivery import (
    Outcome,
    Queued,
    RetrySchedule,
    failing_too_long,
    jittered,
    next_in_line,
)
from notifications.webhooks.domain.patterns import EventPattern, MalformedPattern
from notifications.webhooks.domain.subscription import (
    Secrets,
    Subscription,
    SubscriptionStatus,
)
from notifications.webhooks.signing import new_secret, signed_headers

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
CHANGE = "chorus.feedback.ChangeMade.v1"


@pytest.mark.parametrize(("pattern", "event_type", "matches"), [
    (CHANGE, CHANGE, True),
    (CHANGE, "chorus.feedback.ChangeMade.v2", False),
    ("chorus.feedback.*", CHANGE, True),
    ("chorus.feedback.*", "chorus.registry.NetworkCreated.v1", False),
    ("*.ChangeMade.*", CHANGE, True),
    ("*.ChangeMade.*", "chorus.feedback.ChangeStatusChanged.v1", False),
    ("*", CHANGE, True),
    ("chorus.*.v1", CHANGE, True),
    ("chorus.feedback", CHANGE, False),
    ("chorus.feedback.ChangeMade.v1.*", CHANGE, False),
])
def test_a_star_stands_for_one_or_more_whole_parts(pattern: str, event_type: str,
                                                   matches: bool) -> None:
    assert EventPattern.parse(pattern).matches(event_type) is matches


@pytest.mark.parametrize("pattern", ["", "chorus.feed*", "chorus..ChangeMade", "chorus.[a]",
                                     "x" * 201, "chorus.feedback.?"])
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(MalformedPattern):
        EventPattern.parse(pattern)


def test_partners_may_ask_for_registry_opportunities_and_feedback_events_only() -> None:
    assert CHANGE in offered()
    assert not [t for t in offered() if t.startswith("chorus.notifications.")]
    assert checked_event_types([CHANGE, "chorus.registry.*", CHANGE]) == (
        CHANGE, "chorus.registry.*")
    for wrong, named in [("chorus.feedback.Nope.v1", "not a published"),
                         ("chorus.notifications.*", "matches no event"),
                         ("chorus.notifications.EndpointDisabled.v1", "own"),
                         ("chorus.feed*", "lone '*'")]:
        with pytest.raises(DomainRuleBroken, match=named) as refused:
            checked_event_types([CHANGE, wrong])
        assert wrong in str(refused.value)


def test_the_schedule_waits_as_configured_give_or_take_a_tenth() -> None:
    schedule = RetrySchedule((0.0, 5.0, 300.0))
    assert schedule.first_attempt_at(NOW, lambda: 0.99) == NOW
    low, high = (schedule.next_attempt_at(1, NOW, r) for r in (lambda: 0.0, lambda: 0.999999))
    assert low is not None and high is not None
    assert low == NOW + timedelta(seconds=4.5)
    assert NOW + timedelta(seconds=5.49) < high <= NOW + timedelta(seconds=5.5)
    assert schedule.next_attempt_at(2, NOW, lambda: 0.5) == NOW + timedelta(seconds=300)
    assert schedule.next_attempt_at(3, NOW, lambda: 0.5) is None  # spent: given up
    assert jittered(0.0, lambda: 0.0) == 0.0
    for tenth in range(10):
        assert 0.9 <= jittered(1.0, (tenth / 10).__float__) <= 1.1
    with pytest.raises(ValueError):
        RetrySchedule(())
    with pytest.raises(ValueError):
        RetrySchedule((0.0, -1.0))


def test_only_the_first_pending_delivery_of_a_subscription_and_aggregate_goes() -> None:
    a, b = uuid4(), uuid4()
    due, later = NOW - timedelta(seconds=1), NOW + timedelta(minutes=5)
    waiting = Queued(1, a, "person-1", later)  # retrying in five minutes
    blocked = Queued(2, a, "person-1", due)
    other_aggregate = Queued(3, a, "person-2", due)
    other_subscription = Queued(4, b, "person-1", due)
    sending = Queued(5, b, "person-3", due, in_flight=True)
    behind_sending = Queued(6, b, "person-3", due)
    pending = [behind_sending, blocked, sending, other_subscription, other_aggregate, waiting]
    assert next_in_line(pending, NOW) == [other_aggregate, other_subscription]
    assert next_in_line([blocked, other_aggregate], NOW) == [blocked, other_aggregate]


@pytest.mark.parametrize(("outcome", "succeeded", "gone", "reason"), [
    (Outcome(200, 5), True, False, None),
    (Outcome(204, 5), True, False, None),
    (Outcome(302, 5), False, False, "HTTP 302 (redirects are not followed)"),
    (Outcome(410, 5), False, True, "HTTP 410"),
    (Outcome(500, 5), False, False, "HTTP 500"),
    (Outcome(None, 15000, "timed out after 15 s"), False, False, "timed out after 15 s"),
])
def test_only_a_2xx_is_a_success(outcome: Outcome, succeeded: bool, gone: bool,
                                 reason: str | None) -> None:
    assert outcome.succeeded is succeeded and outcome.gone is gone
    if reason is not None:
        assert outcome.reason == reason
    assert len(Outcome(None, 1, "x" * 500).reason) == 200


def test_an_endpoint_failing_for_five_days_is_too_long() -> None:
    five_days = timedelta(days=5)
    assert not failing_too_long(None, NOW, five_days)
    assert not failing_too_long(NOW - timedelta(days=4, hours=23), NOW, five_days)
    assert failing_too_long(NOW - five_days, NOW, five_days)


def _subscription() -> Subscription:
    return Subscription.create(uuid4(), organisation_id=uuid4(), network_id=uuid4(),
                               url="https://partner.example/hooks", event_types=(CHANGE,),
                               description=None, sealed_secret="sealed-1", by="staff",
                               now=NOW)


def test_after_a_rotation_the_old_secret_signs_until_the_overlap_ends() -> None:
    subscription = _subscription()
    subscription.rotate_secret("sealed-2", timedelta(hours=1), "staff", NOW)
    assert subscription.secrets.signing_at(NOW) == ("sealed-2", "sealed-1")
    assert subscription.secrets.signing_at(NOW + timedelta(hours=1)) == ("sealed-2",)
    subscription.rotate_secret("sealed-3", timedelta(0), "staff", NOW)
    assert subscription.secrets.signing_at(NOW) == ("sealed-3",)
    with pytest.raises(DomainRuleBroken):
        subscription.rotate_secret("sealed-4", timedelta(days=8), "staff", NOW)
    assert Secrets("a").signing_at(NOW) == ("a",)


def test_a_subscription_is_disabled_once_and_deleted_once() -> None:
    subscription = _subscription()
    subscription.disable(DisabledBecause.GONE, "HTTP 410", NOW)
    assert subscription.status == SubscriptionStatus.DISABLED
    with pytest.raises(Conflict):
        subscription.disable(DisabledBecause.FAILING, "HTTP 500", NOW)
    subscription.delete("staff", NOW)
    with pytest.raises(Conflict):
        subscription.delete("staff", NOW)
    with pytest.raises(Conflict):
        subscription.rotate_secret("sealed-2", timedelta(hours=1), "staff", NOW)
    names = [e.stored_name for e in subscription.pending]
    assert names == ["SubscriptionCreated", "EndpointDisabled", "SubscriptionDeleted"]
    rebuilt = Subscription.rebuild(subscription.id, subscription.pending)
    assert rebuilt.status == SubscriptionStatus.DELETED and rebuilt.disabled is not None


def test_a_delivery_is_signed_per_standard_webhooks_by_every_secret_that_signs() -> None:
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_") and len(base64.b64decode(old[6:])) == 32
    webhook_id, body, now = str(UUID(int=7)), '{"specversion":"1.0"}', datetime.now(UTC)
    headers = signed_headers(webhook_id, body, [new, old], now)
    assert headers["webhook-id"] == webhook_id
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["content-type"] == "application/cloudevents+json"
    assert all(part.startswith("v1,") for part in headers["webhook-signature"].split(" "))
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"specversion": "1.0"}
    only_new = signed_headers(webhook_id, body, [new], now)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old).verify(body, only_new)
