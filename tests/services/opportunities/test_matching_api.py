"""Matching through HTTP: who is left out and why, the order of the rest and its reasons,
fair rotation, pairs, and each network's weights."""

from typing import Any

from tests.services.opportunities.conftest import Headers, Region
from tests.services.opportunities.steps import (
    assert_problem,
    assign,
    ok,
    outsider,
)

DEFAULT_WEIGHTS = {"topic": 3000, "kind_wanted": 2000, "commitment": 1000,
                   "recent_involvement": 1000, "recent_cap": 5, "never_involved": 1500,
                   "deprivation": 1500}


async def _matches(region: Region, staff: Headers, oid: str, **query: Any) -> dict[str, Any]:
    return dict(ok(await region.http.get(f"/v1/opportunities/{oid}/matches", params=query,
                                         headers=staff)))


def _order(matches: dict[str, Any]) -> list[str]:
    return [m["participant_id"] for m in matches["matches"]]


def _scores(matches: dict[str, Any]) -> dict[str, float]:
    return {m["participant_id"]: m["score"] for m in matches["matches"]}


def _said(detail: str, *words: str) -> None:
    """The reason's words name these things (the exact wording is the domain's to choose)."""
    for word in words:
        assert word in detail, detail


async def test_each_hard_filter_leaves_someone_out_and_is_counted(region: Region) -> None:
    _, staff = await region.organisation()
    other, _ = await region.organisation("Example Carers Centre", kind="charity")
    fits, _ = await region.person()
    paused, paused_headers = await region.person()
    ok(await region.registry.http.post(f"/v1/participants/{paused}/pause",
                                       headers=paused_headers))
    left_out = [
        await region.person(consent={"scope": "organisations", "organisation_ids": [other]}),
        await region.person(profile={"methods": ["phone", "paper"]}),
        await region.person(profile={"accessibility_needs": ["bsl_interpreter"]}),
        await region.person(profile={"postcode_district": "YO1", "travel_radius_km": 5}),
        await region.person(profile={"online_only": True, "travel_radius_km": None}),
        await region.person(profile={"availability": [{"day": "tuesday", "part": "afternoon"},
                                                      {"day": "monday", "part": "morning"}]}),
    ]
    elsewhere = await outsider(region)
    await region.pool_has(fits, elsewhere.participant_id, *(pid for pid, _ in left_out))
    await region.pool_has(paused, status="paused")
    oid = (await region.publish(staff))["opportunity_id"]
    matches = await _matches(region, staff, oid)
    assert _order(matches) == [fits]
    assert matches["eligible"] == 1
    assert matches["excluded"] == {"network": 1, "inactive": 1, "consent": 1, "methods": 1,
                                   "accessibility": 1, "travel": 2, "availability": 1}
    online = (await region.publish(staff, online=True, postcode_district=None,
                                   methods=["online", "in_person"]))["opportunity_id"]
    anywhere = await _matches(region, staff, online)
    assert anywhere["excluded"]["travel"] == 0  # nobody travels to an online opportunity
    assert anywhere["eligible"] == 3  # those who fit, live far away, or are online only


async def test_each_match_carries_its_reasons(region: Region) -> None:
    _, staff = await region.organisation()
    plain, _ = await region.person()
    keen, _ = await region.person(profile={"kinds_wanted": ["co_design"],
                                           "commitment": "regular",
                                           "topics": ["diabetes", "carers"]})
    await region.pool_has(plain, keen)
    oid = (await region.publish(staff, topics=["diabetes", "dementia"]))["opportunity_id"]
    matches = await _matches(region, staff, oid)
    assert _order(matches) == [keen, plain]
    points = {m["participant_id"]: {r["factor"]: r["points"] for r in m["reasons"]}
              for m in matches["matches"]}
    said = {m["participant_id"]: {r["factor"]: r["detail"] for r in m["reasons"]}
            for m in matches["matches"]}
    assert points[keen] == {"topic": 1.5, "kind_wanted": 2.0, "commitment": 1.0,
                            "never_involved": 1.5}
    assert points[plain] == {"topic": 1.5, "kind_wanted": 1.0, "commitment": 0.5,
                             "never_involved": 1.5}
    _said(said[keen]["topic"], "1 of 2")
    _said(said[keen]["kind_wanted"], "co-design")
    _said(said[keen]["commitment"], "regular", "one-off")
    _said(said[plain]["kind_wanted"], "not said")
    _said(said[plain]["commitment"], "not said")
    for match in matches["matches"]:
        assert match["score"] == sum(r["points"] for r in match["reasons"])
        assert match["invited"] is False


async def test_someone_from_a_deprived_area_comes_higher(region: Region) -> None:
    _, staff = await region.organisation()
    plain = [await region.person() for _ in range(3)]
    middling, _ = await region.person(consent={"scope": "network", "equality_monitoring": True,
                                               "deprivation_decile": 5})
    deprived, _ = await region.person(consent={"scope": "network", "equality_monitoring": True,
                                               "deprivation_decile": 1})
    await region.pool_has(middling, deprived, *(pid for pid, _ in plain))
    oid = (await region.publish(staff))["opportunity_id"]
    matches = await _matches(region, staff, oid)
    assert _order(matches)[0] == deprived
    scores = _scores(matches)
    assert scores[deprived] == scores[middling] + 1.5
    assert {scores[pid] for pid, _ in plain} == {scores[middling]}
    [reason] = [r for m in matches["matches"] if m["participant_id"] == deprived
                for r in m["reasons"] if r["factor"] == "deprivation"]
    assert reason["points"] == 1.5
    _said(reason["detail"], "deprived", "decile 1")


