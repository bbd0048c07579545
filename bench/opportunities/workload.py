"""A generated region: postcode districts, participants' profiles and their involvements.

Seeded, so every run ranks the same people. The mix is meant to look like a regional
pool: most people active and sharing with the whole network, a few naming organisations
(up to 200), a spread of topics, methods and times, one in eight online only, about
half never involved yet. Sets are interned, as a projection holding a million profiles
would do, to keep the memory of a million candidates in check.
"""

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    ConsentScope,
    DayPart,
    InvolvementKind,
    Method,
    ParticipantRole,
    ParticipantStatus,
    SupportWanted,
    Topic,
    Weekday,
)
from opportunities.domain.matching import Candidate, Slot, Wanted

T = TypeVar("T")

NOW = datetime(2025, 9, 16, 9, 0, tzinfo=UTC)
NETWORK = UUID("5f0c1c9e-3a43-4c55-9a55-6d4a1f1f0001")
NEIGHBOURS = UUID("5f0c1c9e-3a43-4c55-9a55-6d4a1f1f0002")
ORGANISATIONS = [UUID(int=(0x7E57 << 112) + n) for n in range(200)]
AREAS = {  # postcode area: (centroid, number of districts)
    "LS": ((53.80, -1.55), 29), "BD": ((53.79, -1.80), 24), "HX": ((53.72, -1.90), 7),
    "HD": ((53.64, -1.78), 9), "WF": ((53.68, -1.45), 17), "YO": ((53.96, -1.08), 32),
    "HG": ((54.00, -1.54), 5), "S": ((53.38, -1.47), 40), "DN": ((53.52, -1.13), 22),
    "HU": ((53.75, -0.34), 20),
}
SLOTS: list[Slot] = [(day, part) for day in Weekday for part in DayPart]
OTHER_LANGUAGES = ["ur", "pa", "pl", "bn", "ar", "so", "gu", "ro", "ku", "zh"]


def centroids(seed: int = 1) -> dict[str, tuple[float, float]]:
    """About two hundred districts of Yorkshire, each placed near its area's centre."""
    generator = random.Random(seed)
    return {
        f"{area}{number}": (lat + generator.uniform(-0.12, 0.12),
                            lon + generator.uniform(-0.2, 0.2))
        for area, ((lat, lon), count) in AREAS.items() for number in range(1, count + 1)
    }


DISTRICTS = list(centroids())


def opportunities() -> dict[str, Wanted]:
    """The opportunities ranked: an in-person focus group, and an online survey panel."""
    common = {"organisation_id": ORGANISATIONS[3], "network_id": NETWORK}
    return {
        "in person at LS6": Wanted(
            **common, kind=InvolvementKind.FOCUS_GROUP,
            topics=frozenset({Topic.MENTAL_HEALTH, Topic.CARERS, Topic.OLDER_PEOPLE}),
            methods=frozenset({Method.SPEAKING, Method.IN_PERSON}), online=False,
            postcode_district="LS6",
            slots=frozenset({(Weekday.TUESDAY, DayPart.MORNING),
                             (Weekday.THURSDAY, DayPart.MORNING)}),
            commitment=Commitment.OCCASIONAL,
            accessibility_provided=frozenset({AccessibilityNeed.STEP_FREE_ACCESS,
                                              AccessibilityNeed.HEARING_LOOP,
                                              AccessibilityNeed.LARGE_PRINT,
                                              AccessibilityNeed.CARER_PRESENT}),
            pairs_preferred=True),
        "online": Wanted(
            **common, kind=InvolvementKind.SURVEY,
            topics=frozenset({Topic.DIGITAL_ACCESS, Topic.PRIMARY_CARE}),
            methods=frozenset({Method.ONLINE, Method.WRITING}), online=True,
            postcode_district=None, slots=frozenset(), commitment=Commitment.ONE_OFF,
            accessibility_provided=frozenset(AccessibilityNeed) - {AccessibilityNeed.OTHER}),
    }


