"""Fair matching: who may be offered an opportunity, in what order, and why.

Hard filters decide who is eligible; a soft score, in integer milli-points, orders them
and carries its reasons. Recent involvement lowers the score so that others get a turn;
declining an invitation is never an input, so it never lowers anyone's place. This is
the reference: the fast `PoolIndex` must give exactly the same `Ranking`.
"""

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from math import asin, cos, radians, sin, sqrt
from typing import NamedTuple
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
from chorus.errors import DomainRuleBroken

Slot = tuple[Weekday, DayPart]
Locate = Callable[[str], tuple[float, float] | None]
"""A postcode district's centroid as (latitude, longitude) in degrees; None if unknown."""

RECENT_DAYS = 90
DEFAULT_TRAVEL_KM = 10
EARTH_RADIUS_KM = 6371.0088
FILTERS = ("network", "inactive", "consent", "methods", "accessibility", "travel",
           "availability")
COMMITMENT_ORDER = (Commitment.ONE_OFF, Commitment.OCCASIONAL, Commitment.REGULAR)
COMMITMENT_LEVEL = {commitment: level for level, commitment in enumerate(COMMITMENT_ORDER)}
MAX_WEIGHT = 100_000
MAX_RECENT_CAP = 50


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A participant as the registry's events describe them to matching: no personal data."""

    participant_id: UUID
    network_id: UUID
    status: ParticipantStatus
    paused_until: date | None = None
    consent_scope: ConsentScope = ConsentScope.NETWORK
    consent_org_ids: frozenset[UUID] = frozenset()
    roles: frozenset[ParticipantRole] = frozenset()
    topics: frozenset[Topic] = frozenset()
    methods: frozenset[Method] = frozenset()
    kinds_wanted: frozenset[InvolvementKind] = frozenset()
    commitment: Commitment | None = None
    availability: frozenset[Slot] = frozenset()
    postcode_district: str | None = None
    travel_radius_km: int | None = None
    online_only: bool = False
    accessibility_needs: frozenset[AccessibilityNeed] = frozenset()
    languages: frozenset[str] = frozenset()
    support_wanted: frozenset[SupportWanted] = frozenset()
    deprivation_decile: int | None = None  # only when they opted in to equality monitoring


@dataclass(frozen=True, kw_only=True)
class Wanted:
    """What an opportunity asks of the people matched to it."""

    organisation_id: UUID
    network_id: UUID
    kind: InvolvementKind  # already mapped onto the participant's side
    topics: frozenset[Topic]
    methods: frozenset[Method]
    online: bool  # True: nobody travels; False: in person at `postcode_district`
    postcode_district: str | None
    slots: frozenset[Slot]  # of its sessions; empty when not yet scheduled
    commitment: Commitment
    accessibility_provided: frozenset[AccessibilityNeed]
    pairs_preferred: bool = False


@dataclass(frozen=True, kw_only=True)
class Weights:
    """A network's weighting of the soft factors, in milli-points (so sums are exact)."""

    topic: int = 3000  # times the share of the opportunity's topics lived, floored
    kind_wanted: int = 2000  # the kind is wanted; half when no kinds are stated
    commitment: int = 1000  # the person offers enough; half when not stated
    recent_involvement: int = 1000  # subtracted per involvement in the last RECENT_DAYS
    recent_cap: int = 5  # involvements counted at most
    never_involved: int = 1500  # added for someone never involved
    deprivation: int = 1500  # added for deprivation decile 1 or 2

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            top = MAX_RECENT_CAP if name == "recent_cap" else MAX_WEIGHT
            if type(value) is not int or not 0 <= value <= top:
                raise DomainRuleBroken(f"weight {name} must be a whole number from 0 to {top}")


@dataclass(frozen=True)
class Reason:
    factor: str
    points: int
    detail: str


@dataclass(frozen=True)
class Match:
    participant_id: UUID
    score: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Pair:
    participant_ids: tuple[UUID, UUID]
    score: int
    reason: str


@dataclass(frozen=True)
class Ranking:
    matches: tuple[Match, ...]
    pairs: tuple[Pair, ...]
    eligible: int
    excluded: Mapping[str, int]  # every name in FILTERS -> how many failed it first


def unmet_need(wanted: Wanted, candidate: Candidate, today: date, locate: Locate) -> str | None:
    """The first hard filter (in the order of FILTERS) the candidate fails; None if eligible."""
    if candidate.network_id != wanted.network_id:
        return "network"
    if not is_active(candidate, today):
        return "inactive"
    if not shares_with(candidate, wanted.organisation_id):
        return "consent"
    if not candidate.methods & wanted.methods:
        return "methods"
    if not candidate.accessibility_needs <= wanted.accessibility_provided:
        return "accessibility"
    if not wanted.online and not can_travel(candidate, wanted.postcode_district, locate):
        return "travel"
    if candidate.availability and not wanted.slots <= candidate.availability:
        return "availability"
    return None


