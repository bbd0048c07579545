"""Partner webhooks end to end: a real receiver on 127.0.0.1 verifies every delivery's
signature and sees its network's events, in order per aggregate, and nothing of another
network's; retries, disabling on 410, replay, a hanging endpoint beside a healthy one, and
secret rotation."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.services.notifications.webhook_support import (
    Reply,
    WebhookRegion,
    eventually,
    webhook_region,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[WebhookRegion]:
    async with webhook_region(tmp_path, monkeypatch) as region:
        yield region


async def test_a_subscription_gets_its_networks_events_signed_and_in_order(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    endpoint = region.receiver.endpoint("partner")
    subscription = await region.subscribe(staff, endpoint, "chorus.registry.*",
                                          "*.ConsultationOpened.*")
    assert subscription["status"] == "active"
    assert subscription["network_id"] == region.network_id

    elsewhere = await region.registry.network("South Example")
    await region.registry.organisation(elsewhere, "Southern Carers")
    person, signed_in = await region.person()
    for step in ("pause", "resume"):
        body = {"until": "2999-01-01"} if step == "pause" else None
        answer = await region.registry.http.post(f"/v1/participants/{person}/{step}",
                                                 json=body, headers=signed_in)
        assert answer.status_code == 200, answer.text
    await region.open(staff)

    wanted = {"chorus.registry.ParticipantJoined.v1", "chorus.registry.ParticipantPaused.v1",
              "chorus.registry.ParticipantResumed.v1", "chorus.feedback.ConsultationOpened.v1"}
    await eventually(lambda: wanted <= set(endpoint.types()), what="every event arriving")
    assert all(r.verified_by == (0,) for r in endpoint.requests)
    received = endpoint.events()
    assert {e["data"]["network_id"] for e in received} == {region.network_id}
    assert {e["type"] for e in received} <= wanted | {
        "chorus.registry.OrganisationJoined.v1", "chorus.registry.ProfileUpdated.v1",
        "chorus.registry.ConsentChanged.v1"}
    assert elsewhere not in {e["subject"] for e in received}
    about_person = [e for e in received if e["subject"] == person]
    sequences = [int(e["sequence"]) for e in about_person]
    assert sequences == sorted(sequences) and len(sequences) >= 3
    for request in endpoint.unique:
        assert request.headers["content-type"] == "application/cloudevents+json"
        assert request.event["specversion"] == "1.0"
        assert request.headers["webhook-signature"].startswith("v1,")

    async def all_delivered() -> bool:
        log = await region.deliveries(staff, subscription["subscription_id"])
        return all(d["status"] == "delivered" for d in log)

    await eventually(all_delivered, what="every attempt being recorded")
    log = await region.deliveries(staff, subscription["subscription_id"])
    assert {d["delivery_id"] for d in log} == {r.webhook_id for r in endpoint.unique}
    first = log[-1]["attempts"][0]
    assert first["status_code"] == 200 and first["succeeded"] and first["latency_ms"] >= 0
    published = await region.published()
    succeeded = [p["data"] for p in published
                 if p["type"] == "chorus.notifications.DeliverySucceeded.v1"]
    assert {p["delivery_id"] for p in succeeded} == {d["delivery_id"] for d in log}
    assert all(p["channel"] == "webhook" and p["participant_id"] is None for p in succeeded)


async def test_a_delivery_is_retried_after_500_500_and_then_arrives(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    flaky, broken = region.receiver.endpoint("flaky"), region.receiver.endpoint("broken")
    flaky.answer(Reply(500), Reply(500))
    broken.answer(then=Reply(503))
    joined = "chorus.registry.ParticipantJoined.v1"
    kept = await region.subscribe(staff, flaky, joined)
    lost = await region.subscribe(staff, broken, joined)
    await region.person()

    await eventually(lambda: len(flaky.requests) == 3 and len(broken.requests) == 3,
                     what="three attempts at each")
    assert len({r.webhook_id for r in flaky.requests}) == 1
    assert all(r.verified_by == (0,) for r in flaky.requests + broken.requests)

    async def settled() -> bool:
        logs = [await region.deliveries(staff, s["subscription_id"]) for s in (kept, lost)]
        return [log[0]["status"] for log in logs] == ["delivered", "failed"]

    await eventually(settled, what="the deliveries settling")
    [delivered] = await region.deliveries(staff, kept["subscription_id"])
    assert [a["status_code"] for a in delivered["attempts"]] == [500, 500, 200]
    assert [a["reason"] for a in delivered["attempts"]] == ["HTTP 500", "HTTP 500", None]
    [failed] = await region.deliveries(staff, lost["subscription_id"])
    assert failed["next_attempt_at"] is None and len(failed["attempts"]) == 3
    attempts = await region.stored("WebhookAttemptFailed", "WebhookDelivered")
    mine = [a for a in attempts if a["delivery_id"] == delivered["delivery_id"]]
    assert [a["type"] for a in mine] == ["WebhookAttemptFailed"] * 2 + ["WebhookDelivered"]
    assert all(a["next_attempt_at"] is not None for a in mine[:2])
    given_up = [a for a in attempts if a["delivery_id"] == failed["delivery_id"]][-1]
    assert given_up["next_attempt_at"] is None and given_up["reason"] == "HTTP 503"
    public = [p["data"] for p in await region.published()
              if p["type"] == "chorus.notifications.DeliveryFailed.v1"
              and p["data"]["delivery_id"] == failed["delivery_id"]]
    assert [p["attempt"] for p in public] == [1, 2, 3] and public[-1]["next_attempt_at"] is None
    subscription = (await region.notifications.get(
        f"/v1/subscriptions/{lost['subscription_id']}", headers=staff)).json()
    assert subscription["status"] == "active" and subscription["failing_since"] is not None


async def test_an_endpoint_that_answers_410_is_disabled(region: WebhookRegion) -> None:
    trust, staff = await region.organisation()
    gone = region.receiver.endpoint("gone")
    gone.answer(then=Reply(410))
    subscription = await region.subscribe(staff, gone, "chorus.registry.ParticipantJoined.v1")
    subscription_id = subscription["subscription_id"]
    await region.person()

    async def disabled() -> bool:
        answer = await region.notifications.get(f"/v1/subscriptions/{subscription_id}",
                                                headers=staff)
        return bool(answer.json()["status"] == "disabled")

    await eventually(disabled, what="the subscription being disabled")
    shown = (await region.notifications.get(f"/v1/subscriptions/{subscription_id}",
                                            headers=staff)).json()
    assert shown["disabled"]["because"] == "gone"
    assert shown["disabled"]["detail"] == "HTTP 410"
    [stored] = await region.stored("EndpointDisabled")
    assert stored["because"] == "gone"
    [public] = [p["data"] for p in await region.published()
                if p["type"] == "chorus.notifications.EndpointDisabled.v1"]
    assert public["subscription_id"] == subscription_id and public["organisation_id"] == trust
    assert public["because"] == "gone"
    [delivery] = await region.deliveries(staff, subscription_id)
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None

    await region.person()
    await asyncio.sleep(0.5)  # time enough to hear of the second person
    assert len(gone.requests) == 1  # nothing more is sent to it
    replay = await region.notifications.post(f"/v1/subscriptions/{subscription_id}/replay",
                                             json={"delivery_id": delivery["delivery_id"]},
                                             headers=staff)
    assert replay.status_code == 409, replay.text


async def test_replay_sends_one_delivery_again_or_everything_since(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    endpoint = region.receiver.endpoint("replayed")
    subscription = await region.subscribe(staff, endpoint,
                                          "chorus.registry.ParticipantJoined.v1")
    subscription_id = subscription["subscription_id"]
    before = datetime.now(UTC) - timedelta(seconds=1)
    for _ in range(2):
        await region.person()
    async def delivered() -> bool:
        log = await region.deliveries(staff, subscription_id, status="delivered")
        return len(log) == 2

    await eventually(delivered, what="two people's events")
    log = await region.deliveries(staff, subscription_id)
    one = log[-1]["delivery_id"]

    again = await region.notifications.post(f"/v1/subscriptions/{subscription_id}/replay",
                                            json={"delivery_id": one}, headers=staff)
    assert again.status_code == 202, again.text
    assert again.json() == {"replayed": 1}
    await eventually(lambda: len(endpoint.tries(one)) == 2, what="the replay arriving")
    assert all(r.verified_by == (0,) for r in endpoint.tries(one))
    assert endpoint.tries(one)[0].body == endpoint.tries(one)[1].body

    async def attempts(delivery_id: str) -> int:
        log = await region.deliveries(staff, subscription_id)
        return next(len(d["attempts"]) for d in log if d["delivery_id"] == delivery_id)

    await eventually(lambda: _is(attempts(one), 2), what="the replay being recorded")
    everything = await region.notifications.post(
        f"/v1/subscriptions/{subscription_id}/replay", json={"since": before.isoformat()},
        headers=staff)
    assert everything.status_code == 202, everything.text
    assert everything.json()["replayed"] == len(log)
    await eventually(lambda: all(len(endpoint.tries(d["delivery_id"])) >= 2 for d in log)
                     and len(endpoint.tries(one)) == 3, what="everything arriving again")
    assert len(endpoint.unique) == len(log)  # de-duplicated by webhook-id, nothing new


async def _is(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


async def test_a_hanging_endpoint_does_not_hold_up_other_subscriptions(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Healthwatch", "healthwatch")
    hanging, slow = region.receiver.endpoint("hanging"), region.receiver.endpoint("slow")
    healthy = region.receiver.endpoint("healthy")
    hanging.answer(then=Reply(hang=True))
    slow.answer(then=Reply(delay=1.5))
    joined = "chorus.registry.ParticipantJoined.v1"
    await region.subscribe(staff, hanging, joined)
    await region.subscribe(staff, slow, joined)
    await region.subscribe(other_staff, healthy, joined)

    for _ in range(3):
        await region.person()
    await eventually(lambda: len(healthy.unique) == 3, what="the healthy endpoint's events")
    assert hanging.hanging >= 1  # still holding attempts open: the timeout is 2 s
    hung = {r.event["id"]: r.at for r in hanging.unique}
    assert all(r.at - hung.get(r.event["id"], r.at) < 1.0 for r in healthy.unique)
    await eventually(lambda: len(slow.unique) == 3, what="the slow endpoint's events")
    await eventually(lambda: len(hanging.requests) >= 4, within=8,
                     what="the hanging endpoint's attempts timing out and retrying")


async def test_during_a_rotation_both_secrets_verify(region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    endpoint = region.receiver.endpoint("rotating")
    subscription = await region.subscribe(staff, endpoint,
                                          "chorus.registry.ParticipantJoined.v1")
    subscription_id, old = subscription["subscription_id"], subscription["secret"]
    rotated = await region.notifications.post(
        f"/v1/subscriptions/{subscription_id}/rotate-secret", json={"overlap_seconds": 3600},
        headers=staff)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    endpoint.secrets = [old, new]
    await region.person()
    await eventually(lambda: len(endpoint.requests) == 1)
    [during] = endpoint.requests
    assert during.verified_by == (0, 1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2

    ended = await region.notifications.post(
        f"/v1/subscriptions/{subscription_id}/rotate-secret", json={"overlap_seconds": 0},
        headers=staff)
    newest = ended.json()["secret"]
    endpoint.secrets = [old, new, newest]
    await region.person()
    await eventually(lambda: len(endpoint.requests) == 2)
    assert endpoint.requests[1].verified_by == (2,)
    shown = (await region.notifications.get(f"/v1/subscriptions/{subscription_id}",
                                            headers=staff)).json()
    assert "secret" not in shown