class _Profiles:
    """Draws people one by one; equal sets come back as the very same object."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self._interned: dict[frozenset[object], frozenset[object]] = {}

    def some(self, population: Sequence[T], weights: Sequence[float], low: int,
             high: int) -> frozenset[T]:
        count = self.random.randint(low, high)
        drawn = frozenset(self.random.choices(population, weights, k=count))
        return self._interned.setdefault(drawn, drawn)  # type: ignore[return-value]

    def candidate(self) -> Candidate:
        r = self.random
        scope = ConsentScope.ORGANISATIONS if r.random() < 0.15 else ConsentScope.NETWORK
        online_only = r.random() < 0.12
        return Candidate(
            participant_id=UUID(int=r.getrandbits(128), version=4),
            network_id=NETWORK if r.random() < 0.92 else NEIGHBOURS,
            status=r.choices(list(ParticipantStatus), [88, 6, 5, 1])[0],
            paused_until=r.choice([None, NOW.date() + timedelta(days=r.randint(-60, 120))]),
            consent_scope=scope,
            consent_org_ids=self.organisations() if scope == ConsentScope.ORGANISATIONS
            else frozenset(),
            roles=self.some(list(ParticipantRole), [60, 30, 6, 4], 1, 2),
            topics=self.some(list(Topic), [5 if n < 11 else 2 for n in range(34)], 1, 4),
            methods=self.some(list(Method), [30, 15, 25, 20, 7, 3], 1, 4),
            kinds_wanted=self.some(list(InvolvementKind), [1] * 12, 0, 4),
            commitment=r.choices([None, *Commitment], [25, 25, 30, 20])[0],
            availability=self.some(SLOTS, [1] * 21, 6, 15) if r.random() < 0.55
            else frozenset(),
            postcode_district=self.district(online_only),
            travel_radius_km=None if online_only else r.choice([None, 2, 5, 10, 15, 20, 30, 50]),
            online_only=online_only,
            accessibility_needs=self.some(list(AccessibilityNeed), [2, 1, 3, 3, 4, 3, 2, 1],
                                          1, 2) if r.random() < 0.3 else frozenset(),
            languages=self.languages(),
            support_wanted=self.some(list(SupportWanted), [1, 1, 1], 1, 2)
            if r.random() < 0.2 else frozenset(),
            deprivation_decile=r.randint(1, 10) if r.random() < 0.45 else None,
        )

    def organisations(self) -> frozenset[UUID]:
        many = self.random.random() < 0.01
        chosen = self.random.sample(ORGANISATIONS, 200 if many else self.random.randint(1, 6))
        return frozenset(chosen)

    def district(self, online_only: bool) -> str | None:
        roll = self.random.random()
        if roll < (0.5 if online_only else 0.03):
            return None
        if roll > 0.98:
            return f"ZZ{self.random.randint(1, 99)}"  # a district `locate` does not know
        return self.random.choice(DISTRICTS)

    def languages(self) -> frozenset[str]:
        spoken = {"en"} if self.random.random() < 0.93 else set()
        if self.random.random() < 0.15:
            spoken.add(self.random.choice(OTHER_LANGUAGES))
        drawn = frozenset(spoken)
        return self._interned.setdefault(drawn, drawn)  # type: ignore[return-value]

    def involvements(self) -> list[datetime]:
        """None for about half the people; otherwise up to 12 over the last three years."""
        if self.random.random() < 0.5:
            return []
        return [NOW - timedelta(seconds=self.random.randint(0, 3 * 365 * 86400))
                for _ in range(self.random.randint(1, 12))]


def people(seed: int = 2025) -> Iterator[tuple[Candidate, list[datetime]]]:
    """An endless, seeded stream of candidates, each with their involvement moments."""
    profiles = _Profiles(seed)
    while True:
        yield profiles.candidate(), profiles.involvements()