def is_active(candidate: Candidate, today: date) -> bool:
    """Active, or paused until a day that has come."""
    if candidate.status == ParticipantStatus.PAUSED:
        return candidate.paused_until is not None and candidate.paused_until <= today
    return candidate.status == ParticipantStatus.ACTIVE


def shares_with(candidate: Candidate, organisation_id: UUID) -> bool:
    return (candidate.consent_scope == ConsentScope.NETWORK
            or organisation_id in candidate.consent_org_ids)


def can_travel(candidate: Candidate, district: str | None, locate: Locate) -> bool:
    """Whether the person can get to `district`: theirs, or within their radius of it."""
    home = candidate.postcode_district
    if candidate.online_only or home is None or district is None:
        return False
    if home == district:
        return True
    start, venue = locate(home), locate(district)
    if start is None or venue is None:
        return False
    radius = candidate.travel_radius_km
    return distance_km(start, venue) <= (DEFAULT_TRAVEL_KM if radius is None else radius)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle (haversine) distance between two points given in degrees."""
    lat1, lon1, lat2, lon2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(min(h, 1.0)))


def explain(
    wanted: Wanted, candidate: Candidate, weights: Weights, *, recent: int, ever: bool
) -> Match:
    """An eligible candidate's score and its non-zero reasons, in a fixed order.

    `recent` counts their involvements in the last RECENT_DAYS; `ever` is whether they
    have been involved at all.
    """
    found = (
        _topic(wanted, candidate, weights),
        _kind(wanted, candidate, weights),
        _commitment(wanted, candidate, weights),
        _recent(recent, weights),
        Reason("never_involved", 0 if ever else weights.never_involved,
               "never involved before: a new voice"),
        _deprivation(candidate, weights),
    )
    reasons = tuple(reason for reason in found if reason.points)
    return Match(candidate.participant_id, sum(r.points for r in reasons), reasons)


def _topic(wanted: Wanted, candidate: Candidate, weights: Weights) -> Reason:
    asked, known = len(wanted.topics), len(wanted.topics & candidate.topics)
    points = weights.topic * known // asked if asked else 0
    return Reason("topic", points, f"lived experience of {known} of {asked} "
                  + ("topic" if asked == 1 else "topics"))


def _kind(wanted: Wanted, candidate: Candidate, weights: Weights) -> Reason:
    if not candidate.kinds_wanted:
        return Reason("kind_wanted", weights.kind_wanted // 2,
                      "has not said which kinds of involvement they want")
    points = weights.kind_wanted if wanted.kind in candidate.kinds_wanted else 0
    return Reason("kind_wanted", points, f"wants {_kind_name(wanted.kind)} opportunities")


def _kind_name(kind: InvolvementKind) -> str:
    return kind.value.replace("co_", "co-").replace("_", " ")


def _commitment(wanted: Wanted, candidate: Candidate, weights: Weights) -> Reason:
    offered = candidate.commitment
    if offered is None:
        return Reason("commitment", weights.commitment // 2,
                      "has not said how often they can be involved")
    enough = COMMITMENT_LEVEL[offered] >= COMMITMENT_LEVEL[wanted.commitment]
    return Reason("commitment", weights.commitment if enough else 0,
                  f"can commit to {_commitment_name(offered)} involvement, "
                  f"which covers this {_commitment_name(wanted.commitment)} one")


def _commitment_name(commitment: Commitment) -> str:
    return commitment.value.replace("_", "-")


def _recent(recent: int, weights: Weights) -> Reason:
    counted = min(recent, weights.recent_cap)
    detail = f"involved {recent} {'time' if recent == 1 else 'times'} in the last " \
             f"{RECENT_DAYS} days, so others get a turn first"
    if counted < recent:
        detail += f" (counted up to {counted})"
    return Reason("recent_involvement", -weights.recent_involvement * counted, detail)


def _deprivation(candidate: Candidate, weights: Weights) -> Reason:
    decile = candidate.deprivation_decile
    points = weights.deprivation if decile in (1, 2) else 0
    return Reason("deprivation", points,
                  f"lives in one of the 20% most deprived areas (decile {decile})")


def rank(
    wanted: Wanted,
    candidates: Iterable[Candidate],
    involvements: Mapping[UUID, Sequence[datetime]],
    weights: Weights,
    now: datetime,
    locate: Locate,
    limit: int = 50,
) -> Ranking:
    """Rank the eligible candidates: score descending, then participant id ascending.

    `involvements` holds each participant's involvement moments, of any age; those at or
    after `now` - RECENT_DAYS are recent. `matches` are the first `limit`; `eligible`
    counts them all; `excluded` counts each hard filter's failures.
    """
    check_limit(limit)
    today, since = now.date(), now - timedelta(days=RECENT_DAYS)
    excluded = dict.fromkeys(FILTERS, 0)
    eligible: list[Candidate] = []
    for candidate in candidates:
        need = unmet_need(wanted, candidate, today, locate)
        if need is None:
            eligible.append(candidate)
        else:
            excluded[need] += 1
    ranked = sorted(((_explained(wanted, c, weights, involvements.get(c.participant_id, ()),
                                 since), c) for c in eligible), key=_best_first)
    matches = tuple(match for match, _ in ranked[:limit])
    if not wanted.pairs_preferred:
        return Ranking(matches, (), len(eligible), excluded)
    by_id = {c.participant_id: c for _, c in ranked[:limit]}
    involved = {pid for pid in by_id if involvements.get(pid)}
    return Ranking(matches, pair_up(matches, by_id, involved), len(eligible), excluded)


def _explained(
    wanted: Wanted, candidate: Candidate, weights: Weights, moments: Sequence[datetime],
    since: datetime,
) -> Match:
    recent = sum(1 for at in moments if at >= since)
    return explain(wanted, candidate, weights, recent=recent, ever=bool(moments))


def _best_first(entry: tuple[Match, Candidate]) -> tuple[int, str]:
    return -entry[0].score, str(entry[0].participant_id)


def check_limit(limit: int) -> None:
    if limit < 0:
        raise DomainRuleBroken("the number of matches asked for cannot be negative")


def pair_up(
    matches: Sequence[Match], candidates: Mapping[UUID, Candidate], involved: Container[UUID]
) -> tuple[Pair, ...]:
    """Pair people down the ranked list, each with the first compatible later person,
    preferring someone involved before with someone new (a buddy)."""
    unpaired = [_Person(m, candidates[m.participant_id], m.participant_id in involved)
                for m in matches]
    pairs: list[Pair] = []
    while unpaired:
        first = unpaired.pop(0)
        mate = _mate(first, unpaired)
        if mate is not None:
            pairs.append(_pair(first, unpaired.pop(mate)))
    return tuple(pairs)


class _Person(NamedTuple):
    match: Match
    candidate: Candidate
    experienced: bool


def _mate(first: _Person, later: list[_Person]) -> int | None:
    """Where in `later` the first person's mate stands, if anyone suits."""
    fallback = None
    for place, other in enumerate(later):
        if _compatible(first.candidate, other.candidate):
            if other.experienced != first.experienced:
                return place
            fallback = place if fallback is None else fallback
    return fallback


