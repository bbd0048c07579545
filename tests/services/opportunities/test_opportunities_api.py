"""Opportunities through HTTP: publish, change, withdraw, close, browse, and who may do each."""

from datetime import date, timedelta
from typing import Any

from tests.services.opportunities.conftest import Headers, Region, opportunity
from tests.services.opportunities.steps import (
    accept,
    assert_problem,
    eventually,
    invite,
    ok,
    outsider,
)


async def _listed(region: Region, who: Headers, total: int, **query: Any) -> dict[str, Any]:
    """The listing once it holds `total` rows for this query (it is updated asynchronously)."""
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}

    async def page() -> dict[str, Any] | None:
        answer = ok(await region.http.get("/v1/opportunities", params=params, headers=who))
        return answer if answer["total"] == total else None

    return await eventually(page, f"{total} opportunities listed for {query}")


def _ids(page: dict[str, Any]) -> set[str]:
    return {item["opportunity_id"] for item in page["items"]}


async def test_publish_gives_back_the_opportunity_open_at_version_one(region: Region) -> None:
    org, staff = await region.organisation()
    body = opportunity()
    published = await region.publish(staff)
    assert published["organisation_id"] == org
    assert published["network_id"] == region.network_id
    assert (published["status"], published["version"], published["assigned"]) == ("open", 1, 0)
    assert published["title"] == body["title"]
    assert published["sessions"][0]["session_id"]
    _, person = await region.person()
    seen = ok(await region.http.get(f"/v1/opportunities/{published['opportunity_id']}",
                                    headers=person))
    assert seen == published


async def test_publishing_refuses_bad_input_and_anyone_but_staff(region: Region) -> None:
    _, staff = await region.organisation()
    starts = date.today() + timedelta(days=7)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"postcode_district": None}, "postcode_district"),
        ({"payment_basis": None}, "payment_basis"),
        ({"remuneration": "expenses_only"}, "payment_basis"),
        ({"closing_date": (date.today() - timedelta(days=1)).isoformat()}, "closing_date"),
        ({"closing_date": (date.today() + timedelta(days=4 * 365)).isoformat()}, "three years"),
        ({"sessions": [{"starts_at": f"{starts}T12:00:00+00:00",
                        "ends_at": f"{starts}T11:00:00+00:00"}]}, "end after"),
        ({"seats": 0}, "seats"),
        ({"methods": []}, "methods"),
        ({"kind": "tea_party"}, "kind"),
        ({"sessions": [{"starts_at": f"{starts}T12:00:00", "ends_at": f"{starts}T13:00:00"}]},
         "timezone"),
        ({"colour": "blue"}, "colour"),
    ]
    for changes, named in cases:
        response = await region.http.post("/v1/opportunities", json=opportunity(**changes),
                                          headers=staff)
        assert_problem(response, 422, named)
    _, person = await region.person()
    for who in (person, await region.registry.admin()):
        refused = await region.http.post("/v1/opportunities", json=opportunity(), headers=who)
        assert_problem(refused, 403, "staff")
    assert_problem(await region.http.post("/v1/opportunities", json=opportunity()), 401)


async def test_patch_changes_only_what_is_given(region: Region) -> None:
    _, staff = await region.organisation()
    published = await region.publish(staff)
    oid = published["opportunity_id"]
    changed = ok(await region.http.patch(f"/v1/opportunities/{oid}",
                                         json={"title": "Rewrite the letter", "seats": 4},
                                         headers=staff))
    assert (changed["title"], changed["seats"], changed["version"]) == (
        "Rewrite the letter", 4, 2)
    assert changed["sessions"] == published["sessions"]  # the session keeps its id
    assert changed["description"] == published["description"]
    assert ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff)) == changed


