"""Preferences: a daily digest gathers notices from two organisations into one e-mail, quiet
hours hold an immediate notice until they end, and bad preferences get a 422 naming the
field."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from chorus.contracts.vocabulary import Frequency
from notifications.people.domain.preferences import next_digest_time
from tests.services.notifications.people_support import PeopleRegion, eventually, running_region

pytestmark = pytest.mark.timeout(120)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PeopleRegion]:
    async with running_region(tmp_path, monkeypatch) as region:
        yield region


def problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    for word in words:
        assert word in body["detail"], body
    return body


async def choose(region: PeopleRegion, participant_id: str, headers: dict[str, str],
                 **body: Any) -> dict[str, Any]:
    response = await region.notifications.put(
        f"/v1/participants/{participant_id}/notification-preferences", json=body,
        headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def noticed(region: PeopleRegion, participant_id: str,
                  count: int) -> list[dict[str, Any]]:
    async def made() -> list[dict[str, Any]]:
        found = await region.notices_of(participant_id)
        return found if len(found) >= count else []

    return await eventually(made, f"{count} notice(s) for {participant_id}")


async def test_a_daily_digest_gathers_two_organisations_into_one_email(
        region: PeopleRegion) -> None:
    trust, trust_staff = await region.organisation("Leeds Teaching Hospitals")
    charity, charity_staff = await region.organisation("Carers Leeds", "charity")
    pid, headers, address = await region.someone(kinds_wanted=["survey"])
    await choose(region, pid, headers, frequency="daily")
    await region.known(trust, charity)
    await region.organisation_known_here(trust, charity)
    await region.known_here(pid)
    await region.open(trust_staff, title="Visiting hours", audience="network")
    await region.open(charity_staff, title="Support for carers", audience="public")

    waiting = await noticed(region, pid, 2)
    assert {n["kind"] for n in waiting} == {"consultation_opened"}
    await region.people.step()
    assert [n["status"] for n in await region.notices_of(pid)] == ["pending", "pending"]
    assert region.mail.received == []

    at = next_digest_time(datetime.now(UTC), Frequency.DAILY, 8, LONDON) + timedelta(minutes=1)
    await region.people.step(at)
    [digest] = await region.mail.holds(1)
    assert digest.recipients == (address,)
    assert digest.subject == "Your daily round-up from Chorus"
    for words in ("Visiting hours", "Support for carers", "Leeds Teaching Hospitals",
                  "Carers Leeds"):
        assert words in digest.text and words in digest.html
    [sent] = await region.public_events("chorus.notifications.DigestSent.v1")
    assert sent["participant_id"] == pid and sent["notices"] == 2
    assert sent["frequency"] == "daily" and sent["channel"] == "email"

    await region.people.step(at + timedelta(minutes=5))
    assert len(region.mail.received) == 1
    inbox = (await region.notifications.get(f"/v1/participants/{pid}/notifications",
                                            headers=headers)).json()
    assert inbox["total"] == 2
    assert {n["status"] for n in inbox["items"]} == {"sent"}


async def test_quiet_hours_hold_an_immediate_notice_until_they_end(
        region: PeopleRegion) -> None:
    trust, staff = await region.organisation("Leeds Teaching Hospitals")
    pid, headers, address = await region.someone(kinds_wanted=["survey"])
    now = datetime.now(UTC)
    local = now.astimezone(LONDON)
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    await choose(region, pid, headers, quiet_hours={"start": start, "end": end})
    await region.known(trust)
    await region.known_here(pid)
    await region.open(staff, title="Visiting hours", audience="network")

    [notice] = await noticed(region, pid, 1)
    await region.people.step(now + timedelta(seconds=5))
    [notice] = await region.notices_of(pid)
    assert notice["status"] == "pending" and notice["due_at"] > now + timedelta(minutes=50)
    assert notice["due_at"].astimezone(LONDON).strftime("%H:%M") == end
    assert region.mail.received == []

    await region.people.step(notice["due_at"] + timedelta(minutes=1))
    [message] = await region.mail.holds(1)
    assert message.recipients == (address,) and "Visiting hours" in message.subject


async def test_preferences_are_the_persons_own_and_bad_ones_are_refused(
        region: PeopleRegion) -> None:
    pid, headers, _ = await region.someone()
    other, other_headers, _ = await region.someone()
    path = f"/v1/participants/{pid}/notification-preferences"
    defaults = (await region.notifications.get(path, headers=headers)).json()
    assert defaults == {"participant_id": pid, "channel": "email", "frequency": "immediate",
                        "quiet_hours": None, "timezone": "Europe/London", "updated_at": None}

    chosen = await choose(region, pid, headers, frequency="weekly",
                          quiet_hours={"start": "22:00", "end": "07:00"})
    assert chosen["quiet_hours"] == {"start": "22:00:00", "end": "07:00:00"}
    again = (await region.notifications.get(path, headers=headers)).json()
    assert again["frequency"] == "weekly" and again["updated_at"] is not None

    for body, words in [
        ({"channel": "sms"}, ("channel", "not offered yet")),
        ({"channel": "letter"}, ("channel", "not offered yet")),
        ({"channel": "fax"}, ("channel",)),
        ({"frequency": "hourly"}, ("frequency",)),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, ("quiet_hours", "differ")),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, ("quiet_hours.start",)),
        ({"quiet_hours": {"start": "22:00+01:00", "end": "07:00"}}, ("local time",)),
        ({"quiet_hours": {"start": "22:00"}}, ("quiet_hours.end",)),
        ({"frequency": "daily", "colour": "blue"}, ("colour",)),
    ]:
        problem(await region.notifications.put(path, json=body, headers=headers), 422, *words)
    problem(await region.notifications.put(path, content=b"{not json", headers={
        **headers, "content-type": "application/json"}), 422)

    problem(await region.notifications.get(path, headers=other_headers), 403)
    problem(await region.notifications.put(path, json={}, headers=other_headers), 403)
    problem(await region.notifications.get(path), 401)
    staff = (await region.organisation("Example Carers", "charity"))[1]
    problem(await region.notifications.get(path, headers=staff), 403)
    inbox = f"/v1/participants/{pid}/notifications"
    problem(await region.notifications.get(inbox, headers=other_headers), 403)
    problem(await region.notifications.get(inbox, params={"limit": 0}, headers=headers), 422,
            "limit")
    problem(await region.notifications.get("/v1/participants/nobody/notifications",
                                           headers=headers), 422, "participant_id")
    assert (await region.notifications.get(path, headers=headers)).json()["frequency"] == (
        "weekly")
    _ = other