async def test_someone_just_involved_comes_below_someone_who_was_not(region: Region) -> None:
    _, staff = await region.organisation()
    people = [await region.person() for _ in range(2)]
    await region.pool_has(*(pid for pid, _ in people))
    first = (await region.publish(staff, seats=1))["opportunity_id"]
    second = (await region.publish(staff, title="Another workshop"))["opportunity_id"]
    before = await _matches(region, staff, second)
    ahead, behind = _order(before)
    assert _scores(before)[ahead] == _scores(before)[behind]
    await assign(region, staff, first, next(p for p in people if p[0] == ahead))
    after = await _matches(region, staff, second)
    assert _order(after) == [behind, ahead]
    assert _scores(after)[ahead] == _scores(before)[ahead] - 1.0 - 1.5
    factors = {r["factor"]: r for m in after["matches"] if m["participant_id"] == ahead
               for r in m["reasons"]}
    assert "never_involved" not in factors
    assert factors["recent_involvement"]["points"] == -1.0
    _said(factors["recent_involvement"]["detail"], "1 time", "90 days")


async def test_pairs_are_offered_when_the_opportunity_prefers_them(region: Region) -> None:
    _, staff = await region.organisation()
    people = [await region.person() for _ in range(3)]
    await region.pool_has(*(pid for pid, _ in people))
    earlier = (await region.publish(staff, seats=1))["opportunity_id"]
    paired = (await region.publish(staff, pairs_preferred=True))["opportunity_id"]
    alone = (await region.publish(staff))["opportunity_id"]
    [(both_new, score)] = [(p["participant_ids"], p["score"])
                           for p in (await _matches(region, staff, paired))["pairs"]]
    assert (await _matches(region, staff, alone))["pairs"] == []
    first_ranked = (await _matches(region, staff, paired))["matches"][0]["participant_id"]
    assert both_new[0] == first_ranked
    assert score == 12.0
    experienced = next(p for p in people if p[0] == both_new[1])
    await assign(region, staff, earlier, experienced)
    matches = await _matches(region, staff, paired)
    [pair] = matches["pairs"]
    newcomer, _, veteran = _order(matches)
    assert veteran == experienced[0]
    assert pair["participant_ids"] == [newcomer, veteran]  # a buddy: one new, one not
    _said(pair["reason"], "speaking", "in person", "English",
          "involved before")
    assert pair["score"] == _scores(matches)[newcomer] + _scores(matches)[veteran]


async def test_a_network_admin_sets_weights_that_change_the_order(region: Region) -> None:
    _, staff = await region.organisation()
    lived, _ = await region.person()
    keen, _ = await region.person(profile={"topics": [], "kinds_wanted": ["co_design"]})
    await region.pool_has(lived, keen)
    oid = (await region.publish(staff))["opportunity_id"]
    assert _order(await _matches(region, staff, oid)) == [lived, keen]
    url = f"/v1/networks/{region.network_id}/matching-weights"
    assert ok(await region.http.get(url, headers=staff)) == DEFAULT_WEIGHTS
    chosen = DEFAULT_WEIGHTS | {"topic": 0, "kind_wanted": 5000}
    admin = await region.registry.admin()
    assert ok(await region.http.put(url, json=chosen, headers=admin)) == chosen
    assert ok(await region.http.get(url, headers=staff)) == chosen
    matches = await _matches(region, staff, oid)
    assert _order(matches) == [keen, lived]
    assert _scores(matches) == {keen: 7.0, lived: 4.5}
    elsewhere = await outsider(region)
    theirs = f"/v1/networks/{elsewhere.network_id}/matching-weights"
    assert ok(await region.http.get(theirs, headers=elsewhere.staff)) == DEFAULT_WEIGHTS
    assert_problem(await region.http.get(url, headers=elsewhere.staff), 404,
                   region.network_id)
    _, person = await region.person()
    for who in (staff, person, elsewhere.staff):
        assert_problem(await region.http.put(url, json=DEFAULT_WEIGHTS, headers=who), 403,
                       "admin")
    for bad, named in (({"recent_cap": 51}, "recent_cap"), ({"topic": -1}, "topic"),
                       ({"deprivation": 100_001}, "deprivation"), ({"luck": 5}, "luck")):
        assert_problem(await region.http.put(url, json=DEFAULT_WEIGHTS | bad, headers=admin),
                       422, named)
    assert ok(await region.http.get(url, headers=staff)) == chosen


async def test_only_the_owning_organisations_staff_see_matches(region: Region) -> None:
    _, staff = await region.organisation()
    _, other_staff = await region.organisation("Example Carers Centre", kind="charity")
    people = [await region.person() for _ in range(3)]
    await region.pool_has(*(pid for pid, _ in people))
    oid = (await region.publish(staff))["opportunity_id"]
    url = f"/v1/opportunities/{oid}/matches"
    for who in (other_staff, people[0][1], await region.registry.admin()):
        assert_problem(await region.http.get(url, headers=who), 403, "only the organisation")
    limited = await _matches(region, staff, oid, limit=2)
    assert (len(limited["matches"]), limited["eligible"]) == (2, 3)
    for bad in (0, 201):
        assert_problem(await region.http.get(url, params={"limit": bad}, headers=staff), 422,
                       "limit")