async def test_patch_with_if_match_refuses_a_stale_version(region: Region) -> None:
    _, staff = await region.organisation()
    oid = (await region.publish(staff))["opportunity_id"]
    first = await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 3},
                                    headers=staff | {"If-Match": '"1"'})
    assert ok(first)["version"] == 2
    weak = await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 5},
                                   headers=staff | {"If-Match": 'W/"2"'})
    assert ok(weak)["version"] == 3
    stale = await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 9},
                                    headers=staff | {"If-Match": '"2"'})
    assert_problem(stale, 409, "version")
    assert stale.json()["expected_version"] == 2
    assert stale.json()["actual_version"] == 3
    malformed = await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 9},
                                        headers=staff | {"If-Match": "latest"})
    assert_problem(malformed, 422, "if-match")
    assert ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))["seats"] == 5


async def test_if_match_zero_is_a_stale_version_too(region: Region) -> None:
    _, staff = await region.organisation()
    oid = (await region.publish(staff))["opportunity_id"]
    stale = await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 9},
                                    headers=staff | {"If-Match": '"0"'})
    assert_problem(stale, 409, "version")


async def test_patch_refuses_what_breaks_a_rule(region: Region) -> None:
    _, staff = await region.organisation()
    oid = (await region.publish(staff, seats=3))["opportunity_id"]
    people = [await region.person() for _ in range(2)]
    await region.pool_has(*(p for p, _ in people))
    invitations = await invite(region, staff, oid, *(p for p, _ in people))
    for invitation, (_, person) in zip(invitations, people, strict=True):
        await accept(region, invitation, person)
    before = ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"seats": 0}, "seats"),
        ({"online": False, "postcode_district": None}, "postcode_district"),
        ({"payment_basis": None}, "payment_basis"),
        ({"closing_date": "2001-01-01"}, "closing_date"),
        ({"opportunity_id": oid}, "opportunity_id"),
        ({"status": "closed"}, "status"),
        ({"seats": 1}, "2 people already assigned"),
    ]
    for changes, named in cases:
        response = await region.http.patch(f"/v1/opportunities/{oid}", json=changes,
                                           headers=staff)
        assert_problem(response, 422, named)
    assert ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff)) == before


async def test_only_the_owning_organisations_staff_change_it(region: Region) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Carers Centre", kind="charity")
    _, person = await region.person()
    oid = (await region.publish(staff))["opportunity_id"]
    admin = await region.registry.admin()
    for who in (other_staff, person, admin):
        assert_problem(await region.http.patch(f"/v1/opportunities/{oid}",
                                               json={"seats": 5}, headers=who), 403, "only")
        assert_problem(await region.http.post(f"/v1/opportunities/{oid}/withdraw",
                                              headers=who), 403, "only")
        assert_problem(await region.http.post(f"/v1/opportunities/{oid}/close", headers=who),
                       403, "only")
    unchanged = ok(await region.http.get(f"/v1/opportunities/{oid}", headers=other_staff))
    assert (unchanged["status"], unchanged["version"]) == ("open", 1)


async def test_close_stops_invitations_and_withdraw_stops_the_work(region: Region) -> None:
    _, staff = await region.organisation()
    pid, _ = await region.person()
    await region.pool_has(pid)
    oid = (await region.publish(staff))["opportunity_id"]
    closed = ok(await region.http.post(f"/v1/opportunities/{oid}/close", headers=staff))
    assert (closed["status"], closed["version"]) == ("closed", 2)
    assert_problem(await region.http.post(f"/v1/opportunities/{oid}/close", headers=staff),
                   410, "closed")
    assert_problem(await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 5},
                                           headers=staff), 410, "closed")
    assert_problem(await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                          json={"participant_ids": [pid]}, headers=staff),
                   410, "closed")
    withdrawn = ok(await region.http.post(f"/v1/opportunities/{oid}/withdraw", headers=staff))
    assert withdrawn["status"] == "withdrawn"
    again = ok(await region.http.post(f"/v1/opportunities/{oid}/withdraw", headers=staff))
    assert (again["status"], again["version"]) == ("withdrawn", withdrawn["version"])
    assert_problem(await region.http.post(f"/v1/opportunities/{oid}/close", headers=staff),
                   410, "withdrawn")


