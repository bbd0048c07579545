"""A participant erased in registry: the words of their stories become unreadable here
(their key is shredded), their id comes off their responses and stories, and nobody can
find what their input led to under their id any more."""

import asyncio
from datetime import date
from uuid import UUID

import pytest
from sqlalchemy import select, text

from feedback.tables import change_voices, participants, responses, story_index
from tests.services.feedback.conftest import FeedbackRegion

pytestmark = pytest.mark.timeout(120)

WORDS = "My daughter Olivia waited nine hours in A&E with a broken wrist."


async def test_erasure_shreds_their_words_and_unlinks_their_id(region: FeedbackRegion) -> None:
    trust, staff = await region.organisation()
    await region.known(trust)
    admin = await region.registry.admin()
    person, signed_in = await region.person(consent={
        "scope": "network", "equality_monitoring": True, "deprivation_decile": 2})
    cid = (await region.open(staff))["consultation_id"]
    response = await region.respond(cid, signed_in, words="The letter was too long.")
    shared = await region.feedback.post("/v1/stories", json={
        "organisation_ids": [trust], "service_area": "urgent care", "title": "A long wait",
        "text": WORDS}, headers=signed_in)
    story_id = shared.json()["story_id"]
    made = await region.feedback.post("/v1/changes", json={
        "title": "Faster triage", "what_changed": "A second triage nurse at night.",
        "service_area": "urgent care", "changed_on": date.today().isoformat(),
        "organisations": [{"organisation_id": trust, "owner": "Matron"}],
        "feedback_ids": [response["feedback_id"]], "story_ids": [story_id]}, headers=staff)
    assert made.json()["voices"] == 1
    before = (await region.feedback.get(f"/v1/stories/{story_id}", headers=admin)).json()
    assert before["own_words"] == WORDS

    erased = await region.registry.http.delete(f"/v1/participants/{person}",
                                               headers=signed_in)
    assert erased.status_code in (200, 204), erased.text
    await until_erased(region, person)

    after = (await region.feedback.get(f"/v1/stories/{story_id}", headers=admin)).json()
    assert after["own_words"] is None
    async with region.fb.consultations.db.snapshot() as tx:
        for table in (responses, story_index, change_voices):
            rows = (await tx.conn.execute(select(table).where(
                table.c.participant_id == UUID(person)))).all()
            assert rows == [], table.name
        kept = (await tx.conn.execute(select(participants).where(
            participants.c.participant_id == UUID(person)))).mappings().one()
        assert kept["status"] == "erased" and kept["deprivation_decile"] is None
        keys = (await tx.conn.execute(text(
            "SELECT count(*) FROM data_keys WHERE subject_id = :s"), {"s": person})).scalar()
        assert keys == 0
    change = (await region.feedback.get(f"/v1/changes/{made.json()['change_id']}")).json()
    assert change["title"] == "Faster triage"  # the change itself stands
    listed = (await region.feedback.get(f"/v1/consultations/{cid}/feedback",
                                        headers=staff)).json()["items"]
    assert [r["participant_id"] for r in listed] == [None]  # staff no longer see who it was
    one = await region.feedback.get(f"/v1/feedback/{response['feedback_id']}", headers=staff)
    assert one.json()["participant_id"] is None
    own = await region.feedback.get(f"/v1/feedback/{response['feedback_id']}",
                                    headers=signed_in)
    assert own.status_code == 404  # nor can the erased person's last token reach it


async def until_erased(region: FeedbackRegion, person: str) -> None:
    for _ in range(200):
        async with region.fb.consultations.db.snapshot() as tx:
            status = (await tx.conn.execute(select(participants.c.status).where(
                participants.c.participant_id == UUID(person)))).scalar()
        if status == "erased":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("feedback never heard of the erasure")
