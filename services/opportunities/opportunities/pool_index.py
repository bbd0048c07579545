"""The pool of candidates in columns, so that ranking an opportunity is a few vector operations.

`PoolIndex.rank` gives exactly the `Ranking` of `matching.rank` over the same candidates
and involvements. Sets are bitmasks and numbers are arrays, so the filters and the score
run over whole columns; only the rows returned are explained, by the domain's own
`explain` and `pair_up`. Distances are worked out once per postcode district (a few
thousand at most), by the domain's own `distance_km`, so the travel filter agrees with
the reference to the last bit. `locate` must always give the same answer for a district.
"""

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import product
from typing import TypeVar
from uuid import UUID

import numpy as np
import numpy.typing as npt

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    ConsentScope,
    DayPart,
    InvolvementKind,
    Method,
    ParticipantStatus,
    Topic,
    Weekday,
)
from opportunities.domain.matching import (
    COMMITMENT_ORDER,
    DEFAULT_TRAVEL_KM,
    RECENT_DAYS,
    Candidate,
    Locate,
    Ranking,
    Wanted,
    Weights,
    check_limit,
    distance_km,
    explain,
    pair_up,
)

T = TypeVar("T")
Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]
Scores = npt.NDArray[np.int32]


def _bits(members: Iterable[T]) -> dict[T, int]:
    return {member: 1 << position for position, member in enumerate(members)}


TOPIC = _bits(Topic)
METHOD = _bits(Method)
KIND = _bits(InvolvementKind)
NEED = _bits(AccessibilityNeed)
SLOT = _bits(product(Weekday, DayPart))
ACTIVE, PAUSED = 0, 1  # status codes; higher ones (left, erased) are never active
STATUS = {ParticipantStatus.ACTIVE: ACTIVE, ParticipantStatus.PAUSED: PAUSED,
          ParticipantStatus.LEFT: 2, ParticipantStatus.ERASED: 3}
PAUSED_INDEFINITELY = np.iinfo(np.int32).max
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOW_64 = (1 << 64) - 1


def _mask(members: Iterable[T], bits: Mapping[T, int]) -> int:
    return sum(bits[member] for member in members)


def _microseconds(at: datetime) -> int:
    """Since the epoch, exactly (a float timestamp would round); `at` must be aware."""
    return (at - EPOCH) // timedelta(microseconds=1)


class _Columns:
    """One growable array per fact matching uses, one row per candidate."""

    def __init__(self, capacity: int) -> None:
        self.alive = np.zeros(capacity, np.bool_)
        self.network = np.zeros(capacity, np.int32)
        self.status = np.zeros(capacity, np.int8)
        self.paused_until = np.zeros(capacity, np.int32)  # a date's ordinal
        self.named_orgs_only = np.zeros(capacity, np.bool_)
        self.topics = np.zeros(capacity, np.uint64)
        self.methods = np.zeros(capacity, np.uint8)
        self.kinds = np.zeros(capacity, np.uint16)
        self.commitment = np.zeros(capacity, np.int8)  # 1 + index in COMMITMENT_ORDER; 0: unsaid
        self.availability = np.zeros(capacity, np.uint32)
        self.district = np.zeros(capacity, np.int32)  # code of PoolIndex._districts; 0: none
        self.radius = np.zeros(capacity, np.int32)
        self.online_only = np.zeros(capacity, np.bool_)
        self.needs = np.zeros(capacity, np.uint8)
        self.deprived = np.zeros(capacity, np.bool_)  # deprivation decile 1 or 2
        self.ever = np.zeros(capacity, np.bool_)
        self.id_high = np.zeros(capacity, np.uint64)  # the id's 128 bits, which order like
        self.id_low = np.zeros(capacity, np.uint64)  # its canonical string

    def grow(self) -> None:
        for name, column in vars(self).items():
            more = np.zeros(max(column.size, 64), column.dtype)
            setattr(self, name, np.concatenate((column, more)))


