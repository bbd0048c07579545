"""Invitations through HTTP: who is offered a seat, who takes it, the waitlist, and what
happens when people step back or the work stops."""

from datetime import datetime, timedelta
from typing import Any

from tests.services.opportunities.conftest import Headers, Region
from tests.services.opportunities.steps import (
    accept,
    assert_problem,
    assign,
    events_of,
    eventually,
    invite,
    now,
    ok,
    statuses,
)

MISSING = "00000000-0000-4000-8000-000000000000"


async def _people(region: Region, count: int) -> list[tuple[str, Headers]]:
    people = [await region.person() for _ in range(count)]
    await region.pool_has(*(pid for pid, _ in people))
    return people


async def _events(region: Region, oid: str, event_type: str) -> list[dict[str, Any]]:
    return [data for kind, data in await events_of(region, oid) if kind == event_type]


async def _score(region: Region, staff: Headers, oid: str, pid: str) -> tuple[float, Any]:
    matches = ok(await region.http.get(f"/v1/opportunities/{oid}/matches", headers=staff))
    match = next(m for m in matches["matches"] if m["participant_id"] == pid)
    return match["score"], match["reasons"]


async def _until(region: Region, staff: Headers, oid: str, expected: dict[str, str]) -> None:
    async def reached() -> bool:
        return await statuses(region, staff, oid) == expected

    await eventually(reached, f"invitations to {oid} become {expected}")


async def test_invite_chosen_people_then_the_best_matched_not_yet_invited(
    region: Region,
) -> None:
    _, staff = await region.organisation()
    (one, _), (two, _), (three, _) = await _people(region, 3)
    oid = (await region.publish(staff))["opportunity_id"]
    before = now()
    chosen = ok(await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                       json={"participant_ids": [one]}, headers=staff), 201)
    assert [(i["participant_id"], i["status"]) for i in chosen] == [(one, "invited")]
    assert chosen[0]["opportunity_id"] == oid
    expires = datetime.fromisoformat(chosen[0]["expires_at"])  # open for fourteen days
    assert before + timedelta(days=14) <= expires <= now() + timedelta(days=14)
    top = ok(await region.http.post(f"/v1/opportunities/{oid}/invitations", json={"top": 5},
                                    headers=staff), 201)
    assert {i["participant_id"] for i in top} == {two, three}
    assert ok(await region.http.post(f"/v1/opportunities/{oid}/invitations", json={"top": 5},
                                     headers=staff), 201) == []
    assert await statuses(region, staff, oid) == dict.fromkeys((one, two, three), "invited")
    matches = ok(await region.http.get(f"/v1/opportunities/{oid}/matches", headers=staff))
    assert all(m["invited"] for m in matches["matches"])


async def test_inviting_refuses_bad_requests(region: Region) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Carers Centre", kind="charity")
    [(pid, person)] = await _people(region, 1)
    oid = (await region.publish(staff))["opportunity_id"]
    await invite(region, staff, oid, pid)
    url = f"/v1/opportunities/{oid}/invitations"
    assert_problem(await region.http.post(url, json={"participant_ids": [pid]}, headers=staff),
                   409, "already has an invitation")
    assert_problem(await region.http.post(url, json={"participant_ids": [pid], "top": 1},
                                          headers=staff), 422, "either")
    assert_problem(await region.http.post(url, json={}, headers=staff), 422, "either")
    assert_problem(await region.http.post(url, json={"participant_ids": [MISSING, MISSING]},
                                          headers=staff), 422, "repeat")
    assert_problem(await region.http.post(url, json={"top": 0}, headers=staff), 422, "top")
    assert_problem(await region.http.post(url, json={"participant_ids": [MISSING]},
                                          headers=staff), 422, "not in the pool")
    for who in (other_staff, person):
        assert_problem(await region.http.post(url, json={"top": 1}, headers=who), 403, "only")
        assert_problem(await region.http.get(url, headers=who), 403, "only")
    assert_problem(await region.http.post(f"/v1/opportunities/{MISSING}/invitations",
                                          json={"top": 1}, headers=staff), 404, MISSING)


