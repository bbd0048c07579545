""""Your feedback led to a change": a ChangeMade linked to three people's feedback e-mails
exactly those three, once each, through a real SMTP server; nobody who has paused; and the
same event heard again sends nothing new."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import delete

from notifications.people.tables import participants
from tests.services.notifications.people_support import PeopleRegion, eventually, running_region

pytestmark = pytest.mark.timeout(120)

CHANGE = "Clearer discharge letters"


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PeopleRegion]:
    async with running_region(tmp_path, monkeypatch) as region:
        yield region


async def responses_from(region: PeopleRegion, count: int) -> tuple[
        str, dict[str, str], list[tuple[str, dict[str, str], str]], list[str]]:
    """A trust, its staff, `count` people who answered its consultation signed in, and
    their responses."""
    trust, staff = await region.organisation("Leeds Teaching Hospitals")
    people = [await region.someone() for _ in range(count)]
    await region.known(trust)
    await region.organisation_known_here(trust)
    cid = (await region.open(staff))["consultation_id"]
    responses = [(await region.respond(cid, headers))["feedback_id"] for _, headers, _ in people]
    return trust, staff, people, responses


async def make_change(region: PeopleRegion, staff: dict[str, str], trust: str,
                      feedback_ids: list[str]) -> dict[str, Any]:
    made = await region.feedback.post("/v1/changes", json={
        "title": CHANGE, "what_changed": "Letters now use plain words and list each medicine.",
        "service_area": "discharge", "changed_on": date.today().isoformat(),
        "organisations": [{"organisation_id": trust, "owner": "Head of Patient Experience"}],
        "feedback_ids": feedback_ids}, headers=staff)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_a_change_emails_exactly_the_three_voices_behind_it_once_each(
        region: PeopleRegion) -> None:
    trust, staff, people, responses = await responses_from(region, 4)
    await region.known_here(*(pid for pid, _, _ in people))
    change = await make_change(region, staff, trust, responses[:3])

    received = await region.mail.holds(3)
    told = [address for _, _, address in people[:3]]
    assert sorted(r for m in received for r in m.recipients) == sorted(told)
    for message in received:
        assert CHANGE in message.subject
        assert "Leeds Teaching Hospitals" in message.text and "Thank you" in message.text
        assert "Leeds Teaching Hospitals" in message.html
        assert message.text.startswith("Hello Alex Example,")
    assert region.mail.to(people[3][2]) == []

    async def recorded() -> bool:
        told = [n for pid, _, _ in people[:3] for n in await region.notices_of(pid)]
        return [n["status"] for n in told] == ["sent"] * 3

    await eventually(recorded, "the three e-mails to be recorded as sent")
    first, first_headers, _ = people[0]
    inbox = await region.notifications.get(f"/v1/participants/{first}/notifications",
                                           headers=first_headers)
    assert inbox.status_code == 200, inbox.text
    [notice] = inbox.json()["items"]
    assert notice["kind"] == "change_made" and notice["status"] == "sent"
    assert CHANGE in notice["title"] and "Leeds Teaching Hospitals" in notice["text"]
    assert "@" not in notice["text"] and "Alex" not in notice["text"]
    other = await region.notifications.get(f"/v1/participants/{first}/notifications",
                                           headers=people[1][1])
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("application/problem+json")

    succeeded = await region.public_events("chorus.notifications.DeliverySucceeded.v1")
    assert sorted(e["participant_id"] for e in succeeded) == sorted(p for p, _, _ in people[:3])
    assert all(e["channel"] == "email" and e["subscription_id"] is None for e in succeeded)

    # Delivered twice more (a replay): nothing new is made or sent.
    envelope = await region.feedback_envelope(change["change_id"], "ChangeMade")
    await region.heard_here(envelope.id)
    for _ in range(2):
        async with region.people.db.transaction() as tx:
            await region.people.heard(tx, envelope)
    await region.people.step()
    assert len(region.mail.received) == 3
    assert len(await region.notices_of(first)) == 1


async def test_nobody_who_has_paused_is_told(region: PeopleRegion) -> None:
    trust, staff, people, responses = await responses_from(region, 3)
    for participant_id, headers, _ in people:
        paused = await region.registry.http.post(f"/v1/participants/{participant_id}/pause",
                                                 headers=headers)
        assert paused.status_code == 200, paused.text
    ids = [pid for pid, _, _ in people]
    await region.known_here(*ids, status="paused")
    # As if the last one's pause had not reached this service yet: only the registry's
    # answer at send time can stop that e-mail.
    async with region.people.db.transaction() as tx:
        await tx.conn.execute(delete(participants).where(
            participants.c.participant_id == UUID(ids[-1])))

    change = await make_change(region, staff, trust, responses)
    envelope = await region.feedback_envelope(change["change_id"], "ChangeMade")
    await region.heard_here(envelope.id)

    async def skipped() -> bool:
        await region.people.step()
        return [n["status"] for n in await region.notices_of(ids[-1])] == ["skipped"]

    await eventually(skipped, "the notice to skip")
    [skipped_notice] = await region.notices_of(ids[-1])
    assert "registry" in skipped_notice["reason"] and "paused" in skipped_notice["reason"]
    for participant_id in ids[:-1]:
        assert await region.notices_of(participant_id) == []
    assert region.mail.received == []