class PoolIndex:
    """Every candidate of the pool in columns (bitmasks for sets, arrays for numbers)."""

    def __init__(self, locate: Locate, capacity: int = 1024) -> None:
        self._locate = locate
        self._columns = _Columns(capacity)
        self._size = 0  # rows ever used; removed rows wait in _free
        self._free: list[int] = []
        self._row_of: dict[UUID, int] = {}
        self._candidate_at: dict[int, Candidate] = {}
        self._networks: dict[UUID, int] = {}
        self._named: dict[UUID, set[int]] = {}  # organisation -> rows that named it
        self._named_rows: dict[UUID, Rows] = {}  # the same as arrays, made when asked for
        self._districts: dict[str, int] = {"": 0}
        self._centroids: list[tuple[float, float] | None] = [None]
        self._distances: dict[str, npt.NDArray[np.float64]] = {}  # venue -> km by code
        self._involvements = _Involvements()
        self._pending: dict[UUID, list[datetime]] = {}  # involvements before the candidate

    def __len__(self) -> int:
        return len(self._row_of)

    def upsert(self, candidate: Candidate) -> None:
        """Add the candidate, or replace what is known of them (their involvements stay)."""
        row = self._row_of.get(candidate.participant_id)
        if row is None:
            row = self._new_row(candidate.participant_id)
        else:
            self._forget_named(row)
        self._candidate_at[row] = candidate
        self._write(row, candidate)
        for org in candidate.consent_org_ids:
            self._named.setdefault(org, set()).add(row)
            self._named_rows.pop(org, None)

    def remove(self, participant_id: UUID) -> None:
        """Drop the candidate and every involvement of theirs (erasure): O(involvements)."""
        self._pending.pop(participant_id, None)
        row = self._row_of.pop(participant_id, None)
        if row is None:
            return
        self._forget_named(row)
        del self._candidate_at[row]
        self._columns.alive[row] = self._columns.ever[row] = False
        self._involvements.drop(row)
        self._free.append(row)

    def record_involvement(self, participant_id: UUID, at: datetime) -> None:
        """Note that the person was involved (assigned) at `at`, a timezone-aware moment."""
        row = self._row_of.get(participant_id)
        if row is None:
            self._pending.setdefault(participant_id, []).append(at)
            return
        self._involvements.add(row, _microseconds(at))
        self._columns.ever[row] = True

    def rank(self, wanted: Wanted, weights: Weights, now: datetime, limit: int = 50) -> Ranking:
        """Exactly `matching.rank` over this pool and its involvements."""
        check_limit(limit)
        rows, excluded = self._eligible(wanted, now.date())
        since = _microseconds(now - timedelta(days=RECENT_DAYS))
        recent = self._involvements.counts_since(since, self._size)
        scores = self._scores(wanted, weights, rows, recent)
        top = _best(rows, scores, self._columns.id_high, self._columns.id_low, limit)
        ever = self._columns.ever
        matches = tuple(explain(wanted, self._candidate_at[row], weights,
                                recent=int(recent[row]), ever=bool(ever[row]))
                        for row in top.tolist())
        if not wanted.pairs_preferred:
            return Ranking(matches, (), rows.size, excluded)
        candidates = {self._candidate_at[row].participant_id: self._candidate_at[row]
                      for row in top.tolist()}
        involved = {self._candidate_at[row].participant_id for row in top[ever[top]].tolist()}
        return Ranking(matches, pair_up(matches, candidates, involved), rows.size, excluded)

    def _new_row(self, participant_id: UUID) -> int:
        if self._free:
            row = self._free.pop()
        else:
            if self._size == self._columns.alive.size:
                self._columns.grow()
            row, self._size = self._size, self._size + 1
        self._row_of[participant_id] = row
        self._columns.alive[row] = True
        for at in self._pending.pop(participant_id, ()):
            self._involvements.add(row, _microseconds(at))
            self._columns.ever[row] = True
        return row

    def _forget_named(self, row: int) -> None:
        for org in self._candidate_at[row].consent_org_ids:
            self._named[org].discard(row)
            self._named_rows.pop(org, None)

    def _write(self, row: int, c: Candidate) -> None:
        columns = self._columns
        columns.network[row] = self._networks.setdefault(c.network_id, len(self._networks))
        columns.status[row] = STATUS[c.status]
        columns.paused_until[row] = (PAUSED_INDEFINITELY if c.paused_until is None
                                     else c.paused_until.toordinal())
        columns.named_orgs_only[row] = c.consent_scope == ConsentScope.ORGANISATIONS
        columns.topics[row] = _mask(c.topics, TOPIC)
        columns.methods[row] = _mask(c.methods, METHOD)
        columns.kinds[row] = _mask(c.kinds_wanted, KIND)
        columns.commitment[row] = (0 if c.commitment is None
                                   else COMMITMENT_ORDER.index(c.commitment) + 1)
        columns.availability[row] = _mask(c.availability, SLOT)
        columns.district[row] = self._district_code(c.postcode_district)
        columns.radius[row] = (DEFAULT_TRAVEL_KM if c.travel_radius_km is None
                               else c.travel_radius_km)
        columns.online_only[row] = c.online_only
        columns.needs[row] = _mask(c.accessibility_needs, NEED)
        columns.deprived[row] = c.deprivation_decile in (1, 2)
        columns.id_high[row] = c.participant_id.int >> 64
        columns.id_low[row] = c.participant_id.int & LOW_64

    def _district_code(self, district: str | None) -> int:
        if district is None:
            return 0
        code = self._districts.get(district)
        if code is None:
            code = self._districts[district] = len(self._centroids)
            self._centroids.append(self._locate(district))
        return code

    def _eligible(self, wanted: Wanted, today: date) -> tuple[Rows, dict[str, int]]:
        """The rows passing every hard filter, and how many each filter turned away first."""
        remaining = self._columns.alive[: self._size].copy()
        excluded: dict[str, int] = {}
        for name, fails in self._failures(wanted, today):
            turned_away = remaining & fails
            excluded[name] = int(np.count_nonzero(turned_away))
            remaining ^= turned_away
        return np.flatnonzero(remaining), excluded

    def _failures(self, wanted: Wanted, today: date) -> Iterator[tuple[str, Mask]]:
        """Each hard filter, in matching.FILTERS order, as a mask of the rows failing it."""
        c, n = self._columns, self._size
        status = c.status[:n]
        yield "network", c.network[:n] != self._networks.get(wanted.network_id, -1)
        yield "inactive", (status > PAUSED) | (
            (status == PAUSED) & (c.paused_until[:n] > today.toordinal()))
        yield "consent", self._unshared(wanted.organisation_id)
        yield "methods", c.methods[:n] & _mask(wanted.methods, METHOD) == 0
        provided = _mask(wanted.accessibility_provided, NEED)
        yield "accessibility", c.needs[:n] | provided != provided
        yield "travel", np.zeros(n, np.bool_) if wanted.online else self._out_of_reach(wanted)
        slots, availability = _mask(wanted.slots, SLOT), c.availability[:n]
        yield "availability", (availability != 0) & (availability & slots != slots)

    def _unshared(self, organisation_id: UUID) -> Mask:
        unshared = self._columns.named_orgs_only[: self._size].copy()
        rows = self._named_rows.get(organisation_id)
        if rows is None:
            named = self._named.get(organisation_id, set())
            rows = self._named_rows[organisation_id] = np.fromiter(named, np.intp, len(named))
        unshared[rows] = False
        return unshared

    def _out_of_reach(self, wanted: Wanted) -> Mask:
        c, n = self._columns, self._size
        if wanted.postcode_district is None:
            return np.ones(n, np.bool_)
        district = c.district[:n]
        same = district == self._districts.get(wanted.postcode_district, -1)
        distance = self._distances_to(wanted.postcode_district)[district]
        reached: Mask = same | (distance <= c.radius[:n])
        return c.online_only[:n] | ~reached

    def _distances_to(self, venue: str) -> npt.NDArray[np.float64]:
        """Kilometres from each known district to `venue` (NaN where either is unknown)."""
        known = self._distances.get(venue)
        if known is not None and known.size == len(self._centroids):
            return known
        done = 0 if known is None else known.size
        to = self._locate(venue)
        more = [np.nan if start is None or to is None else distance_km(start, to)
                for start in self._centroids[done:]]
        known = np.concatenate((known if known is not None else np.empty(0), more))
        self._distances[venue] = known
        return known

    def _scores(
        self, wanted: Wanted, weights: Weights, rows: Rows, recent: npt.NDArray[np.intp]
    ) -> Scores:
        """Each row's soft score: every factor's points looked up in a table of its own."""
        c, tables = self._columns, _PointTables(wanted, weights)
        topics = np.bitwise_count(c.topics[rows] & np.uint64(_mask(wanted.topics, TOPIC)))
        score: Scores = tables.topic[topics]
        score += tables.kind[c.kinds[rows]]
        score += tables.commitment[c.commitment[rows]]
        score += tables.recent[np.minimum(recent[rows], weights.recent_cap)]
        score += tables.never[c.ever[rows].view(np.int8)]
        score += tables.deprivation[c.deprived[rows].view(np.int8)]
        return score


