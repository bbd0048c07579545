"""Consultations through HTTP: opened by staff, answered by participants, the public and
staff entering paper responses, withdrawn, closed with a summary, and an outcome published."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.services.feedback.conftest import CLEAR, RATING, READERS, WORDS, FeedbackRegion

pytestmark = pytest.mark.timeout(120)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return dict(response.json())


async def test_a_consultation_from_opening_to_its_published_outcome(
        region: FeedbackRegion) -> None:
    trust, staff = await region.organisation()
    person, signed_in = await region.person()
    opened = await region.open(staff)
    cid = opened["consultation_id"]
    assert opened["status"] == "open" and opened["outcome_status"] == "not_yet_due"

    mine = await region.respond(cid, signed_in, clear="No", rating=2,
                                words="My carer Siobhan could not follow it. Ring 07700 900123.",
                                readers=["Me", "My carer"])
    assert mine["participant_id"] == person and mine["channel"] == "online"
    written = next(a for a in mine["answers"] if a["question_id"] == WORDS)["text"]
    assert "Siobhan" not in written and "07700" not in written
    anonymous = await region.respond(cid, clear="Partly", rating=4,
                                     words="The medicines list was confusing.")
    assert anonymous["participant_id"] is None and anonymous["withdrawal_code"]
    paper = await region.feedback.post(f"/v1/consultations/{cid}/feedback",
                                       json={"channel": "paper", "answers": [
                                           {"question_id": CLEAR, "choices": ["No"]},
                                           {"question_id": WORDS,
                                            "text": "The medicines list was far too long."}]},
                                       headers=staff)
    assert paper.status_code == 201 and paper.json()["channel"] == "paper"
    gone = await region.respond(cid, clear="Yes", rating=5)
    withdrawn = await region.feedback.post(f"/v1/feedback/{gone['feedback_id']}/withdraw",
                                           json={"withdrawal_code": gone["withdrawal_code"]})
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn"] is True

    tagged = await region.feedback.put(f"/v1/feedback/{paper.json()['feedback_id']}/tags",
                                       json={"tags": ["medicines"]}, headers=staff)
    assert tagged.status_code == 200, tagged.text
    closed = await region.feedback.post(f"/v1/consultations/{cid}/close", headers=staff)
    assert closed.status_code == 200, closed.text
    summary = closed.json()["summary"]
    assert summary["responses"] == 3
    assert {c["label"]: c["count"] for c in summary["by_channel"]} == {
        "online": 1, "anonymous": 1, "paper": 1}
    by_question = {q["question_id"]: q for q in summary["questions"]}
    assert {t["label"]: t["count"] for t in by_question[CLEAR]["tallies"]} == {
        "Yes": 0, "Partly": 1, "No": 2}
    assert by_question[RATING]["rating_average"] == 3.0
    assert {t["label"]: t["count"] for t in by_question[READERS]["tallies"]} == {
        "Me": 1, "My carer": 1, "My GP": 0}
    assert by_question[WORDS]["answered"] == 3
    assert summary["tags"] == [{"label": "medicines", "count": 1}]
    assert any(k["label"].startswith("medicine") for k in summary["suggested_keywords"])

    late = await region.feedback.post(f"/v1/consultations/{cid}/feedback",
                                      json={"answers": [{"question_id": CLEAR,
                                                         "choices": ["Yes"]}]})
    assert "closed" in problem(late, 409)["detail"]
    outcome = await region.feedback.post(f"/v1/consultations/{cid}/outcome", json={
        "you_said": "Letters were hard to follow.", "we_did": "We rewrote them with you."},
        headers=staff)
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["outcome_status"] == "published"
    assert outcome.json()["outcome"]["days_from_close"] == 0
    _ = trust


async def test_answers_that_do_not_fit_are_refused_and_nothing_is_kept(
        region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    cid = (await region.open(staff))["consultation_id"]
    cases = [
        ([{"question_id": CLEAR, "choices": ["Maybe"]}], "not an option"),
        ([{"question_id": CLEAR, "choices": ["Yes", "No"]}], "exactly one choice"),
        ([{"question_id": CLEAR, "rating": 3}], "choices only"),
        ([{"question_id": RATING, "rating": 4}], f"question {CLEAR} must be answered"),
        ([{"question_id": CLEAR, "choices": ["Yes"]},
          {"question_id": CLEAR, "choices": ["No"]}], "answered twice"),
        ([{"question_id": CLEAR, "choices": ["Yes"]},
          {"question_id": "00000000-0000-4000-8000-0000000000ff", "rating": 1}],
         "not in this consultation"),
    ]
    for given, expected in cases:
        response = await region.feedback.post(f"/v1/consultations/{cid}/feedback",
                                              json={"answers": given})
        assert expected in problem(response, 422)["detail"], (given, response.text)
    too_long = await region.feedback.post(f"/v1/consultations/{cid}/feedback", json={
        "answers": [{"question_id": CLEAR, "choices": ["Yes"]},
                    {"question_id": WORDS, "text": "x" * 5001}]})
    problem(too_long, 422)
    listed = await region.feedback.get(f"/v1/consultations/{cid}/feedback", headers=staff)
    assert listed.json()["total"] == 0


async def test_who_may_respond_follows_the_audience(region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    invited, invited_token = await region.person()
    _, other_token = await region.person()
    cid = (await region.open(staff, audience="invited",
                             invited_participant_ids=[invited]))["consultation_id"]
    anonymous = await region.feedback.post(f"/v1/consultations/{cid}/feedback",
                                           json={"answers": [{"question_id": CLEAR,
                                                              "choices": ["Yes"]}]})
    problem(anonymous, 403)
    problem(await region.feedback.post(f"/v1/consultations/{cid}/feedback", json={
        "answers": [{"question_id": CLEAR, "choices": ["Yes"]}]}, headers=other_token), 403)
    await region.respond(cid, invited_token)
    twice = await region.feedback.post(f"/v1/consultations/{cid}/feedback", json={
        "answers": [{"question_id": CLEAR, "choices": ["Yes"]}]}, headers=invited_token)
    assert "already responded" in problem(twice, 409)["detail"]
    staff_as_themselves = await region.feedback.post(f"/v1/consultations/{cid}/feedback", json={
        "answers": [{"question_id": CLEAR, "choices": ["Yes"]}]}, headers=staff)
    problem(staff_as_themselves, 422)
    not_public = await region.feedback.get(f"/v1/consultations/{cid}")
    problem(not_public, 403)


async def test_another_organisations_staff_cannot_close_or_answer_for_it(
        region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    _, other = await region.organisation("Example Healthwatch", "healthwatch")
    cid = (await region.open(staff))["consultation_id"]
    problem(await region.feedback.post(f"/v1/consultations/{cid}/close", headers=other), 403)
    problem(await region.feedback.post(f"/v1/consultations/{cid}/outcome", json={
        "you_said": "a", "we_did": "b"}, headers=other), 403)
    problem(await region.feedback.get(f"/v1/consultations/{cid}/feedback", headers=other), 403)
    problem(await region.feedback.post(f"/v1/consultations/{cid}/outcome", json={
        "you_said": "a", "we_did": "b"}, headers=staff), 409)


async def test_the_schedule_closes_a_due_consultation_and_an_outcome_becomes_overdue(
        region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    cid = (await region.open(staff))["consultation_id"]
    await region.respond(cid, rating=5)
    later = datetime.now(UTC) + timedelta(days=29)
    region.fb.consultations.clock = lambda: later
    assert await region.fb.consultations.close_due() == 1
    closed = (await region.feedback.get(f"/v1/consultations/{cid}")).json()
    assert closed["status"] == "closed" and closed["summary"]["responses"] == 1
    much_later = later + timedelta(weeks=12, days=1)
    region.fb.consultations.clock = lambda: much_later
    object.__setattr__(region.fb, "clock", lambda: much_later)
    overdue = (await region.feedback.get(f"/v1/consultations/{cid}")).json()
    assert overdue["outcome_status"] == "overdue"
    listed = await region.feedback.get("/v1/consultations", params={"overdue": "true"})
    assert [c["consultation_id"] for c in listed.json()["items"]] == [cid]


async def test_a_consultation_must_close_in_the_future_within_a_year(
        region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    for closes in (datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=400)):
        response = await region.feedback.post("/v1/consultations", json={
            **__import__("tests.services.feedback.conftest", fromlist=["consultation"])
            .consultation(), "closes_at": closes.isoformat()}, headers=staff)
        assert "closes_at" in problem(response, 422)["detail"]
