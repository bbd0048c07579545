"""The matching rules: hard filters, soft factors and their reasons, fairness, pairs."""

import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    ConsentScope,
    DayPart,
    InvolvementKind,
    Method,
    ParticipantStatus,
    Topic,
    Weekday,
)
from chorus.errors import DomainRuleBroken
from opportunities.domain.matching import (
    FILTERS,
    Candidate,
    Match,
    Pair,
    Wanted,
    Weights,
    explain,
    pair_up,
    rank,
    unmet_need,
)

CENTROIDS = {
    "LS6": (53.8195, -1.5760),
    "LS1": (53.7973, -1.5476),  # about 3 km from LS6
    "YO1": (53.9590, -1.0815),  # about 36 km
    "M1": (53.4780, -2.2350),  # about 57 km
}
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
NETWORK = UUID(int=10**30)
ORGANISATION = UUID(int=10**31)
TUESDAY_MORNING = (Weekday.TUESDAY, DayPart.MORNING)
WANTED = Wanted(
    organisation_id=ORGANISATION,
    network_id=NETWORK,
    kind=InvolvementKind.FOCUS_GROUP,
    topics=frozenset({Topic.DEMENTIA, Topic.CARERS, Topic.OLDER_PEOPLE}),
    methods=frozenset({Method.SPEAKING, Method.IN_PERSON}),
    online=False,
    postcode_district="LS6",
    slots=frozenset({TUESDAY_MORNING}),
    commitment=Commitment.OCCASIONAL,
    accessibility_provided=frozenset({AccessibilityNeed.STEP_FREE_ACCESS,
                                      AccessibilityNeed.HEARING_LOOP}),
)


def locate(district: str) -> tuple[float, float] | None:
    return CENTROIDS.get(district)


def person(number: int = 1, **changes: Any) -> Candidate:
    """An active person in the network who passes every filter of WANTED."""
    base = Candidate(participant_id=UUID(int=number), network_id=NETWORK,
                     status=ParticipantStatus.ACTIVE, methods=frozenset({Method.SPEAKING}),
                     postcode_district="LS6", languages=frozenset({"en"}))
    return replace(base, **changes)


def reasons_of(match: Match) -> dict[str, int]:
    return {reason.factor: reason.points for reason in match.reasons}


# Hard filters, one by one

FAILING = [
    pytest.param("network", {"network_id": UUID(int=99)}, id="another network"),
    pytest.param("inactive", {"status": ParticipantStatus.LEFT}, id="left"),
    pytest.param("inactive", {"status": ParticipantStatus.ERASED}, id="erased"),
    pytest.param("inactive", {"status": ParticipantStatus.PAUSED}, id="paused, no end"),
    pytest.param("inactive", {"status": ParticipantStatus.PAUSED,
                              "paused_until": TODAY + timedelta(1)}, id="paused until tomorrow"),
    pytest.param("consent", {"consent_scope": ConsentScope.ORGANISATIONS,
                             "consent_org_ids": frozenset({UUID(int=7)})},
                 id="shares with other organisations only"),
    pytest.param("methods", {"methods": frozenset({Method.WRITING, Method.PAPER})},
                 id="no method in common"),
    pytest.param("accessibility",
                 {"accessibility_needs": frozenset({AccessibilityNeed.BSL_INTERPRETER})},
                 id="a need not provided for"),
    pytest.param("travel", {"online_only": True}, id="online only"),
    pytest.param("travel", {"postcode_district": None}, id="no district"),
    pytest.param("travel", {"postcode_district": "ZZ99"}, id="district not locatable"),
    pytest.param("travel", {"postcode_district": "YO1"}, id="36 km, default radius 10 km"),
    pytest.param("travel", {"postcode_district": "M1", "travel_radius_km": 50},
                 id="57 km, radius 50 km"),
    pytest.param("availability", {"availability": frozenset({(Weekday.MONDAY, DayPart.MORNING)})},
                 id="not free at the session's time"),
]


@pytest.mark.parametrize(("name", "changes"), FAILING)
def test_a_candidate_failing_one_filter_is_excluded_under_its_name(
    name: str, changes: dict[str, Any]
) -> None:
    failing = person(2, **changes)
    assert unmet_need(WANTED, failing, TODAY, locate) == name

    ranking = rank(WANTED, [person(1), failing], {}, Weights(), NOW, locate)

    assert [m.participant_id for m in ranking.matches] == [UUID(int=1)]
    assert ranking.eligible == 1
    assert ranking.excluded == {f: int(f == name) for f in FILTERS}