def _compatible(a: Candidate, b: Candidate) -> bool:
    speak_alike = not a.languages.isdisjoint(b.languages) or not (a.languages or b.languages)
    return speak_alike and not a.methods.isdisjoint(b.methods)


def _pair(a: _Person, b: _Person) -> Pair:
    methods = a.candidate.methods & b.candidate.methods
    ways = [words for method, words in METHOD_WORDS.items() if method in methods]
    languages = [LANGUAGE_NAMES.get(code, code)
                 for code in sorted(a.candidate.languages & b.candidate.languages)]
    spoken = f"both use {_listed(languages)}" if languages else "neither stated a language"
    reason = f"both comfortable {_listed(ways)}; {spoken}; " \
             f"{EXPERIENCE[a.experienced + b.experienced]}"
    return Pair((a.match.participant_id, b.match.participant_id),
                a.match.score + b.match.score, reason)


def _listed(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


METHOD_WORDS = {
    Method.SPEAKING: "speaking", Method.WRITING: "writing", Method.ONLINE: "online",
    Method.IN_PERSON: "in person", Method.PHONE: "on the phone", Method.PAPER: "on paper",
}
EXPERIENCE = ("both are new", "one has been involved before and one is new",
              "both have been involved before")
LANGUAGE_NAMES = {
    "ar": "Arabic", "bn": "Bengali", "cy": "Welsh", "en": "English", "es": "Spanish",
    "fa": "Persian", "fr": "French", "gu": "Gujarati", "hi": "Hindi", "ku": "Kurdish",
    "lt": "Lithuanian", "pa": "Punjabi", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "so": "Somali", "ta": "Tamil", "tr": "Turkish", "ur": "Urdu",
    "zh": "Chinese",
}