class _PointTables:
    """A factor's points for every value its column can hold, by `matching.explain`'s rules.

    Scores fit in 32 bits: the weights' limits keep them within about +-5.5 million.
    """

    def __init__(self, wanted: Wanted, weights: Weights) -> None:
        asked = len(wanted.topics)
        self.topic = _table(weights.topic * known // asked if asked else 0
                            for known in range(asked + 1))
        kinds = np.arange(1 << len(KIND))
        self.kind = np.where(kinds & KIND[wanted.kind], weights.kind_wanted,
                             np.where(kinds == 0, weights.kind_wanted // 2, 0)).astype(np.int32)
        asked_for = COMMITMENT_ORDER.index(wanted.commitment)
        self.commitment = _table([weights.commitment // 2, *(  # first: not stated
            weights.commitment if offered >= asked_for else 0 for offered in range(3))])
        self.recent = _table(-weights.recent_involvement * count
                             for count in range(weights.recent_cap + 1))
        self.never = _table([weights.never_involved, 0])  # by whether ever involved
        self.deprivation = _table([0, weights.deprivation])  # by whether decile 1 or 2


def _table(points: Iterable[int]) -> Scores:
    return np.fromiter(points, np.int32)


def _best(
    rows: Rows, scores: Scores, high: npt.NDArray[np.uint64],
    low: npt.NDArray[np.uint64], limit: int,
) -> Rows:
    """The `limit` best rows, by score descending then id ascending, without a full sort."""
    if limit == 0:
        return rows[:0]
    if rows.size > limit:
        cut = np.partition(scores, rows.size - limit)[rows.size - limit]
        above, tied = np.flatnonzero(scores > cut), np.flatnonzero(scores == cut)
        wanted = limit - above.size
        if tied.size > wanted:
            tied = tied[_lowest_ids(high[rows[tied]], low[rows[tied]], wanted)]
        keep = np.concatenate((above, tied))
        rows, scores = rows[keep], scores[keep]
    return rows[np.lexsort((low[rows], high[rows], -scores))]


def _lowest_ids(high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64], count: int) -> Rows:
    """Positions of the `count` smallest ids (high, low), without sorting them all."""
    edge = np.partition(high, count - 1)[count - 1]
    below = np.flatnonzero(high < edge)
    at_edge = np.flatnonzero(high == edge)
    at_edge = at_edge[np.argsort(low[at_edge], kind="stable")]
    return np.concatenate((below, at_edge[: count - below.size]))