async def test_a_missing_or_other_networks_opportunity_is_not_found(region: Region) -> None:
    _, staff = await region.organisation()
    oid = (await region.publish(staff))["opportunity_id"]
    they = await outsider(region)
    their_staff, their_person = they.staff, they.person
    for who in (their_staff, their_person):
        assert_problem(await region.http.get(f"/v1/opportunities/{oid}", headers=who), 404, oid)
        assert_problem(await region.http.patch(f"/v1/opportunities/{oid}", json={"seats": 5},
                                               headers=who), 404, oid)
        assert_problem(await region.http.get(f"/v1/opportunities/{oid}/matches", headers=who),
                       404, oid)
    await _listed(region, staff, 1)
    listed = ok(await region.http.get("/v1/opportunities", headers=their_staff))
    assert (listed["total"], listed["items"]) == (0, [])
    missing = "00000000-0000-4000-8000-000000000000"
    for response in (
        await region.http.get(f"/v1/opportunities/{missing}", headers=staff),
        await region.http.patch(f"/v1/opportunities/{missing}", json={"seats": 2},
                                headers=staff),
        await region.http.post(f"/v1/opportunities/{missing}/close", headers=staff),
        await region.http.post(f"/v1/opportunities/{missing}/withdraw", headers=staff),
    ):
        assert_problem(response, 404, missing)
    assert_problem(await region.http.get("/v1/opportunities/not-an-id", headers=staff), 422,
                   "opportunity_id")


async def test_other_networks_callers_cannot_act_on_an_opportunity(region: Region) -> None:
    _, staff = await region.organisation()
    oid = (await region.publish(staff))["opportunity_id"]
    they = await outsider(region)
    someone = "00000000-0000-4000-8000-000000000000"
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/invitations", {"top": 1}),
        ("POST", "/withdraw", None),
        ("POST", "/close", None),
        ("POST", "/stand-down", {"participant_id": they.participant_id}),
        ("POST", "/sessions", {"starts_at": "2025-01-01T10:00:00Z",
                               "ends_at": "2025-01-01T11:00:00Z", "attendance": []}),
        ("POST", "/payments", {"session_id": someone, "participant_id": they.participant_id}),
    ]
    for who in (they.staff, they.person):
        for method, path, body in attempts:
            response = await region.http.request(method, f"/v1/opportunities/{oid}{path}",
                                                 json=body, headers=who)
            assert_problem(response, 404, oid)
    assert ok(await region.http.get(f"/v1/opportunities/{oid}", headers=staff))["version"] == 1