PASSING = [
    pytest.param({"status": ParticipantStatus.PAUSED, "paused_until": TODAY},
                 id="pause ending today"),
    pytest.param({"status": ParticipantStatus.PAUSED, "paused_until": TODAY - timedelta(30)},
                 id="pause ended"),
    pytest.param({"consent_scope": ConsentScope.ORGANISATIONS,
                  "consent_org_ids": frozenset({UUID(int=7), ORGANISATION})},
                 id="shares with this organisation by name"),
    pytest.param({"accessibility_needs": frozenset({AccessibilityNeed.STEP_FREE_ACCESS})},
                 id="need provided for"),
    pytest.param({"postcode_district": "LS1"}, id="3 km, default radius 10 km"),
    pytest.param({"postcode_district": "YO1", "travel_radius_km": 40}, id="36 km, radius 40 km"),
    pytest.param({"availability": frozenset()}, id="availability not stated"),
    pytest.param({"availability": frozenset({TUESDAY_MORNING, (Weekday.FRIDAY, DayPart.EVENING)})},
                 id="free at the session's time"),
]


@pytest.mark.parametrize("changes", PASSING)
def test_a_candidate_meeting_every_need_is_eligible(changes: dict[str, Any]) -> None:
    assert unmet_need(WANTED, person(**changes), TODAY, locate) is None


def test_the_same_district_is_within_reach_even_when_it_cannot_be_located() -> None:
    unknown = replace(WANTED, postcode_district="ZZ99")
    assert unmet_need(unknown, person(postcode_district="ZZ99", travel_radius_km=0), TODAY,
                      locate) is None


def test_an_online_opportunity_asks_nobody_to_travel() -> None:
    online = replace(WANTED, online=True, postcode_district=None)
    assert unmet_need(online, person(online_only=True, postcode_district=None), TODAY,
                      locate) is None
    assert unmet_need(WANTED, person(online_only=True), TODAY, locate) == "travel"


def test_an_unscheduled_opportunity_suits_any_availability() -> None:
    unscheduled = replace(WANTED, slots=frozenset())
    monday = frozenset({(Weekday.MONDAY, DayPart.MORNING)})
    assert unmet_need(unscheduled, person(availability=monday), TODAY, locate) is None


def test_an_in_person_opportunity_without_a_place_reaches_nobody() -> None:
    nowhere = replace(WANTED, postcode_district=None)
    assert unmet_need(nowhere, person(), TODAY, locate) == "travel"


def test_only_the_first_failing_filter_is_counted() -> None:
    both = person(2, status=ParticipantStatus.LEFT, methods=frozenset({Method.PAPER}))
    ranking = rank(WANTED, [both], {}, Weights(), NOW, locate)
    assert ranking.excluded["inactive"] == 1
    assert ranking.excluded["methods"] == 0
    assert ranking.eligible == 0


# Soft factors and their reasons


def test_topics_score_the_share_of_the_opportunitys_topics_lived() -> None:
    two = person(topics=frozenset({Topic.DEMENTIA, Topic.CARERS, Topic.CANCER}))
    match = explain(WANTED, two, Weights(), recent=0, ever=True)
    assert match.reasons[0].factor == "topic"
    assert match.reasons[0].points == 2000
    assert match.reasons[0].detail == "lived experience of 2 of 3 topics"
    one = person(topics=frozenset({Topic.DEMENTIA}))
    assert reasons_of(explain(WANTED, one, Weights(topic=1000), recent=0, ever=True))[
        "topic"] == 333  # floored, in integers


def test_an_opportunity_naming_no_topics_scores_none() -> None:
    wanted = replace(WANTED, topics=frozenset())
    match = explain(wanted, person(topics=frozenset({Topic.DEMENTIA})), Weights(), recent=0,
                    ever=True)
    assert "topic" not in reasons_of(match)


def test_the_kind_counts_in_full_when_wanted_and_half_when_not_stated() -> None:
    def points(kinds: set[InvolvementKind]) -> int | None:
        match = explain(WANTED, person(kinds_wanted=frozenset(kinds)), Weights(), recent=0,
                        ever=True)
        return reasons_of(match).get("kind_wanted")

    assert points({InvolvementKind.FOCUS_GROUP, InvolvementKind.SURVEY}) == 2000
    assert points(set()) == 1000
    assert points({InvolvementKind.SURVEY}) is None


def test_commitment_counts_when_enough_and_half_when_not_stated() -> None:
    def points(commitment: Commitment | None) -> int | None:
        match = explain(WANTED, person(commitment=commitment), Weights(), recent=0, ever=True)
        return reasons_of(match).get("commitment")

    assert points(Commitment.REGULAR) == 1000
    assert points(Commitment.OCCASIONAL) == 1000
    assert points(None) == 500
    assert points(Commitment.ONE_OFF) is None


