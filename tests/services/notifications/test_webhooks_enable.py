"""An endpoint that was disabled (it said it was gone) is enabled again by its organisation:
what it missed, the delivery that failed and the events held while it was disabled, arrives
in order, each once; enabling what is not disabled is a 409, and only its organisation (or
the network's admin) may."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.services.notifications.webhook_support import (
    Reply,
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


async def test_enabling_a_disabled_endpoint_sends_what_it_missed_in_order(
        region: WebhookRegion) -> None:
    _, staff = await region.organisation()
    endpoint = region.receiver.endpoint("moved")
    endpoint.answer(Reply(410))  # gone for the first delivery, fine ever after
    subscription = await region.subscribe(staff, endpoint, JOINED)
    path = f"/v1/subscriptions/{subscription['subscription_id']}"

    async def disabled() -> bool:
        return bool((await region.notifications.get(path, headers=staff)).json()["status"]
                    == "disabled")

    first, _ = await region.person()
    await eventually(disabled, what="the endpoint being disabled")
    missed = [(await region.person())[0] for _ in range(3)]  # held while disabled
    await eventually(lambda: _statuses(region, staff, subscription["subscription_id"], [
        "failed"] + ["stopped"] * 3), what="the later joins being held")
    assert len(endpoint.requests) == 1

    other_staff = (await region.organisation("Somewhere Else"))[1]
    refused = await region.notifications.post(f"{path}/enable", headers=other_staff)
    assert refused.status_code in (403, 404), refused.text
    enabled = await region.notifications.post(f"{path}/enable", headers=staff)
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["resumed"] == 4
    assert enabled.json()["subscription"]["status"] == "active"
    assert enabled.json()["subscription"]["disabled"] is None

    await eventually(lambda: len(endpoint.unique) == 4, what="every missed join arriving")
    assert [e["subject"] for e in endpoint.events()] == [first, *missed]  # in order
    assert len({r.webhook_id for r in endpoint.requests}) == 4
    again = await region.notifications.post(f"{path}/enable", headers=staff)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"

    endpoint.answer(then=Reply(410))  # gone once more: disabled, and its organisation owed
    await region.person()  # a letter again
    await eventually(disabled, what="the endpoint being disabled a second time")
    await eventually(lambda: _statuses(region, staff, subscription["subscription_id"], [
        "delivered"] * 4 + ["failed"]), what="the last join recorded as failed")
    assert len(await region.stored("EndpointDisabled")) == 2


async def _statuses(region: WebhookRegion, staff: dict[str, str], subscription_id: str,
                    wanted: list[str]) -> bool:
    return sorted(d["status"] for d in await region.deliveries(staff, subscription_id)
                  ) == sorted(wanted)
