"""The registry's sign-in codes are e-mailed at once, whatever the person's preferences or
quiet hours, and never kept; only the registry may ask."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.services.notifications.people_support import PeopleRegion, running_region

pytestmark = pytest.mark.timeout(120)

ROUTE = "/internal/v1/sign-in-codes"


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PeopleRegion]:
    async with running_region(tmp_path, monkeypatch) as region:
        yield region


def problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    for word in words:
        assert word in response.json()["detail"], response.text


async def test_a_sign_in_code_is_emailed_at_once_and_never_kept(region: PeopleRegion) -> None:
    pid, headers, address = await region.someone()
    local = datetime.now(UTC).astimezone(ZoneInfo("Europe/London"))
    quiet = {"start": (local - timedelta(hours=1)).strftime("%H:%M"),
             "end": (local + timedelta(hours=1)).strftime("%H:%M")}
    chosen = await region.notifications.put(
        f"/v1/participants/{pid}/notification-preferences", headers=headers,
        json={"frequency": "weekly", "quiet_hours": quiet})
    assert chosen.status_code == 200, chosen.text
    await region.known_here(pid)
    expires = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = {"participant_id": pid, "code": "482913", "expires_at": expires}

    sent = await region.notifications.post(ROUTE, json=body,
                                           headers=region.service_token("registry"))
    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "sent"
    [message] = region.mail.received
    assert message.recipients == (address,)
    assert "482913" in message.text and "482913" in message.html
    assert message.subject == "Your Chorus sign-in code"

    [notice] = await region.notices_of(pid)
    assert notice["kind"] == "sign_in_code" and notice["status"] == "sent"
    assert "482913" not in str(notice)
    inbox = (await region.notifications.get(f"/v1/participants/{pid}/notifications",
                                            headers=headers)).json()
    assert "482913" not in str(inbox) and inbox["items"][0]["kind"] == "sign_in_code"
    [succeeded] = await region.public_events("chorus.notifications.DeliverySucceeded.v1")
    assert succeeded["participant_id"] == pid and succeeded["event_id"] is None

    problem(await region.notifications.post(
        ROUTE, json=body, headers=region.service_token("notifications")), 403, "registry")
    problem(await region.notifications.post(ROUTE, json=body, headers=headers), 403)
    problem(await region.notifications.post(ROUTE, json=body), 401)
    registry = region.service_token("registry")
    for bad, words in [
        ({**body, "code": "12 34"}, ("code",)),
        ({**body, "participant_id": "someone"}, ("participant_id",)),
        ({**body, "expires_at": "2030-01-01T10:00:00"}, ("expires_at",)),
        ({**body, "expires_at": "2020-01-01T10:00:00Z"}, ("expires_at", "expired")),
        ({"participant_id": pid, "code": "482913"}, ("expires_at",)),
    ]:
        problem(await region.notifications.post(ROUTE, json=bad, headers=registry), 422, *words)
    assert len(region.mail.received) == 1


async def test_someone_paused_still_gets_the_code_they_asked_for_to_come_back(
        region: PeopleRegion) -> None:
    pid, headers, address = await region.someone()
    paused = await region.registry.http.post(f"/v1/participants/{pid}/pause", json={},
                                             headers=headers)
    assert paused.status_code == 200, paused.text
    await region.known_here(pid, status="paused")
    body = {"participant_id": pid, "code": "551204",
            "expires_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat()}

    sent = await region.notifications.post(ROUTE, json=body,
                                           headers=region.service_token("registry"))

    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "sent"
    [message] = region.mail.received
    assert message.recipients == (address,) and "551204" in message.text