async def test_the_listing_filters_within_the_callers_network(region: Region) -> None:
    trust, staff = await region.organisation()
    charity, charity_staff = await region.organisation("Example Carers Centre", kind="charity")
    workshop = (await region.publish(staff))["opportunity_id"]
    panel = (await region.publish(staff, kind="advisory_panel", stage="strategy",
                                  topics=["mental_health", "carers"], online=True,
                                  postcode_district=None, methods=["online"]))["opportunity_id"]
    focus = (await region.publish(charity_staff, kind="focus_group", stage="evaluation",
                                  topics=["carers"]))["opportunity_id"]
    closed = (await region.publish(charity_staff))["opportunity_id"]
    ok(await region.http.post(f"/v1/opportunities/{closed}/close", headers=charity_staff))
    _, person = await region.person()

    async def closed_listed() -> dict[str, Any] | None:  # the close reaches it after the rest
        answer = ok(await region.http.get("/v1/opportunities", params={"open_only": "false"},
                                          headers=person))
        statuses = {i["opportunity_id"]: i["status"] for i in answer["items"]}
        return answer if statuses.get(closed) == "closed" else None

    everything = await eventually(closed_listed, "the closed opportunity listed as closed")
    assert _ids(everything) == {workshop, panel, focus, closed}
    assert _ids(await _listed(region, person, 3)) == {workshop, panel, focus}  # open only
    assert _ids(await _listed(region, person, 2, organisation_id=trust)) == {workshop, panel}
    assert _ids(await _listed(region, person, 2, organisation_id=charity,
                              open_only=False)) == {focus, closed}
    assert _ids(await _listed(region, person, 1, kind="focus_group")) == {focus}
    assert _ids(await _listed(region, person, 2, topic="carers")) == {panel, focus}
    assert _ids(await _listed(region, person, 1, topic="mental_health")) == {panel}
    assert _ids(await _listed(region, person, 1, stage="strategy")) == {panel}
    assert _ids(await _listed(region, person, 1, online=True)) == {panel}
    assert _ids(await _listed(region, person, 2, online=False)) == {workshop, focus}
    assert _ids(await _listed(region, person, 0, kind="peer_support")) == set()
    item = next(i for i in everything["items"] if i["opportunity_id"] == panel)
    assert (item["organisation_id"], item["network_id"], item["kind"], item["assigned"]) == (
        trust, region.network_id, "advisory_panel", 0)
    they = await outsider(region)
    theirs = (await region.publish(they.staff))["opportunity_id"]
    assert _ids(await _listed(region, they.person, 1)) == {theirs}
    # asking for another network does not widen what a member of this one sees
    assert _ids(await _listed(region, staff, 3, network_id=they.network_id)) == {
        workshop, panel, focus}
    admin = await region.registry.admin()
    assert _ids(await _listed(region, admin, 4)) == {workshop, panel, focus, theirs}
    assert _ids(await _listed(region, admin, 3, network_id=region.network_id)) == {
        workshop, panel, focus}
    assert _ids(await _listed(region, admin, 1, network_id=they.network_id)) == {theirs}
    for bad in ({"kind": "tea_party"}, {"topic": "gardening"}, {"stage": "later"},
                {"online": "perhaps"}, {"organisation_id": "nope"}):
        assert_problem(await region.http.get("/v1/opportunities", params=bad, headers=person),
                       422, next(iter(bad)))


async def test_the_listing_pages_newest_first(region: Region) -> None:
    _, staff = await region.organisation()
    published = [(await region.publish(staff, title=f"Workshop {n}"))["opportunity_id"]
                 for n in range(5)]
    first = await _listed(region, staff, 5, limit=2)
    assert (first["limit"], first["offset"], len(first["items"])) == (2, 0, 2)
    second = await _listed(region, staff, 5, limit=2, offset=2)
    last = await _listed(region, staff, 5, limit=2, offset=4)
    beyond = await _listed(region, staff, 5, limit=2, offset=10)
    assert [i["opportunity_id"] for i in first["items"] + second["items"] + last["items"]] \
        == published[::-1]
    assert beyond["items"] == []
    default = await _listed(region, staff, 5)
    assert (default["limit"], default["offset"], len(default["items"])) == (20, 0, 5)
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert_problem(await region.http.get("/v1/opportunities", params=bad, headers=staff),
                       422, next(iter(bad)))


async def test_the_listing_follows_changes_and_seats_taken(region: Region) -> None:
    _, staff = await region.organisation()
    pid, person = await region.person()
    await region.pool_has(pid)
    oid = (await region.publish(staff))["opportunity_id"]
    ok(await region.http.patch(f"/v1/opportunities/{oid}",
                               json={"kind": "focus_group", "topics": ["dementia"]},
                               headers=staff))
    [invitation] = await invite(region, staff, oid, pid)
    await accept(region, invitation, person)

    async def updated() -> dict[str, Any] | None:
        page = await _listed(region, person, 1, topic="dementia")
        [item] = page["items"]
        return item if item["assigned"] == 1 else None

    item = await eventually(updated, "the listing shows the change and the seat taken")
    assert (item["kind"], item["topics"]) == ("focus_group", ["dementia"])
    await _listed(region, person, 0, topic="diabetes")
    ok(await region.http.post(f"/v1/opportunities/{oid}/withdraw", headers=staff))
    await _listed(region, person, 0)
    withdrawn = await _listed(region, person, 1, open_only=False)
    assert withdrawn["items"][0]["status"] == "withdrawn"