def test_recent_involvement_subtracts_per_involvement_up_to_the_cap() -> None:
    twice = explain(WANTED, person(), Weights(), recent=2, ever=True)
    assert reasons_of(twice)["recent_involvement"] == -2000
    often = explain(WANTED, person(), Weights(), recent=7, ever=True)
    assert reasons_of(often)["recent_involvement"] == -5000
    assert "counted up to 5" in often.reasons[-1].detail


def test_never_involved_and_deprivation_add_points() -> None:
    deprived = person(deprivation_decile=2)
    assert reasons_of(explain(WANTED, deprived, Weights(), recent=0, ever=False)) == {
        "kind_wanted": 1000, "commitment": 500, "never_involved": 1500, "deprivation": 1500}
    for decile in (3, 10, None):
        match = explain(WANTED, person(deprivation_decile=decile), Weights(), recent=0,
                        ever=True)
        assert "deprivation" not in reasons_of(match)


def test_reasons_come_in_a_fixed_order_and_add_up_to_the_score() -> None:
    everything = person(topics=WANTED.topics, kinds_wanted=frozenset({WANTED.kind}),
                        commitment=Commitment.REGULAR, deprivation_decile=1)
    match = explain(WANTED, everything, Weights(), recent=1, ever=True)
    assert [r.factor for r in match.reasons] == [
        "topic", "kind_wanted", "commitment", "recent_involvement", "deprivation"]
    assert match.score == sum(r.points for r in match.reasons) == 3000 + 2000 + 1000 - 1000 + 1500
    assert not any("declin" in r.detail for r in match.reasons)


def test_a_deprived_area_and_a_new_voice_move_people_up() -> None:
    involved_before, deprived, newcomer = person(1), person(2, deprivation_decile=1), person(3)
    old = {involved_before.participant_id: [NOW - timedelta(days=400)],
           deprived.participant_id: [NOW - timedelta(days=400)]}
    ranking = rank(WANTED, [involved_before, deprived, newcomer], old, Weights(), NOW, locate)
    assert [m.participant_id.int for m in ranking.matches] == [2, 3, 1]
    assert ranking.matches[0].score == ranking.matches[1].score > ranking.matches[2].score


def test_involvement_counts_as_recent_from_exactly_ninety_days_ago() -> None:
    edge = NOW - timedelta(days=90)
    ranking = rank(WANTED, [person(1), person(2)],
                   {UUID(int=1): [edge], UUID(int=2): [edge - timedelta(microseconds=1)]},
                   Weights(), NOW, locate)
    assert [m.participant_id.int for m in ranking.matches] == [2, 1]
    assert ranking.matches[1].score == ranking.matches[0].score - 1000


# Ranking: order, limit, fairness, determinism


def test_ties_go_to_the_smaller_participant_id_and_limit_cuts_the_list() -> None:
    ids = [UUID("f0000000-0000-4000-8000-000000000000"),
           UUID("0a000000-0000-4000-8000-000000000000"),
           UUID("b0000000-0000-4000-8000-000000000000")]
    pool = [person(participant_id=i) for i in ids]
    ranking = rank(WANTED, pool, {}, Weights(), NOW, locate, limit=2)
    assert [m.participant_id for m in ranking.matches] == sorted(ids, key=str)[:2]
    assert ranking.eligible == 3


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(DomainRuleBroken):
        rank(WANTED, [], {}, Weights(), NOW, locate, limit=-1)


def simulate(pool: list[Candidate], weights: Weights, rounds: int, seats: int) -> list[set[UUID]]:
    """Rank one opportunity a week; those picked are involved in it. Who was picked, each week."""
    involvements: dict[UUID, list[datetime]] = defaultdict(list)
    picked: list[set[UUID]] = []
    for week in range(rounds):
        now = NOW + timedelta(weeks=week)
        ranking = rank(WANTED, pool, involvements, weights, now, locate, limit=seats)
        picked.append({m.participant_id for m in ranking.matches})
        for participant_id in picked[-1]:
            involvements[participant_id].append(now)
    return picked


def test_being_picked_lets_others_come_first_next_time() -> None:
    pool = [person(n) for n in range(1, 41)]
    picked = simulate(pool, Weights(), rounds=30, seats=4)
    assert all(a.isdisjoint(b) for a, b in pairwise(picked))
    picks = Counter(p for week in picked for p in week)
    fair_share = 30 * 4 / len(pool)
    assert set(picks) == {c.participant_id for c in pool}
    assert max(picks.values()) <= 2 * fair_share


