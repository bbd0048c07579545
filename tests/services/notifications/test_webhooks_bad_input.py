"""Bad input to the partner webhooks' API: clear 4xx problem+json, and nothing written.
And the signing secret: shown once, never again, and never stored or published in plain
text."""

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chorus.store.schema import events, outbox
from notifications.webhooks.tables import deliveries, subscriptions
from tests.services.notifications.webhook_support import (
    Headers,
    WebhookRegion,
    eventually,
    webhook_region,
)

pytestmark = pytest.mark.timeout(60)

JOINED = "chorus.registry.ParticipantJoined.v1"


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[WebhookRegion]:
    async with webhook_region(tmp_path, monkeypatch) as region:
        yield region


def problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


async def counts(region: WebhookRegion) -> tuple[int, ...]:
    async with region.notifications_app.state.runtime.db.snapshot() as tx:
        return tuple([(await tx.conn.execute(select(func.count()).select_from(t))).scalar_one()
                      for t in (events, outbox, subscriptions, deliveries)])


async def test_bad_subscriptions_are_refused_with_the_reason_and_nothing_written(
        region: WebhookRegion) -> None:
    trust, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Healthwatch", "healthwatch")
    endpoint = region.receiver.endpoint("partner")
    before = await counts(region)

    async def refused(status: int, body: dict[str, Any], *words: str,
                      who: Headers = staff) -> None:
        answer = await region.notifications.post("/v1/subscriptions", json={
            "url": endpoint.url, "event_types": [JOINED]} | body, headers=who)
        problem(answer, status, *words)

    await refused(422, {"url": "http://partner.example/hooks"}, "https")
    await refused(422, {"url": "https://10.0.0.5/hooks"}, "10.0.0.5", "private")
    await refused(422, {"url": "https://169.254.169.254/latest"}, "metadata")
    await refused(422, {"url": "https://[fd00::1]/hooks"}, "fd00::1", "private")
    await refused(422, {"url": "not a url"})
    await refused(422, {"event_types": ["chorus.feedback.Nothing.v1"]},
                  "chorus.feedback.Nothing.v1")
    await refused(422, {"event_types": [JOINED, "chorus.billing.*"]}, "chorus.billing.*",
                  "matches no event")
    await refused(422, {"event_types": ["chorus.notifications.DeliveryFailed.v1"]},
                  "notifications")
    await refused(422, {"event_types": ["chorus.feed*"]}, "chorus.feed*")
    await refused(422, {"event_types": []})
    await refused(422, {"description": "ours\u0000"})
    elsewhere = await region.registry.network("South Example")
    await refused(403, {"network_id": elsewhere}, "network")
    await refused(403, {"organisation_id": trust}, "own", who=other_staff)
    problem(await region.notifications.post("/v1/subscriptions", json={
        "url": endpoint.url, "event_types": [JOINED]}), 401)
    assert await counts(region) == before


async def test_another_organisations_subscription_and_bad_replays_are_refused(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Healthwatch", "healthwatch")
    mine = await region.subscribe(staff, region.receiver.endpoint("mine"), JOINED)
    theirs = await region.subscribe(other_staff, region.receiver.endpoint("theirs"), JOINED)
    await region.person()

    async def delivered(subscription: dict[str, Any], who: Headers) -> list[dict[str, Any]]:
        return await region.deliveries(who, subscription["subscription_id"],
                                       status="delivered")

    async def both_delivered() -> bool:
        return bool(await delivered(mine, staff) and await delivered(theirs, other_staff))

    await eventually(both_delivered, what="both subscriptions' deliveries")
    [their_delivery] = await delivered(theirs, other_staff)
    before = await counts(region)
    path = f"/v1/subscriptions/{theirs['subscription_id']}"
    http = region.notifications
    problem(await http.get(path, headers=staff), 403)
    problem(await http.delete(path, headers=staff), 403)
    problem(await http.post(f"{path}/rotate-secret", json={}, headers=staff), 403)
    problem(await http.post(f"{path}/replay", json={"since": "2020-01-01T00:00:00Z"},
                            headers=staff), 403)
    problem(await http.get("/v1/deliveries", params={
        "subscription_id": theirs["subscription_id"]}, headers=staff), 403)

    mine_path = f"/v1/subscriptions/{mine['subscription_id']}"
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    problem(await http.post(f"{mine_path}/replay", json={"since": future}, headers=staff),
            422, "future")
    problem(await http.post(f"{mine_path}/replay", json={
        "delivery_id": their_delivery["delivery_id"]}, headers=staff), 404)
    problem(await http.post(f"{mine_path}/replay", json={}, headers=staff), 422)
    problem(await http.post(f"{mine_path}/replay", json={
        "since": "2020-01-01T00:00:00"}, headers=staff), 422)  # no time zone
    problem(await http.post(f"{mine_path}/replay", json={
        "since": "0001-01-01T00:00:00+01:00"}, headers=staff), 422)  # before time began
    problem(await http.get("/v1/deliveries", params={
        "subscription_id": mine["subscription_id"], "since": "0001-01-01T00:00:00+01:00"},
        headers=staff), 422)
    problem(await http.post(f"{mine_path}/rotate-secret", json={
        "overlap_seconds": 30 * 24 * 3600}, headers=staff), 422)
    problem(await http.get("/v1/subscriptions/not-an-id", headers=staff), 422)
    assert await counts(region) == before

    listed = (await http.get("/v1/subscriptions", headers=staff)).json()
    assert [s["subscription_id"] for s in listed["items"]] == [mine["subscription_id"]]
    deleted = await http.delete(mine_path, headers=staff)
    assert deleted.status_code == 204, deleted.text
    problem(await http.get(mine_path, headers=staff), 404)
    problem(await http.delete(mine_path, headers=staff), 404)


async def test_the_secret_is_shown_once_and_never_stored_or_published_in_plain_text(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    endpoint = region.receiver.endpoint("partner")
    created = await region.subscribe(staff, endpoint, JOINED)
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    path = f"/v1/subscriptions/{created['subscription_id']}"
    rotated = (await region.notifications.post(f"{path}/rotate-secret", headers=staff)).json()
    await region.person()
    await eventually(lambda: len(endpoint.requests) == 1)

    shown = await region.notifications.get(path, headers=staff)
    listed = await region.notifications.get("/v1/subscriptions", headers=staff)
    log = await region.notifications.get("/v1/deliveries", headers=staff,
                                         params={"subscription_id": created["subscription_id"]})
    stored = await region.everything_stored()
    for plain in (secret, rotated["secret"]):
        raw = plain.removeprefix("whsec_")
        for text in (shown.text, listed.text, log.text, stored):
            assert raw not in text
    assert "secret" not in shown.json()
