"""The mileage quote through HTTP: what a mileage claim made today would pay, priced against
the miles already claimed in the network this tax year, so that the portal's calculator shows
exactly what the claim will be given. Whoever may make the claim may ask: the person, or staff
of an organisation they took part with."""

from typing import Any
from uuid import UUID

from chorus.auth import Principal, Role
from opportunities.domain.expenses import tax_year
from tests.services.opportunities.conftest import Headers, Region
from tests.services.opportunities.steps import (
    assert_problem,
    assign,
    eventually,
    hold_session,
    now,
    ok,
    outsider,
)

Person = tuple[str, Headers]


async def _attended(region: Region) -> tuple[Headers, Person, str, str]:
    """Staff, a person who attended a session of theirs an hour ago, the opportunity, the
    session held."""
    _, staff = await region.organisation()
    person = await region.person()
    await region.pool_has(person[0])
    oid = str((await region.publish(staff, seats=1))["opportunity_id"])
    await assign(region, staff, oid, person)
    sid = str((await hold_session(region, staff, oid, {person[0]: 2}))["session_id"])
    return staff, person, oid, sid


async def _quote(region: Region, who: Headers, pid: str, miles: Any) -> dict[str, Any]:
    return dict(ok(await region.http.get(f"/v1/participants/{pid}/mileage-quote",
                                         params={"miles": miles}, headers=who)))


async def _claim_miles(region: Region, who: Headers, pid: str, oid: str, sid: str,
                       miles: int) -> dict[str, Any]:
    return dict(ok(await region.http.post("/v1/expenses", headers=who, json={
        "participant_id": pid, "opportunity_id": oid, "session_id": sid, "kind": "mileage",
        "miles": miles}), 201))


async def test_a_quote_is_what_the_claim_then_pays(region: Region) -> None:
    _, (pid, me), oid, sid = await _attended(region)
    quote = await _quote(region, me, pid, 34)
    assert quote == {
        "participant_id": pid, "miles": 34, "higher_rate_miles": 34, "lower_rate_miles": 0,
        "amount_pence": 1530, "higher_rate_pence": 45, "lower_rate_pence": 25,
        "higher_rate_allowance_miles": 10_000, "already_claimed_miles": 0,
        "tax_year": tax_year(now().date())}
    claimed = await _claim_miles(region, me, pid, oid, sid, 34)
    assert (claimed["amount_pence"], claimed["higher_rate_miles"]) == (1530, 34)
    after = await _quote(region, me, pid, 34)
    assert (after["already_claimed_miles"], after["amount_pence"]) == (34, 1530)


async def test_miles_beyond_the_allowance_are_quoted_at_the_lower_rate(region: Region) -> None:
    _, (pid, me), oid, sid = await _attended(region)
    for _ in range(9):
        await _claim_miles(region, me, pid, oid, sid, 1_000)
    await _claim_miles(region, me, pid, oid, sid, 990)
    quote = await _quote(region, me, pid, 34)
    assert (quote["already_claimed_miles"], quote["higher_rate_miles"],
            quote["lower_rate_miles"], quote["amount_pence"]) == (9_990, 10, 24, 10 * 45 + 24 * 25)
    claimed = await _claim_miles(region, me, pid, oid, sid, 34)
    assert (claimed["amount_pence"], claimed["higher_rate_miles"]) == (
        quote["amount_pence"], quote["higher_rate_miles"])
    beyond = await _quote(region, me, pid, 10)
    assert (beyond["already_claimed_miles"], beyond["amount_pence"]) == (10_024, 250)


async def test_a_quote_is_only_for_the_person_or_staff_they_took_part_with(
    region: Region,
) -> None:
    staff, (pid, _), _, _ = await _attended(region)

    async def staff_may_ask() -> bool:  # once the person's record shows the session
        url = f"/v1/participants/{pid}/mileage-quote"
        answer = await region.http.get(url, params={"miles": 5}, headers=staff)
        return answer.status_code == 200 and answer.json()["amount_pence"] == 225

    await eventually(staff_may_ask, "staff may price the mileage of someone who came")
    other, someone_else = await region.person()
    _, charity = await region.organisation("Example Carers Centre", kind="charity")
    away = await outsider(region)
    # The charity is in the same network, but would learn what the person claimed elsewhere.
    for who in (someone_else, charity, away.staff, away.person):
        assert_problem(await region.http.get(f"/v1/participants/{pid}/mileage-quote",
                                             params={"miles": 5}, headers=who), 403, "only")
    assert_problem(await region.http.get(f"/v1/participants/{other}/mileage-quote",
                                         params={"miles": 5}), 401, "")


async def test_staff_cannot_ask_about_someone_the_service_does_not_know(
    region: Region,
) -> None:
    _, staff = await region.organisation()
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(await region.http.get(f"/v1/participants/{unknown}/mileage-quote",
                                         params={"miles": 5}, headers=staff), 403, "only")


async def test_miles_out_of_range_are_refused_naming_them(region: Region) -> None:
    person, me = await region.person()
    url = f"/v1/participants/{person}/mileage-quote"
    for miles in ("0", "-3", "1001", "ten", "2.5", ""):
        assert_problem(await region.http.get(url, params={"miles": miles}, headers=me), 422,
                       "miles")
    assert_problem(await region.http.get(url, headers=me), 422, "miles")
    assert (await _quote(region, me, person, 1_000))["amount_pence"] == 45_000


async def test_the_quote_prices_against_the_current_tax_year(region: Region) -> None:
    person, _ = await region.person()
    await region.pool_has(person)
    april = now().replace(year=2031, month=4, day=5)
    region.state.expenses.clock = lambda: april
    # A token without its network: the person's network is the one the pool knows.
    actor = Principal(subject="p", role=Role.PARTICIPANT, participant_id=UUID(person))
    quote = await region.state.expenses.quote_mileage(UUID(person), 10, actor)
    assert (quote.tax_year, quote.already_claimed, quote.priced.amount_pence) == (2030, 0, 450)