async def test_accept_takes_a_seat_until_they_are_full_then_waitlists(region: Region) -> None:
    _, staff = await region.organisation()
    people = await _people(region, 3)
    (one, me), (two, you), (three, them) = people
    oid = (await region.publish(staff, seats=2))["opportunity_id"]
    first, second, third = await invite(region, staff, oid, one, two, three)
    assert (await accept(region, first, me))["status"] == "assigned"
    assert await _events(region, oid, "OpportunityFilled") == []
    assert (await accept(region, second, you))["status"] == "assigned"
    [filled] = await _events(region, oid, "OpportunityFilled")
    assert filled["seats"] == 2
    assert (await accept(region, third, them))["status"] == "waitlisted"
    assert await statuses(region, staff, oid) == {one: "assigned", two: "assigned",
                                                  three: "waitlisted"}
    seen = ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))
    assert (seen["assigned"], seen["seats"]) == (2, 2)
    assigned = await _events(region, oid, "ParticipantAssigned")
    assert [(a["participant_id"], a["from_waitlist"]) for a in assigned] == [
        (one, False), (two, False)]
    assert_problem(await region.http.post(f"/v1/invitations/{first}/accept", headers=me),
                   409, "assigned")
    assert_problem(await region.http.post(f"/v1/invitations/{third}/accept", headers=them),
                   409, "waitlisted")


async def test_standing_down_gives_the_seat_to_the_first_on_the_waitlist(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you), (three, them), (four, others) = await _people(region, 4)
    oid = (await region.publish(staff, seats=1))["opportunity_id"]
    invitations = await invite(region, staff, oid, one, two, three, four)
    for invitation, person in zip(invitations, (me, you, them, others), strict=True):
        await accept(region, invitation, person)
    assert await statuses(region, staff, oid) == {one: "assigned", two: "waitlisted",
                                                  three: "waitlisted", four: "waitlisted"}
    url = f"/v1/opportunities/{oid}/stand-down"
    assert_problem(await region.http.post(url, json={"participant_id": one}, headers=you),
                   403, "only")
    assert_problem(await region.http.post(url, json={"participant_id": two}, headers=you),
                   409, "holds no seat")
    after = ok(await region.http.post(url, json={"participant_id": one}, headers=me))
    assert after["assigned"] == 1
    assert await statuses(region, staff, oid) == {one: "stood_down", two: "assigned",
                                                  three: "waitlisted", four: "waitlisted"}
    ok(await region.http.post(url, json={"participant_id": two}, headers=staff))  # staff for them
    assert await statuses(region, staff, oid) == {one: "stood_down", two: "stood_down",
                                                  three: "assigned", four: "waitlisted"}
    assigned = await _events(region, oid, "ParticipantAssigned")
    assert [(a["participant_id"], a["from_waitlist"]) for a in assigned] == [
        (one, False), (two, True), (three, True)]
    assert len(await _events(region, oid, "OpportunityFilled")) == 3  # filled again each time
    assert_problem(await region.http.post(url, json={"participant_id": one}, headers=me),
                   409, "holds no seat")


async def test_more_seats_take_people_off_the_waitlist(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = (await region.publish(staff, seats=1))["opportunity_id"]
    first, second = await invite(region, staff, oid, one, two)
    await accept(region, first, me)
    await accept(region, second, you)
    more = ok(await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 2},
                                      headers=staff))
    assert more["assigned"] == 2
    assert await statuses(region, staff, oid) == {one: "assigned", two: "assigned"}
    [_, from_waitlist] = await _events(region, oid, "ParticipantAssigned")
    assert from_waitlist["from_waitlist"] is True
    # full at one seat, then full again at two
    assert [e["seats"] for e in await _events(region, oid, "OpportunityFilled")] == [1, 2]


async def test_fewer_seats_can_fill_the_opportunity(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = (await region.publish(staff, seats=3))["opportunity_id"]
    first, second = await invite(region, staff, oid, one, two)
    await accept(region, first, me)
    await accept(region, second, you)
    ok(await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 2}, headers=staff))
    assert [e["seats"] for e in await _events(region, oid, "OpportunityFilled")] == [2]


async def test_declining_needs_no_reason_and_costs_nothing_in_ranking(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, _) = await _people(region, 2)
    oid = (await region.publish(staff))["opportunity_id"]
    later = (await region.publish(staff, title="Another workshop"))["opportunity_id"]
    before = await _score(region, staff, later, one)
    assert before == await _score(region, staff, later, two)
    [invitation] = await invite(region, staff, oid, one)
    declined = ok(await region.http.post(f"/v1/invitations/{invitation}/decline", headers=me))
    assert declined["status"] == "declined"
    assert await _score(region, staff, later, one) == before
    assert await _score(region, staff, oid, one) == before  # even for the one declined
    assert_problem(await region.http.post(f"/v1/invitations/{invitation}/accept", headers=me),
                   409, "declined")
    assert_problem(await region.http.post(f"/v1/invitations/{invitation}/decline",
                                          headers=me), 409, "declined")
    [seated] = await assign(region, staff, later, (one, me))
    assert_problem(await region.http.post(f"/v1/invitations/{seated}/decline", headers=me),
                   409, "stand down instead")


