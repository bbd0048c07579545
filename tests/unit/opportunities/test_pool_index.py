"""PoolIndex gives exactly the Ranking of the reference `matching.rank`, pool after pool."""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar
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
from opportunities.domain.matching import Candidate, Ranking, Wanted, Weights, rank
from opportunities.pool_index import PoolIndex

T = TypeVar("T")
NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
NETWORKS = [UUID(int=1 << 100), UUID(int=2 << 100)]
ORGANISATIONS = [UUID(int=(3 << 100) + n) for n in range(12)]
SLOTS = [(day, part) for day in Weekday for part in DayPart]
LANGUAGES = ["en", "ur", "pl", "pa", "so"]


def centroids(generator: random.Random) -> dict[str, tuple[float, float]]:
    """Thirty districts scattered within about 40 km of Leeds."""
    return {f"LS{n}": (53.8 + generator.uniform(-0.35, 0.35), -1.55 + generator.uniform(-0.6, 0.6))
            for n in range(1, 31)}


DISTRICTS = [*(f"LS{n}" for n in range(1, 31)), "ZZ1", "ZZ2", None]  # ZZ: not locatable


def some(generator: random.Random, members: Sequence[T], most: int) -> frozenset[T]:
    return frozenset(generator.sample(members, generator.randint(0, min(most, len(members)))))


def random_id(generator: random.Random, shared_high: int) -> UUID:
    """A random id; one in eight shares its high 64 bits with others, to test the tie-break."""
    if generator.random() < 0.125:
        return UUID(int=(shared_high << 64) | generator.getrandbits(64))
    return UUID(int=generator.getrandbits(128))


def random_candidate(generator: random.Random, participant_id: UUID) -> Candidate:
    scope = generator.choice([*[ConsentScope.NETWORK] * 3, ConsentScope.ORGANISATIONS])
    return Candidate(
        participant_id=participant_id,
        network_id=generator.choice([NETWORKS[0]] * 5 + [NETWORKS[1]]),
        status=generator.choice([*[ParticipantStatus.ACTIVE] * 12, *ParticipantStatus]),
        paused_until=generator.choice([None, NOW.date() + timedelta(generator.randint(-3, 3))]),
        consent_scope=scope,
        consent_org_ids=some(generator, ORGANISATIONS, 4)
        if scope == ConsentScope.ORGANISATIONS else frozenset(),
        topics=some(generator, list(Topic), 5),
        methods=some(generator, list(Method), 4),
        kinds_wanted=some(generator, list(InvolvementKind), 3),
        commitment=generator.choice([None, *Commitment]),
        availability=some(generator, SLOTS, 21) if generator.random() < 0.6 else frozenset(),
        postcode_district=generator.choice(DISTRICTS),
        travel_radius_km=generator.choice([None, 0, 5, 10, 25, 60]),
        online_only=generator.random() < 0.1,
        accessibility_needs=some(generator, list(AccessibilityNeed), 2)
        if generator.random() < 0.3 else frozenset(),
        languages=some(generator, LANGUAGES, 2),
        deprivation_decile=generator.choice([None, None, *range(1, 11)]),
    )


def random_wanted(generator: random.Random) -> Wanted:
    online = generator.random() < 0.3
    return Wanted(
        organisation_id=generator.choice(ORGANISATIONS),
        network_id=generator.choice(NETWORKS),
        kind=generator.choice(list(InvolvementKind)),
        topics=some(generator, list(Topic), 4),
        methods=some(generator, list(Method), 6) | {generator.choice(list(Method))},
        online=online,
        postcode_district=None if online else generator.choice(DISTRICTS),
        slots=some(generator, SLOTS, 3),
        commitment=generator.choice(list(Commitment)),
        accessibility_provided=some(generator, list(AccessibilityNeed), 8),
        pairs_preferred=generator.random() < 0.6,
    )


def random_weights(generator: random.Random) -> Weights:
    def weight() -> int:
        return generator.choice([0, generator.randint(1, 5000), generator.randint(1, 100_000)])

    return Weights(topic=weight(), kind_wanted=weight(), commitment=weight(),
                   recent_involvement=weight(), recent_cap=generator.randint(0, 6),
                   never_involved=weight(), deprivation=weight())


def random_moments(generator: random.Random) -> list[datetime]:
    boundary = NOW - timedelta(days=90)
    moments = [NOW - timedelta(days=generator.uniform(-10, 400))
               for _ in range(generator.randint(0, 6))]
    if generator.random() < 0.05:
        moments += [boundary, boundary - timedelta(microseconds=1)]
    return moments


class Pool:
    """The same pool twice: plain data for the reference, and a PoolIndex."""

    def __init__(self, generator: random.Random) -> None:
        self.centroids = centroids(generator)
        self.candidates: dict[UUID, Candidate] = {}
        self.involvements: dict[UUID, list[datetime]] = defaultdict(list)
        self.index = PoolIndex(self.centroids.get, capacity=16)

    def upsert(self, candidate: Candidate) -> None:
        self.candidates[candidate.participant_id] = candidate
        self.index.upsert(candidate)

    def involve(self, participant_id: UUID, at: datetime) -> None:
        self.involvements[participant_id].append(at)
        self.index.record_involvement(participant_id, at)

    def remove(self, participant_id: UUID) -> None:
        self.candidates.pop(participant_id, None)
        self.involvements.pop(participant_id, None)
        self.index.remove(participant_id)

    def both(self, wanted: Wanted, weights: Weights, now: datetime = NOW,
             limit: int = 50) -> tuple[Ranking, Ranking]:
        reference = rank(wanted, list(self.candidates.values()), self.involvements, weights,
                         now, self.centroids.get, limit)
        return self.index.rank(wanted, weights, now, limit), reference