class _Involvements:
    """Who was involved when: parallel growable arrays, kept in time order when asked."""

    def __init__(self) -> None:
        self._rows = np.zeros(1024, np.intp)
        self._times = np.zeros(1024, np.int64)  # microseconds since the epoch
        self._count = 0
        self._in_order = True

    def add(self, row: int, microseconds: int) -> None:
        if self._count == self._rows.size:
            self._rows = np.concatenate((self._rows, np.zeros_like(self._rows)))
            self._times = np.concatenate((self._times, np.zeros_like(self._times)))
        if self._count and microseconds < self._times[self._count - 1]:
            self._in_order = False
        self._rows[self._count], self._times[self._count] = row, microseconds
        self._count += 1

    def drop(self, row: int) -> None:
        keep = self._rows[: self._count] != row
        kept = int(np.count_nonzero(keep))
        self._rows[:kept] = self._rows[: self._count][keep]
        self._times[:kept] = self._times[: self._count][keep]
        self._count = kept

    def counts_since(self, since: int, rows: int) -> npt.NDArray[np.intp]:
        """How many involvements each row has at or after `since`."""
        times = self._times[: self._count]
        if not self._in_order:
            order = np.argsort(times, kind="stable")
            self._rows[: self._count] = self._rows[: self._count][order]
            times[:] = times[order]
            self._in_order = True
        start = int(np.searchsorted(times, since, side="left"))
        return np.bincount(self._rows[start: self._count], minlength=rows)