async def test_an_expired_invitation_cannot_be_accepted(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = (await region.publish(staff))["opportunity_id"]
    first, second = await invite(region, staff, oid, one, two)
    later = now() + timedelta(days=15)
    region.state.opportunities.clock = lambda: later
    assert_problem(await region.http.post(f"/v1/invitations/{first}/accept", headers=me),
                   410, "expired")
    assert await region.state.opportunities.expire_lapsed_invitations() == 2
    assert await statuses(region, staff, oid) == {one: "expired", two: "expired"}
    assert await region.state.opportunities.expire_lapsed_invitations() == 0
    assert [e["participant_id"] for e in await _events(region, oid, "InvitationExpired")] == [
        one, two]
    declined = await region.http.post(f"/v1/invitations/{second}/decline", headers=you)
    assert_problem(declined, 409, "expired")

    async def on_record() -> bool:
        record = ok(await region.http.get(f"/v1/participants/{one}/involvement", headers=me))
        return [i["status"] for i in record["invitations"]] == ["expired"]

    await eventually(on_record, "the person's record shows the invitation expired")


async def test_an_invitation_the_sweep_expired_is_gone_too(region: Region) -> None:
    _, staff = await region.organisation()
    [(pid, me)] = await _people(region, 1)
    oid = (await region.publish(staff))["opportunity_id"]
    [invitation] = await invite(region, staff, oid, pid)
    later = now() + timedelta(days=15)
    region.state.opportunities.clock = lambda: later
    await region.state.opportunities.expire_lapsed_invitations()
    assert await statuses(region, staff, oid) == {pid: "expired"}
    assert_problem(await region.http.post(f"/v1/invitations/{invitation}/accept", headers=me),
                   410, "expired")


async def test_only_the_person_invited_answers(region: Region) -> None:
    _, staff = await region.organisation()
    (one, _), (_, you) = await _people(region, 2)
    oid = (await region.publish(staff))["opportunity_id"]
    [invitation] = await invite(region, staff, oid, one)
    for answer in ("accept", "decline"):
        assert_problem(await region.http.post(f"/v1/invitations/{invitation}/{answer}",
                                              headers=you), 404, invitation)
        assert_problem(await region.http.post(f"/v1/invitations/{invitation}/{answer}",
                                              headers=staff), 403, "only the person invited")
        assert_problem(await region.http.post(f"/v1/invitations/{MISSING}/{answer}",
                                              headers=you), 404, MISSING)
    assert await statuses(region, staff, oid) == {one: "invited"}


async def test_no_one_matching_leaves_out_can_be_invited(region: Region) -> None:
    _, staff = await region.organisation()
    other, _ = await region.organisation("Example Carers Centre", kind="charity")
    elsewhere, _ = await region.person(consent={"scope": "organisations",
                                                "organisation_ids": [other]})
    [(pid, me)] = await _people(region, 1)
    await region.pool_has(elsewhere)
    ok(await region.registry.http.post(f"/v1/participants/{pid}/pause", headers=me))
    await region.pool_has(pid, status="paused")
    oid = (await region.publish(staff))["opportunity_id"]
    refused = await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                     json={"participant_ids": [pid]}, headers=staff)
    assert_problem(refused, 422, pid, "cannot be invited", "paused")
    [(fits, _)] = await _people(region, 1)
    together = await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                      json={"participant_ids": [fits, pid]}, headers=staff)
    assert_problem(together, 422, pid, "paused")
    assert await statuses(region, staff, oid) == {}  # all or nobody
    refused = await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                     json={"participant_ids": [elsewhere]}, headers=staff)
    assert_problem(refused, 422, elsewhere, "not consented")
    top = ok(await region.http.post(f"/v1/opportunities/{oid}/invitations", json={"top": 5},
                                    headers=staff), 201)
    assert [i["participant_id"] for i in top] == [fits]