def random_pool(seed: int, size: int = 2000) -> tuple[Pool, random.Random]:
    generator = random.Random(seed)
    pool, shared_high = Pool(generator), generator.getrandbits(64)
    moments: list[tuple[UUID, datetime]] = []
    for _ in range(size):
        candidate = random_candidate(generator, random_id(generator, shared_high))
        pool.upsert(candidate)
        moments += [(candidate.participant_id, at) for at in random_moments(generator)]
    generator.shuffle(moments)  # recorded out of time order
    for participant_id, at in moments:
        pool.involve(participant_id, at)
    return pool, generator


@pytest.mark.parametrize("seed", range(8))
def test_the_index_ranks_exactly_as_the_reference(seed: int) -> None:
    pool, generator = random_pool(seed)
    for _ in range(6):
        wanted, weights = random_wanted(generator), random_weights(generator)
        limit = generator.choice([0, 1, 7, 50, 50, 400, 5000])
        now = NOW + timedelta(days=generator.choice([0, 0, 1, 45, -30]))
        fast, reference = pool.both(wanted, weights, now, limit)
        assert fast == reference


@pytest.mark.parametrize("seed", range(4))
def test_the_index_stays_exact_through_replacements_and_removals(seed: int) -> None:
    pool, generator = random_pool(100 + seed, size=600)
    ids = list(pool.candidates)
    for _ in range(400):
        participant_id = generator.choice(ids)
        action = generator.random()
        if action < 0.4:
            pool.upsert(random_candidate(generator, participant_id))
        elif action < 0.7:
            pool.remove(participant_id)
        else:
            pool.involve(participant_id, NOW - timedelta(days=generator.uniform(0, 200)))
    for _ in range(4):
        fast, reference = pool.both(random_wanted(generator), random_weights(generator))
        assert fast == reference
    assert len(pool.index) == len(pool.candidates)


def test_upsert_replaces_what_is_known_of_a_person() -> None:
    pool, generator = random_pool(7, size=50)
    wanted = random_wanted(generator)
    person = next(iter(pool.candidates.values()))
    pool.upsert(replace(person, network_id=UUID(int=5)))
    fast, reference = pool.both(wanted, Weights())
    assert fast == reference
    assert fast.excluded["network"] == sum(
        c.network_id != wanted.network_id for c in pool.candidates.values())
    assert len(pool.index) == 50


def test_a_removed_person_comes_back_without_their_involvements() -> None:
    locate = {"LS6": (53.8195, -1.5760)}.get
    index = PoolIndex(locate)
    person = Candidate(participant_id=UUID(int=1), network_id=NETWORKS[0],
                       status=ParticipantStatus.ACTIVE, methods=frozenset({Method.ONLINE}))
    wanted = Wanted(organisation_id=ORGANISATIONS[0], network_id=NETWORKS[0],
                    kind=InvolvementKind.SURVEY, topics=frozenset(),
                    methods=frozenset({Method.ONLINE}), online=True, postcode_district=None,
                    slots=frozenset(), commitment=Commitment.ONE_OFF,
                    accessibility_provided=frozenset())
    index.upsert(person)
    index.record_involvement(person.participant_id, NOW - timedelta(days=1))
    involved = index.rank(wanted, Weights(), NOW).matches[0]
    index.remove(person.participant_id)
    assert len(index) == 0
    assert index.rank(wanted, Weights(), NOW).eligible == 0
    index.upsert(person)
    again = index.rank(wanted, Weights(), NOW).matches[0]
    assert again == rank(wanted, [person], {}, Weights(), NOW, locate).matches[0]
    assert again.score == involved.score + 1000 + 1500


def test_involvements_recorded_before_the_person_arrives_count_once_they_do() -> None:
    pool, generator = random_pool(11, size=200)
    newcomer = random_candidate(generator, UUID(int=12345))
    pool.involve(newcomer.participant_id, NOW - timedelta(days=3))
    pool.upsert(newcomer)
    for _ in range(5):
        fast, reference = pool.both(random_wanted(generator), random_weights(generator))
        assert fast == reference


def test_ties_are_broken_by_the_whole_id_even_when_the_high_half_is_shared() -> None:
    pool = Pool(random.Random(0))
    generator = random.Random(9)
    for high in [*[5] * 100, *[3] * 100, *[generator.getrandbits(64) for _ in range(100)]]:
        participant_id = UUID(int=(high << 64) | generator.getrandbits(64))
        pool.upsert(Candidate(participant_id=participant_id, network_id=NETWORKS[0],
                              status=ParticipantStatus.ACTIVE, methods=frozenset({Method.PHONE})))
    wanted = replace(random_wanted(generator), network_id=NETWORKS[0], online=True,
                     methods=frozenset({Method.PHONE}), accessibility_provided=frozenset(),
                     slots=frozenset())
    for limit in (1, 99, 100, 101, 150, 299, 300):
        fast, reference = pool.both(wanted, Weights(), limit=limit)
        assert fast == reference
        assert len(fast.matches) == limit


def test_a_limit_beyond_the_eligible_returns_them_all() -> None:
    pool, generator = random_pool(5, size=300)
    wanted = random_wanted(generator)
    fast, reference = pool.both(wanted, Weights(), limit=10_000)
    assert fast == reference
    assert len(fast.matches) == fast.eligible
    assert fast.eligible + sum(fast.excluded.values()) == 300


def test_an_empty_index_ranks_nobody() -> None:
    index = PoolIndex(lambda district: None)
    ranking = index.rank(random_wanted(random.Random(1)), Weights(), NOW)
    assert ranking.matches == ranking.pairs == ()
    assert ranking.eligible == 0
    assert set(ranking.excluded.values()) == {0}
