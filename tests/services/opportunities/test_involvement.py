"""Involvement through HTTP: sessions held, expenses claimed, advanced, approved and paid
(mileage across organisations and tax years), involvement payments under the rate card,
and each person's record of it all."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

from opportunities.projections import InvolvementRecord
from tests.services.opportunities.conftest import Headers, Region
from tests.services.opportunities.steps import (
    assert_problem,
    assign,
    change_profile,
    eventually,
    hold_session,
    now,
    ok,
)

MISSING = "00000000-0000-4000-8000-000000000000"
Person = tuple[str, Headers]


async def _people(region: Region, count: int) -> list[Person]:
    people = [await region.person() for _ in range(count)]
    await region.pool_has(*(pid for pid, _ in people))
    return people


async def _seated(region: Region, staff: Headers, *people: Person, **changes: Any) -> str:
    """An opportunity with a seat for each of these people, each assigned to it."""
    oid = str((await region.publish(staff, seats=max(len(people), 1),
                                    **changes))["opportunity_id"])
    await assign(region, staff, oid, *people)
    return oid


def _session(starts: datetime, hours: float, **attended: float) -> dict[str, Any]:
    return {"starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=hours)).isoformat(),
            "attendance": [{"participant_id": p, "hours": h} for p, h in attended.items()]}


async def _claim(region: Region, who: Headers, pid: str, oid: str, sid: str,
                 **body: Any) -> httpx.Response:
    return await region.http.post("/v1/expenses", headers=who, json={
        "participant_id": pid, "opportunity_id": oid, "session_id": sid, **body})


async def _miles(region: Region, who: Headers, pid: str, oid: str, sid: str,
                 miles: int) -> dict[str, Any]:
    return dict(ok(await _claim(region, who, pid, oid, sid, kind="mileage", miles=miles), 201))


async def _pay(region: Region, staff: Headers, oid: str, sid: str, pid: str,
               **body: Any) -> httpx.Response:
    return await region.http.post(f"/v1/opportunities/{oid}/payments", headers=staff,
                                  json={"session_id": sid, "participant_id": pid, **body})


# -- sessions held ------------------------------------------------------------------------


async def test_a_session_held_records_the_time_each_person_took_part(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    planned = (now() - timedelta(days=2)).replace(microsecond=0)
    oid = await _seated(region, staff, (one, me), (two, you), sessions=[{
        "starts_at": planned.isoformat(),
        "ends_at": (planned + timedelta(hours=2)).isoformat()}])
    starts = now() - timedelta(hours=5)
    held = ok(await region.http.post(f"/v1/opportunities/{oid}/sessions", headers=staff,
                                     json=_session(starts, 3, **{one: 2.75, two: 1.5})), 201)
    assert (held["opportunity_id"], held["stage"]) == (oid, "design")
    assert datetime.fromisoformat(held["starts_at"]) == starts
    assert {(a["participant_id"], a["minutes"]) for a in held["attendance"]} == {
        (one, 165), (two, 90)}
    nobody = ok(await region.http.post(f"/v1/opportunities/{oid}/sessions", headers=staff,
                                       json=_session(starts, 1)), 201)
    assert nobody["attendance"] == []
    sid = ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))["sessions"][0][
        "session_id"]
    as_planned = _session(planned, 2, **{one: 2}) | {"scheduled_session_id": sid}
    held = ok(await region.http.post(f"/v1/opportunities/{oid}/sessions", json=as_planned,
                                     headers=staff), 201)
    assert held["attendance"] == [{"participant_id": one, "minutes": 120, "paid": False}]


async def test_a_session_is_refused_when_it_breaks_a_rule_or_is_not_yours(region: Region) -> None:
    _, staff = await region.organisation()
    (one, me), (stranger, _) = await _people(region, 2)
    oid = await _seated(region, staff, (one, me))
    url = f"/v1/opportunities/{oid}/sessions"
    past = now() - timedelta(days=1)
    cases: list[tuple[dict[str, Any], str]] = [
        (_session(past, 3, **{stranger: 1}), "never assigned"),
        (_session(past, 3, **{one: 1.3}), "multiple of 0.25"),
        (_session(past, 3, **{one: 0}), "greater than 0"),
        (_session(past, 3, **{one: -1}), "greater than 0"),
        (_session(past, 30, **{one: 25}), "less than or equal to 24"),
        (_session(past, 3, **{one: 3.25}), "no longer than the session"),
        (_session(past, -1), "end after it starts"),
        (_session(past, 0), "end after it starts"),
        (_session(now() - timedelta(hours=1), 3), "once it has ended"),
        (_session(past, 3) | {"attendance": [{"participant_id": one, "hours": 1},
                                             {"participant_id": one, "hours": 2}]}, "once"),
        (_session(past, 3) | {"starts_at": past.replace(tzinfo=None).isoformat()}, "timezone"),
        (_session(past, 3) | {"attendance": [{"participant_id": one}]}, "hours"),
    ]
    for body, named in cases:
        assert_problem(await region.http.post(url, json=body, headers=staff), 422, named)
    scheduled = _session(past, 3) | {"scheduled_session_id": MISSING}
    assert_problem(await region.http.post(url, json=scheduled, headers=staff), 404, MISSING)
    _, other_staff = await region.organisation("Example Carers Centre", kind="charity")
    body = _session(past, 2, **{one: 2})
    for who in (me, other_staff):
        assert_problem(await region.http.post(url, json=body, headers=who), 403, "only")
    ok(await region.http.post(f"/v1/opportunities/{oid}/close", headers=staff))
    ok(await region.http.post(url, json=body, headers=staff), 201)  # the seated carry on
    ok(await region.http.post(f"/v1/opportunities/{oid}/withdraw", headers=staff))
    assert_problem(await region.http.post(url, json=body, headers=staff), 410, "withdrawn")


# -- expenses -------------------------------------------------------------------------------


async def test_an_expense_is_claimed_approved_and_paid(region: Region) -> None:
    org, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = await _seated(region, staff, (one, me), (two, you))
    sid = (await hold_session(region, staff, oid, {one: 3, two: 3}))["session_id"]
    fare = ok(await _claim(region, me, one, oid, sid, kind="public_transport",
                           amount_pence=1250), 201)
    assert (fare["status"], fare["amount_pence"], fare["miles"], fare["organisation_id"]) == (
        "claimed", 1250, None, org)
    cover = ok(await _claim(region, staff, one, oid, sid, kind="carer_or_childcare_cover",
                            amount_pence=4000), 201)  # staff claim on the person's behalf
    assert cover["participant_id"] == one
    assert_problem(await _claim(region, you, one, oid, sid, kind="meals", amount_pence=500),
                   403, "only the person")
    expense = fare["expense_id"]
    assert ok(await region.http.get(f"/v1/expenses/{expense}", headers=me)) == fare
    assert_problem(await region.http.get(f"/v1/expenses/{expense}", headers=you), 403, "only")
    assert_problem(await region.http.post(f"/v1/expenses/{expense}/pay", headers=staff),
                   409, "only a approved expense")
    for who in (me, you):
        assert_problem(await region.http.post(f"/v1/expenses/{expense}/approve", headers=who),
                       403, "only the staff")
    approved = ok(await region.http.post(f"/v1/expenses/{expense}/approve", headers=staff))
    assert (approved["status"], approved["version"]) == ("approved", 2)
    assert_problem(await region.http.post(f"/v1/expenses/{expense}/approve", headers=staff),
                   409, "approved")
    three_days_on = now() + timedelta(days=3)
    region.state.expenses.clock = lambda: three_days_on
    paid = ok(await region.http.post(f"/v1/expenses/{expense}/pay", headers=staff))
    assert paid["status"] == "paid"
    assert_problem(await region.http.post(f"/v1/expenses/{expense}/reject",
                                          json={"reason": "late"}, headers=staff), 409, "paid")

    async def listed() -> list[dict[str, Any]]:
        return list(ok(await region.http.get("/v1/expenses", headers=staff, params={
            "organisation_id": org, "status": "paid"})))

    [row] = await eventually(listed, "the paid expense is listed")
    assert (row["expense_id"], row["days_to_payment"], row["amount_pence"]) == (
        expense, 3, 1250)
    claimed = ok(await region.http.get("/v1/expenses", headers=staff, params={
        "organisation_id": org, "status": "claimed"}))
    assert [r["expense_id"] for r in claimed] == [cover["expense_id"]]
    assert_problem(await region.http.get("/v1/expenses", headers=me,
                                         params={"organisation_id": org}), 403, "only")
    assert_problem(await region.http.get(f"/v1/expenses/{MISSING}", headers=staff), 404,
                   MISSING)


async def test_a_claim_refuses_what_was_not_attended_or_is_out_of_bounds(
    region: Region,
) -> None:
    _, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = await _seated(region, staff, (one, me), (two, you))
    sid = (await hold_session(region, staff, oid, {one: 2}))["session_id"]
    assert_problem(await _claim(region, you, two, oid, sid, kind="parking", amount_pence=600),
                   422, two, "did not attend")
    assert_problem(await _claim(region, me, one, oid, MISSING, kind="parking",
                                amount_pence=600), 404, MISSING)
    assert_problem(await _claim(region, me, one, MISSING, sid, kind="parking",
                                amount_pence=600), 404, MISSING)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "parking", "amount_pence": 0}, "amount_pence"),
        ({"kind": "parking", "amount_pence": -500}, "amount_pence"),
        ({"kind": "parking", "amount_pence": 100_001}, "amount_pence"),
        ({"kind": "parking", "amount_pence": 12.5}, "amount_pence"),
        ({"kind": "mileage", "miles": 0}, "miles"),
        ({"kind": "mileage", "miles": -12}, "miles"),
        ({"kind": "mileage", "miles": 1_001}, "miles"),
        ({"kind": "teleport", "amount_pence": 100}, "kind"),
        ({"kind": "other", "amount_pence": 900}, "receipt_reference"),
        ({"kind": "other", "amount_pence": 900, "receipt_reference": ""}, "receipt_reference"),
        ({"kind": "mileage"}, "miles"),
        ({"kind": "mileage", "miles": 12, "amount_pence": 540}, "amount_pence"),
        ({"kind": "parking"}, "amount_pence"),
        ({"kind": "parking", "amount_pence": 500, "miles": 3}, "mileage"),
    ]
    for body, named in cases:
        assert_problem(await _claim(region, me, one, oid, sid, **body), 422, named)
    receipt = ok(await _claim(region, me, one, oid, sid, kind="other", amount_pence=900,
                              receipt_reference="R-2041"), 201)
    assert receipt["amount_pence"] == 900


async def test_rejecting_a_mileage_claim_gives_back_its_miles(region: Region) -> None:
    _, staff = await region.organisation()
    [(one, me)] = await _people(region, 1)
    oid = await _seated(region, staff, (one, me))
    sid = (await hold_session(region, staff, oid, {one: 2}))["session_id"]
    claims = [await _miles(region, me, one, oid, sid, 1_000) for _ in range(10)]
    assert [c["higher_rate_miles"] for c in claims] == [1_000] * 10
    over = await _miles(region, me, one, oid, sid, 20)
    assert (over["amount_pence"], over["higher_rate_miles"]) == (500, 0)
    rejected = ok(await region.http.post(f"/v1/expenses/{claims[0]['expense_id']}/reject",
                                         json={"reason": "claimed twice"}, headers=staff))
    assert rejected["status"] == "rejected"
    again = await _miles(region, me, one, oid, sid, 20)
    assert (again["amount_pence"], again["higher_rate_miles"]) == (20 * 45, 20)
    assert_problem(await region.http.post(f"/v1/expenses/{claims[1]['expense_id']}/reject",
                                          json={"reason": ""}, headers=staff), 422, "reason")
    assert_problem(await region.http.post(f"/v1/expenses/{claims[1]['expense_id']}/reject",
                                          json={"reason": "no"}, headers=me), 403, "only")


async def test_mileage_counts_across_organisations_and_starts_again_each_tax_year(
    region: Region,
) -> None:
    _, trust = await region.organisation()
    _, charity = await region.organisation("Example Carers Centre", kind="charity")
    [(one, me)] = await _people(region, 1)
    at_trust = await _seated(region, trust, (one, me))
    at_charity = await _seated(region, charity, (one, me))
    fifth_april = datetime(2025, 4, 5, 10, tzinfo=UTC)
    sixth_april = datetime(2025, 4, 6, 10, tzinfo=UTC)
    trust_session = (await hold_session(region, trust, at_trust, {one: 3},
                                        starts_at=fifth_april))["session_id"]
    claims = [await _miles(region, me, one, at_trust, trust_session, 1_000) for _ in range(9)]
    claims.append(await _miles(region, me, one, at_trust, trust_session, 990))
    assert sum(c["miles"] for c in claims) == 9_990
    assert [c["amount_pence"] for c in claims] == [45_000] * 9 + [44_550]
    same_year = (await hold_session(region, charity, at_charity, {one: 2},
                                    starts_at=fifth_april + timedelta(hours=4)))["session_id"]
    crossing = await _miles(region, me, one, at_charity, same_year, 20)
    assert (crossing["amount_pence"], crossing["higher_rate_miles"]) == (10 * 45 + 10 * 25, 10)
    assert crossing["amount_pence"] == 700
    after = await _miles(region, me, one, at_charity, same_year, 4)
    assert (after["amount_pence"], after["higher_rate_miles"]) == (100, 0)
    next_year = (await hold_session(region, charity, at_charity, {one: 2},
                                    starts_at=sixth_april))["session_id"]
    fresh = await _miles(region, me, one, at_charity, next_year, 20)
    assert (fresh["amount_pence"], fresh["higher_rate_miles"]) == (900, 20)


async def test_an_advance_is_paid_before_a_scheduled_session(region: Region) -> None:
    org, staff = await region.organisation()
    (one, me), (two, _) = await _people(region, 2)
    yesterday = (now() - timedelta(days=1)).replace(microsecond=0)
    soon = (now() + timedelta(days=7)).replace(microsecond=0)
    sessions = [{"starts_at": s.isoformat(), "ends_at": (s + timedelta(hours=2)).isoformat()}
                for s in (yesterday, soon)]
    oid = await _seated(region, staff, (one, me), sessions=sessions)
    scheduled = ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))["sessions"]
    started, coming = (s["session_id"] for s in sorted(scheduled, key=lambda s: s["starts_at"]))

    async def advance(who: Headers, **body: Any) -> httpx.Response:
        return await region.http.post("/v1/expenses/advances", headers=who, json={
            "participant_id": one, "opportunity_id": oid, "session_id": coming,
            "kind": "public_transport", "amount_pence": 1800} | body)

    advanced = ok(await advance(staff), 201)
    assert (advanced["status"], advanced["amount_pence"], advanced["kind"]) == (
        "advanced", 1800, "public_transport")
    assert_problem(await region.http.post(f"/v1/expenses/{advanced['expense_id']}/approve",
                                          headers=staff), 422, "already paid")
    assert_problem(await advance(staff, kind="mileage"), 422, "mileage")
    assert_problem(await advance(staff, participant_id=two), 422, two, "holds no seat")
    assert_problem(await advance(staff, session_id=started), 422, "started")
    assert_problem(await advance(staff, session_id=MISSING), 404, MISSING)
    assert_problem(await advance(staff, amount_pence=0), 422, "amount_pence")
    assert_problem(await advance(me), 403, "staff")

    async def listed() -> list[dict[str, Any]]:
        return list(ok(await region.http.get("/v1/expenses", headers=staff, params={
            "organisation_id": org, "status": "advanced"})))

    [row] = await eventually(listed, "the advance is listed")
    assert (row["days_to_payment"], row["amount_pence"]) == (0, 1800)


# -- involvement payments -------------------------------------------------------------------


async def test_the_rate_card_starts_at_the_common_rates_and_can_be_set(region: Region) -> None:
    org, staff = await region.organisation()
    other, other_staff = await region.organisation("Example Carers Centre", kind="charity")
    url = f"/v1/organisations/{org}/rate-card"
    assert ok(await region.http.get(url, headers=staff)) == {
        "organisation_id": org, "hourly_pence": 2_500, "half_day_pence": 7_500,
        "full_day_pence": 15_000}
    rates = {"hourly_pence": 3_000, "half_day_pence": 9_000, "full_day_pence": 16_000}
    assert ok(await region.http.put(url, json=rates, headers=staff)) == {
        "organisation_id": org, **rates}
    assert ok(await region.http.get(url, headers=staff)) == {"organisation_id": org, **rates}
    assert ok(await region.http.get(f"/v1/organisations/{other}/rate-card",
                                    headers=other_staff))["hourly_pence"] == 2_500
    _, person = await region.person()
    for who in (other_staff, person):
        assert_problem(await region.http.get(url, headers=who), 403, "only")
        assert_problem(await region.http.put(url, json=rates, headers=who), 403, "only")
    for bad, named in (({"half_day_pence": 20_000}, "half day"),
                       ({"hourly_pence": 0}, "hourly_pence"),
                       ({"full_day_pence": 200_001}, "full_day_pence")):
        assert_problem(await region.http.put(url, json=rates | bad, headers=staff), 422, named)
    assert ok(await region.http.get(url, headers=staff)) == {"organisation_id": org, **rates}


async def test_sessional_pays_half_or_full_days_and_hourly_pays_the_time(
    region: Region,
) -> None:
    org, staff = await region.organisation()
    (one, me), (two, you) = await _people(region, 2)
    oid = await _seated(region, staff, (one, me), (two, you))
    sid = (await hold_session(region, staff, oid, {one: 3.75, two: 4}, length=5))["session_id"]
    half = ok(await _pay(region, staff, oid, sid, one), 201)
    assert (half["rate"], half["minutes"], half["amount_due_pence"],
            half["amount_paid_pence"], half["outcome"]) == ("half_day", 225, 7_500, 7_500, "paid")
    full = ok(await _pay(region, staff, oid, sid, two), 201)
    assert (full["rate"], full["amount_due_pence"], full["amount_paid_pence"]) == (
        "full_day", 15_000, 15_000)
    assert_problem(await _pay(region, staff, oid, sid, one), 409, "already been paid")
    hourly = await _seated(region, staff, (one, me), payment_basis="hourly")
    hour_session = (await hold_session(region, staff, hourly, {one: 2.5}))["session_id"]
    ok(await region.http.put(f"/v1/organisations/{org}/rate-card", headers=staff, json={
        "hourly_pence": 3_000, "half_day_pence": 9_000, "full_day_pence": 16_000}))
    paid = ok(await _pay(region, staff, hourly, hour_session, one), 201)
    assert (paid["rate"], paid["minutes"], paid["amount_paid_pence"]) == ("hourly", 150, 7_500)


async def test_payments_honour_each_persons_preference(region: Region) -> None:
    _, staff = await region.organisation()
    people = await _people(region, 5)
    takes, reduces, declines, donates, volunteers = people
    await change_profile(region, *reduces, payment_preference="reduce",
                         payment_reduced_to_pence=2_000)
    await change_profile(region, *declines, payment_preference="decline")
    await change_profile(region, *donates, payment_preference="donate")
    await change_profile(region, *volunteers, payment_preference="expenses_only")
    oid = await _seated(region, staff, *people)
    sid = (await hold_session(region, staff, oid, {pid: 3 for pid, _ in people}))["session_id"]

    async def paid(person: Person, **body: Any) -> tuple[int, int, str]:
        made = ok(await _pay(region, staff, oid, sid, person[0], **body), 201)
        return made["amount_due_pence"], made["amount_paid_pence"], made["outcome"]

    assert_problem(await _pay(region, staff, oid, sid, takes[0], reduced_to_pence=100), 422,
                   "only for people who reduce")
    assert await paid(takes) == (7_500, 7_500, "paid")
    assert_problem(await _pay(region, staff, oid, sid, reduces[0]), 422, "reduced_to_pence")
    assert_problem(await _pay(region, staff, oid, sid, reduces[0], reduced_to_pence=7_501),
                   422, "reduced_to_pence")
    assert await paid(reduces, reduced_to_pence=2_000) == (7_500, 2_000, "reduced")
    assert await paid(declines) == (7_500, 0, "declined")
    assert await paid(donates) == (7_500, 0, "donated")
    assert_problem(await _pay(region, staff, oid, sid, volunteers[0]), 422, "volunteers")
    assert_problem(await _pay(region, staff, oid, sid, takes[0]), 409, "already been paid")


async def test_staff_list_the_sessions_held_with_whose_time_is_paid(region: Region) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Another Trust")
    (one, me), (two, _) = await _people(region, 2)
    oid = await _seated(region, staff, (one, me), (two, _))
    first = (await hold_session(region, staff, oid, {one: 2, two: 3}))["session_id"]
    ok(await _pay(region, staff, oid, first, one), 201)
    path = f"/v1/opportunities/{oid}/sessions"
    held = ok(await region.http.get(path, headers=staff))
    assert [s["session_id"] for s in held] == [first]
    assert {(a["participant_id"], a["minutes"], a["paid"]) for a in held[0]["attendance"]} == {
        (one, 120, True), (two, 180, False)}
    for outsider in (other_staff, me):
        assert_problem(await region.http.get(path, headers=outsider), 403, "sessions")
    assert_problem(await region.http.get(f"/v1/opportunities/{MISSING}/sessions",
                                         headers=staff), 404, MISSING)


async def test_payments_are_refused_when_nothing_is_owed(region: Region) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Carers Centre", kind="charity")
    (one, me), (two, you) = await _people(region, 2)
    oid = await _seated(region, staff, (one, me), (two, you))
    sid = (await hold_session(region, staff, oid, {one: 2}))["session_id"]
    assert_problem(await _pay(region, staff, oid, sid, two), 422, two, "did not attend")
    assert_problem(await _pay(region, staff, oid, MISSING, one), 404, MISSING)
    for who in (me, other_staff):
        assert_problem(await _pay(region, who, oid, sid, one), 403, "only")
    unpaid = await _seated(region, staff, (one, me), remuneration="expenses_only",
                           payment_basis=None)
    unpaid_session = (await hold_session(region, staff, unpaid, {one: 2}))["session_id"]
    assert_problem(await _pay(region, staff, unpaid, unpaid_session, one), 422,
                   "expenses only")


# -- the person's record --------------------------------------------------------------------


async def test_a_person_sees_their_involvement_across_organisations(region: Region) -> None:
    trust, trust_staff = await region.organisation()
    charity, charity_staff = await region.organisation("Example Carers Centre", kind="charity")
    (one, me), (_, you) = await _people(region, 2)
    at_trust = await _seated(region, trust_staff, (one, me))
    at_charity = await _seated(region, charity_staff, (one, me))
    declined = (await region.publish(trust_staff, title="Another workshop"))["opportunity_id"]
    [invitation] = ok(await region.http.post(f"/v1/opportunities/{declined}/invitations",
                                             json={"participant_ids": [one]},
                                             headers=trust_staff), 201)
    ok(await region.http.post(f"/v1/invitations/{invitation['invitation_id']}/decline",
                              headers=me))
    trust_session = (await hold_session(region, trust_staff, at_trust, {one: 2}))["session_id"]
    charity_session = (await hold_session(region, charity_staff, at_charity,
                                          {one: 3.5}, length=4))["session_id"]
    parking = ok(await _claim(region, me, one, at_trust, trust_session, kind="parking",
                              amount_pence=600), 201)["expense_id"]
    ok(await region.http.post(f"/v1/expenses/{parking}/approve", headers=trust_staff))
    ok(await region.http.post(f"/v1/expenses/{parking}/pay", headers=trust_staff))
    ok(await _claim(region, me, one, at_charity, charity_session, kind="meals",
                    amount_pence=850), 201)
    ok(await _pay(region, charity_staff, at_charity, charity_session, one), 201)
    url = f"/v1/participants/{one}/involvement"

    async def complete() -> dict[str, Any] | None:
        record = ok(await region.http.get(url, headers=me))
        done = (len(record["sessions"]) == 2 and len(record["payments"]) == 1
                and sorted(e["status"] for e in record["expenses"]) == ["claimed", "paid"]
                and sorted(i["status"] for i in record["invitations"]) == [
                    "assigned", "assigned", "declined"])
        return record if done else None

    record = await eventually(complete, "the involvement record holds everything")
    assert record["participant_id"] == one
    assert {s["organisation_id"] for s in record["sessions"]} == {trust, charity}
    assert sorted(s["minutes"] for s in record["sessions"]) == [120, 210]
    assert {i["opportunity_id"]: i["status"] for i in record["invitations"]} == {
        at_trust: "assigned", at_charity: "assigned", declined: "declined"}
    [payment] = record["payments"]
    assert (payment["organisation_id"], payment["amount_paid_pence"]) == (charity, 7_500)
    assert record["totals"] == {"sessions": 2, "minutes": 330, "expenses_paid_pence": 600,
                                "payments_received_pence": 7_500}
    for who in (you, trust_staff, charity_staff, await region.registry.admin()):
        assert_problem(await region.http.get(url, headers=who), 403, "only the person")


async def test_an_erased_persons_record_is_dropped_and_a_rebuild_brings_none_of_it_back(
        region: Region) -> None:
    trust, staff = await region.organisation()
    (gone, gone_headers), staying = await _people(region, 2)
    stays = staying[0]
    oid = await _seated(region, staff, (gone, gone_headers), staying)
    session = (await hold_session(region, staff, oid, {gone: 2, stays: 2}))["session_id"]
    ok(await _claim(region, gone_headers, gone, oid, session, kind="parking",
                    amount_pence=600), 201)
    ok(await _pay(region, staff, oid, session, gone), 201)

    async def expenses_listed() -> list[str]:
        listed = ok(await region.http.get("/v1/expenses", headers=staff,
                                          params={"organisation_id": trust}))
        return [e["participant_id"] for e in listed]

    await eventually(lambda: _true_if(expenses_listed, [gone]), "the claim being listed")
    erased = await region.registry.http.delete(f"/v1/participants/{gone}",
                                               headers=gone_headers)
    assert erased.status_code == 204, erased.text
    await eventually(lambda: _true_if(expenses_listed, []), "the claim being dropped")

    runner = next(r for r in region.app.state.runtime.runners
                  if r.projection.name == "involvement_record")
    await runner.reset()
    await runner.catch_up()
    assert await expenses_listed() == []
    async with region.app.state.runtime.db.snapshot() as tx:
        for table in InvolvementRecord.tables:
            rows = (await tx.conn.execute(select(table.c.participant_id))).scalars().all()
            assert UUID(gone) not in rows, table.name
            if table.name == "record_sessions":
                assert rows == [UUID(stays)]  # the others' record stands


async def _true_if(read: Any, wanted: list[str]) -> bool | None:
    return True if await read() == wanted else None