async def test_pausing_withdraws_open_invitations_but_keeps_seats(region: Region) -> None:
    _, staff = await region.organisation()
    [(pid, me)] = await _people(region, 1)
    offered = (await region.publish(staff))["opportunity_id"]
    seated = (await region.publish(staff, title="Another workshop"))["opportunity_id"]
    await invite(region, staff, offered, pid)
    await assign(region, staff, seated, (pid, me))
    ok(await region.registry.http.post(f"/v1/participants/{pid}/pause", headers=me))
    await _until(region, staff, offered, {pid: "withdrawn"})
    [withdrawn] = await _events(region, offered, "InvitationWithdrawn")
    assert withdrawn["reason"] == "participant_paused"
    assert await statuses(region, staff, seated) == {pid: "assigned"}


async def test_leaving_gives_up_the_seat_and_the_waitlist_fills_it(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you), (three, _) = await _people(region, 3)
    oid = (await region.publish(staff, seats=1))["opportunity_id"]
    elsewhere = (await region.publish(staff, title="Another workshop"))["opportunity_id"]
    first, second = await invite(region, staff, oid, one, two)
    await accept(region, first, me)
    await accept(region, second, you)
    await invite(region, staff, elsewhere, one, three)
    ok(await region.registry.http.post(f"/v1/participants/{one}/leave", headers=me))
    await _until(region, staff, oid, {one: "stood_down", two: "assigned"})
    await _until(region, staff, elsewhere, {one: "withdrawn", three: "invited"})
    [stood_down] = await _events(region, oid, "ParticipantStoodDown")
    assert stood_down["participant_id"] == one
    assert (await _events(region, oid, "ParticipantAssigned"))[-1]["from_waitlist"] is True
    [withdrawn] = await _events(region, elsewhere, "InvitationWithdrawn")
    assert withdrawn["reason"] == "participant_left"
    assert ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))["assigned"] == 1


async def test_erasure_withdraws_open_invitations_and_gives_up_seats(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = (await region.publish(staff, seats=1))["opportunity_id"]
    elsewhere = (await region.publish(staff, title="Another workshop"))["opportunity_id"]
    first, second = await invite(region, staff, oid, one, two)
    await accept(region, first, me)
    await accept(region, second, you)
    await invite(region, staff, elsewhere, two)
    erased = await region.registry.http.delete(f"/v1/participants/{two}", headers=you)
    assert erased.status_code == 204, erased.text
    await _until(region, staff, oid, {one: "assigned", two: "withdrawn"})
    await _until(region, staff, elsewhere, {two: "withdrawn"})
    assert {e["reason"] for e in await _events(region, elsewhere, "InvitationWithdrawn")} == {
        "participant_erased"}
    erased = await region.registry.http.delete(f"/v1/participants/{one}", headers=me)
    assert erased.status_code == 204, erased.text
    await _until(region, staff, oid, {one: "stood_down", two: "withdrawn"})
    matches = ok(await region.http.get(f"/v1/opportunities/{oid}/matches", headers=staff))
    assert matches["matches"] == []


async def test_closing_or_withdrawing_withdraws_open_invitations(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you), (three, them) = await _people(region, 3)
    oid = (await region.publish(staff, seats=1))["opportunity_id"]
    first, second, third = await invite(region, staff, oid, one, two, three)
    await accept(region, first, me)
    await accept(region, second, you)
    ok(await region.http.post(f"/v1/opportunities/{oid}/close", headers=staff))
    assert await statuses(region, staff, oid) == {one: "assigned", two: "withdrawn",
                                                  three: "withdrawn"}
    assert {e["reason"] for e in await _events(region, oid, "InvitationWithdrawn")} == {
        "opportunity_closed"}
    assert_problem(await region.http.post(f"/v1/invitations/{third}/accept", headers=them),
                   409, "withdrawn")
    stopped = (await region.publish(staff, seats=1))["opportunity_id"]
    first, second = await invite(region, staff, stopped, one, two)
    await accept(region, first, me)
    ok(await region.http.post(f"/v1/opportunities/{stopped}/withdraw", headers=staff))
    assert await statuses(region, staff, stopped) == {one: "assigned", two: "withdrawn"}
    assert {e["reason"] for e in await _events(region, stopped, "InvitationWithdrawn")} == {
        "opportunity_withdrawn"}
    assert_problem(await region.http.post(f"/v1/invitations/{second}/accept", headers=you),
                   409, "withdrawn")