def test_strong_matches_are_rotated_too() -> None:
    generator = random.Random(7)
    topics = sorted(WANTED.topics)
    pool = [person(n, topics=frozenset(generator.sample(topics, generator.randint(0, 3))),
                   commitment=generator.choice([None, *Commitment]))
            for n in range(1, 61)]
    rotated = Counter(p for week in simulate(pool, Weights(), rounds=60, seats=3) for p in week)
    assert max(rotated.values()) <= 60 // 5
    assert len(rotated) >= len(pool) * 3 // 4
    unrotated = simulate(pool, Weights(recent_involvement=0, never_involved=0), 60, 3)
    assert all(week == unrotated[0] for week in unrotated)


def test_the_order_of_the_input_does_not_change_the_ranking() -> None:
    generator = random.Random(3)
    pool = [person(generator.getrandbits(128) >> 2,
                   topics=frozenset(generator.sample(sorted(Topic), 3)),
                   deprivation_decile=generator.choice([None, 1, 5]),
                   languages=frozenset(generator.sample(["en", "ur", "pl"], 1)))
            for _ in range(200)]
    involvements = {c.participant_id: [NOW - timedelta(days=generator.randint(0, 300))]
                    for c in pool[::3]}
    wanted = replace(WANTED, pairs_preferred=True)
    first = rank(wanted, pool, involvements, Weights(), NOW, locate, limit=20)
    generator.shuffle(pool)
    assert rank(wanted, pool, involvements, Weights(), NOW, locate, limit=20) == first


# Pairs


def test_pairs_put_someone_involved_before_with_someone_new() -> None:
    matches = [Match(UUID(int=n), 10 - n, ()) for n in range(1, 5)]
    candidates = {m.participant_id: person(m.participant_id.int) for m in matches}
    involved = {UUID(int=1), UUID(int=2)}
    pairs = pair_up(matches, candidates, involved)
    assert pairs == (
        Pair((UUID(int=1), UUID(int=3)), 9 + 7, "both comfortable speaking; both use English; "
             "one has been involved before and one is new"),
        Pair((UUID(int=2), UUID(int=4)), 8 + 6, "both comfortable speaking; both use English; "
             "one has been involved before and one is new"),
    )


def test_without_a_newcomer_the_first_compatible_person_is_chosen() -> None:
    matches = [Match(UUID(int=n), 0, ()) for n in range(1, 4)]
    candidates = {
        UUID(int=1): person(1, methods=frozenset({Method.SPEAKING, Method.PHONE})),
        UUID(int=2): person(2, methods=frozenset({Method.WRITING})),
        UUID(int=3): person(3, methods=frozenset({Method.PHONE, Method.SPEAKING})),
    }
    pairs = pair_up(matches, candidates, involved=set())
    assert [p.participant_ids for p in pairs] == [(UUID(int=1), UUID(int=3))]
    assert pairs[0].reason == "both comfortable speaking and on the phone; both use English; " \
        "both are new"


@pytest.mark.parametrize(("one", "other", "paired"), [
    ({"en"}, {"ur"}, False),
    ({"en", "ur"}, {"ur"}, True),
    (set(), set(), True),  # neither stated a language
    (set(), {"en"}, False),
])
def test_pairs_need_a_language_in_common(one: set[str], other: set[str], paired: bool) -> None:
    matches = [Match(UUID(int=1), 0, ()), Match(UUID(int=2), 0, ())]
    candidates = {UUID(int=1): person(1, languages=frozenset(one)),
                  UUID(int=2): person(2, languages=frozenset(other))}
    assert bool(pair_up(matches, candidates, set())) is paired


def test_pairs_are_made_only_when_the_opportunity_prefers_them() -> None:
    pool = [person(n) for n in range(1, 5)]
    assert rank(WANTED, pool, {}, Weights(), NOW, locate).pairs == ()
    paired = rank(replace(WANTED, pairs_preferred=True), pool, {}, Weights(), NOW, locate)
    assert [p.participant_ids for p in paired.pairs] == [
        (UUID(int=1), UUID(int=2)), (UUID(int=3), UUID(int=4))]


# Weights


@pytest.mark.parametrize("changes", [
    {"topic": -1}, {"deprivation": 100_001}, {"recent_cap": 51}, {"recent_involvement": -5},
    {"commitment": 1.5}, {"never_involved": True},
])
def test_weights_out_of_range_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(DomainRuleBroken):
        Weights(**changes)


def test_weights_at_their_limits_are_accepted() -> None:
    assert Weights(topic=100_000, never_involved=0, recent_cap=50).recent_cap == 50
