"""Stories moderated before anyone sees them, changes linked to the voices behind them
across organisations, each participant's "what happened because of my input", and the
learning library."""

from datetime import date
from typing import Any

import pytest

from tests.services.feedback.conftest import FeedbackRegion

pytestmark = pytest.mark.timeout(120)

STORY = ("The night nurse, Dr Patel's colleague Jane Smith, was kind. My NHS number is "
         "943 476 5919 and you can ring me on 07700 900123 or write to LS6 2AB.")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return dict(response.json())


async def test_a_story_is_seen_only_after_moderation_and_scrubbed(
        region: FeedbackRegion) -> None:
    trust, staff = await region.organisation()
    await region.known(trust)
    person, signed_in = await region.person()
    shared = await region.feedback.post("/v1/stories", json={
        "organisation_ids": [trust], "service_area": "maternity", "title": "Night shift",
        "text": STORY}, headers=signed_in)
    assert shared.status_code == 201, shared.text
    story_id = shared.json()["story_id"]
    assert shared.json()["status"] == "awaiting_moderation"
    problem(await region.feedback.get(f"/v1/stories/{story_id}"), 404)
    problem(await region.feedback.get(f"/v1/stories/{story_id}", headers=staff), 404)
    assert (await region.feedback.get("/v1/stories")).json()["total"] == 0
    admin = await region.registry.admin()
    as_moderator = (await region.feedback.get(f"/v1/stories/{story_id}", headers=admin)).json()
    assert as_moderator["own_words"] == STORY
    problem(await region.feedback.post(f"/v1/stories/{story_id}/moderate", json={
        "decision": "publish"}, headers=staff), 403)

    published = await region.feedback.post(f"/v1/stories/{story_id}/moderate",
                                           json={"decision": "publish"}, headers=admin)
    assert published.status_code == 200, published.text
    public = (await region.feedback.get(f"/v1/stories/{story_id}")).json()
    for personal in ("Patel", "Jane Smith", "943 476 5919", "07700 900123", "LS6 2AB"):
        assert personal not in public["text"]
    assert "[NHS number]" in public["text"] and public["own_words"] is None
    assert public["participant_id"] is None
    again = await region.feedback.post(f"/v1/stories/{story_id}/moderate",
                                       json={"decision": "reject", "reason": "no"},
                                       headers=admin)
    problem(again, 409)
    answered = await region.feedback.post(f"/v1/stories/{story_id}/responses", json={
        "response": "Thank you. We shared this with the ward team."}, headers=staff)
    assert answered.status_code == 201, answered.text
    _, other_staff = await region.organisation("Example Healthwatch", "healthwatch")
    problem(await region.feedback.post(f"/v1/stories/{story_id}/responses", json={
        "response": "Us too"}, headers=other_staff), 422)
    _ = person


async def test_rejected_and_redacted_stories(region: FeedbackRegion) -> None:
    network = region.network_id
    admin = await region.registry.admin()
    first = await region.feedback.post("/v1/stories", json={
        "network_id": network, "service_area": "GP access", "title": "Phones",
        "text": "Nobody answers the phone."})
    second = await region.feedback.post("/v1/stories", json={
        "network_id": network, "service_area": "GP access", "title": "Letters",
        "text": "The receptionist was rude to me."})
    assert first.status_code == second.status_code == 201
    rejected = await region.feedback.post(
        f"/v1/stories/{first.json()['story_id']}/moderate",
        json={"decision": "reject", "reason": "Please tell us which practice."}, headers=admin)
    assert rejected.json()["status"] == "rejected"
    redacted = await region.feedback.post(
        f"/v1/stories/{second.json()['story_id']}/moderate",
        json={"decision": "redact", "redacted_text": "Reception could have been kinder."},
        headers=admin)
    assert redacted.json()["text"] == "Reception could have been kinder."
    problem(await region.feedback.post(f"/v1/stories/{second.json()['story_id']}/moderate",
                                       json={"decision": "redact"}, headers=admin), 409)
    listed = (await region.feedback.get("/v1/stories", params={"network_id": network})).json()
    assert [s["title"] for s in listed["items"]] == ["Letters"]
    waiting = await region.feedback.get("/v1/stories", params={
        "network_id": network, "status": "rejected"}, headers=admin)
    assert waiting.json()["total"] == 1
    problem(await region.feedback.get("/v1/stories", params={"status": "rejected"}), 403)
    unknown_org = await region.feedback.post("/v1/stories", json={
        "network_id": network, "organisation_ids": [region.network_id],
        "service_area": "x", "title": "x", "text": "x"})
    assert "not a member" in problem(unknown_org, 422)["detail"]


