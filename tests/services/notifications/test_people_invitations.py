"""An invitation is e-mailed; an unanswered one is reminded of before it lapses (an answered
one is not); whoever holds a seat is reminded the day before each session; an expense paid
in advance is told in pounds."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import select

from notifications.people.tables import invitations, seats
from tests.services.notifications.people_support import PeopleRegion, eventually, running_region

pytestmark = pytest.mark.timeout(120)

TITLE = "Redesign the discharge letter"


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PeopleRegion]:
    async with running_region(tmp_path, monkeypatch) as region:
        yield region


async def test_invitations_reminders_and_an_advance(region: PeopleRegion) -> None:
    trust, staff = await region.organisation("Leeds Teaching Hospitals")
    taker, taker_headers, taker_address = await region.someone()
    waiter, _, waiter_address = await region.someone()
    await region.pool_has(taker, waiter)
    await region.known_here(taker, waiter)
    await region.organisation_known_here(trust)
    opportunity = await region.publish(staff)
    oid = opportunity["opportunity_id"]
    invited = await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                     json={"participant_ids": [taker, waiter]}, headers=staff)
    assert invited.status_code == 201, invited.text
    by_person = {i["participant_id"]: i for i in invited.json()}

    received = await region.mail.holds(2)
    assert sorted(r.recipients[0] for r in received) == sorted([taker_address, waiter_address])
    for message in received:
        assert message.subject == f"You're invited: {TITLE}"
        assert "Leeds Teaching Hospitals" in message.text and "saying no" in message.text

    accepted = await region.http.post(
        f"/v1/invitations/{by_person[taker]['invitation_id']}/accept", headers=taker_headers)
    assert accepted.status_code == 200, accepted.text

    async def seated() -> bool:
        async with region.people.db.snapshot() as tx:
            seat = (await tx.conn.execute(select(seats).where(
                seats.c.participant_id == UUID(taker)))).first()
            still_open = (await tx.conn.execute(select(invitations.c.open).where(
                invitations.c.participant_id == UUID(taker)))).scalar()
        return seat is not None and still_open is False

    await eventually(seated, "notifications to know the seat is taken")

    expires = datetime.fromisoformat(by_person[waiter]["expires_at"])
    await region.people.step(expires - timedelta(hours=47))
    [reminder] = (await region.mail.holds(3))[2:]
    assert reminder.recipients == (waiter_address,)
    assert reminder.subject == f"A reminder: your invitation to {TITLE}"

    starts = datetime.fromisoformat(opportunity["sessions"][0]["starts_at"])
    await region.people.step(starts - timedelta(hours=23))
    [coming_up] = (await region.mail.holds(4))[3:]
    assert coming_up.recipients == (taker_address,)
    assert coming_up.subject == f"Coming up: {TITLE}"
    assert "Leeds Teaching Hospitals" in coming_up.text

    advance = await region.http.post("/v1/expenses/advances", headers=staff, json={
        "participant_id": taker, "opportunity_id": oid,
        "session_id": opportunity["sessions"][0]["session_id"],
        "kind": "public_transport", "amount_pence": 1250})
    assert advance.status_code == 201, advance.text
    [paid] = (await region.mail.holds(5))[4:]
    assert paid.recipients == (taker_address,) and "£12.50" in paid.text

    await region.people.step(starts - timedelta(hours=22))
    assert len(region.mail.received) == 5