async def test_a_change_across_organisations_tells_exactly_the_voices_behind_it(
        region: FeedbackRegion) -> None:
    trust, trust_staff = await region.organisation()
    charity, charity_staff = await region.organisation("Example Carers", "charity")
    await region.known(trust, charity)
    people = [await region.person() for _ in range(4)]
    cid = (await region.open(trust_staff))["consultation_id"]
    responses = [await region.respond(cid, headers) for _, headers in people]
    anonymous = await region.respond(cid)
    linked = [r["feedback_id"] for r in responses[:2]] + [anonymous["feedback_id"]]
    body = {"title": "Clearer discharge letters", "what_changed": "Plain words now.",
            "service_area": "discharge", "changed_on": date.today().isoformat(),
            "organisations": [
                {"organisation_id": trust, "owner": "Head of Patient Experience",
                 "status": "done"},
                {"organisation_id": charity, "owner": "Carers' lead"}],
            "consultation_ids": [cid], "feedback_ids": linked}
    made = await region.feedback.post("/v1/changes", json=body, headers=trust_staff)
    assert made.status_code == 201, made.text
    change = made.json()
    assert change["voices"] == 2
    assert {p["organisation_id"]: p["status"] for p in change["organisations"]} == {
        trust: "done", charity: "planned"}

    for index, (participant, headers) in enumerate(people):
        mine = await region.feedback.get(f"/v1/participants/{participant}/changes",
                                         headers=headers)
        assert mine.json()["total"] == (1 if index < 2 else 0)
    problem(await region.feedback.get(f"/v1/participants/{people[0][0]}/changes",
                                      headers=people[1][1]), 403)

    moved = await region.feedback.patch(f"/v1/changes/{change['change_id']}",
                                        json={"status": "in_progress"}, headers=charity_staff)
    assert moved.status_code == 200, moved.text
    problem(await region.feedback.patch(f"/v1/changes/{change['change_id']}", json={
        "organisation_id": trust, "status": "planned"}, headers=charity_staff), 403)
    public = await region.feedback.get("/v1/changes", params={"organisation_id": charity})
    assert [c["change_id"] for c in public.json()["items"]] == [change["change_id"]]


async def test_a_change_must_link_this_networks_voices_that_still_count(
        region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    charity, _ = await region.organisation("Example Carers", "charity")
    cid = (await region.open(staff))["consultation_id"]
    gone = await region.respond(cid)
    await region.feedback.post(f"/v1/feedback/{gone['feedback_id']}/withdraw",
                               json={"withdrawal_code": gone["withdrawal_code"]})
    org_id = (await region.feedback.get(f"/v1/consultations/{cid}")).json()["organisation_id"]
    base = {"title": "t", "what_changed": "w", "service_area": "s",
            "changed_on": date.today().isoformat(),
            "organisations": [{"organisation_id": org_id, "owner": "Lead"}]}
    await region.known(org_id, charity)
    cases = [
        ({"consultation_ids": [cid], "organisations": [
            {"organisation_id": charity, "owner": "x"}]}, "takes part"),
        ({}, "at least one consultation"),
        ({"feedback_ids": [gone["feedback_id"]]}, "no longer counts"),
        ({"story_ids": [cid]}, "no longer counts"),
        ({"consultation_ids": [org_id]}, "does not exist in this network"),
        ({"consultation_ids": [cid], "organisations": [
            {"organisation_id": region.network_id, "owner": "x"}]}, "not a member"),
    ]
    for extra, expected in cases:
        response = await region.feedback.post("/v1/changes", json=base | extra, headers=staff)
        assert expected in problem(response, 422)["detail"], (extra, response.text)
    assert (await region.feedback.get("/v1/changes")).json()["total"] == 0


async def test_learning_is_found_by_its_words_in_any_form_and_by_tag(
        region: FeedbackRegion) -> None:
    _, staff = await region.organisation()
    for title, summary, tags in (
            ("Discharge letters with patients", "Patients rewrote how we discharge people.",
             ["discharge", "carers"]),
            ("Waiting rooms", "Quieter waiting areas helped autistic patients.", ["autism"])):
        made = await region.feedback.post("/v1/learning", json={
            "title": title, "summary": summary, "tags": tags}, headers=staff)
        assert made.status_code == 201, made.text
    await region.caught_up()
    found = await region.feedback.get("/v1/learning", params={"q": "discharged patient"})
    assert [i["title"] for i in found.json()["items"]] == ["Discharge letters with patients"]
    both = await region.feedback.get("/v1/learning", params={"q": "patients"})
    assert both.json()["total"] == 2
    tagged = await region.feedback.get("/v1/learning", params={"tag": "autism"})
    assert [i["title"] for i in tagged.json()["items"]] == ["Waiting rooms"]
    none = await region.feedback.get("/v1/learning", params={"q": "discharge autistic"})
    assert none.json()["total"] == 0
    problem(await region.feedback.post("/v1/learning", json={
        "title": "x", "summary": "y", "tags": ["Not A Tag!"]}, headers=staff), 422)
    problem(await region.feedback.post("/v1/learning", json={
        "title": "x", "summary": "y", "change_ids": [region.network_id]}, headers=staff), 422)
