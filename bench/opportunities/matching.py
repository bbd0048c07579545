"""Ranking one opportunity over a pool: `PoolIndex` beside the reference `matching.rank`.

Pools of 10,000, 100,000 and 1,000,000 generated candidates with their involvements
(each a prefix of the same seeded stream, see `workload`) are each held in a PoolIndex
of their own. Both opportunities of `workload.opportunities()` are ranked over each
(default weights, limit 50): one warm-up ranking, then repetitions taken in rounds, every
size and side in turn, so that whatever else the machine is doing touches them alike.
The garbage collector is paused during each timed ranking, as `timeit` does.

The baseline is the reference `matching.rank`, a plain Python loop over the very same
candidates and involvements, at 10,000 and 100,000 only: at 1,000,000 it would take
tens of seconds a ranking, so ten times its 100,000 figure stands in, and says so. At
the check size both must give equal `Ranking`s. Building the pools is not timed.
"""

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice
from uuid import UUID

import numpy as np

from bench.opportunities.workload import NOW, centroids, opportunities, people
from bench.report import Baseline, Figure, higher_is_better, lower_is_better
from opportunities.domain.matching import Candidate, Locate, Ranking, Wanted, Weights, rank
from opportunities.pool_index import PoolIndex

TARGET_MS = 50.0  # a ranking over 100,000 candidates
TARGET_SIZE = 100_000
WEIGHTS = Weights()
REFERENCE = "reference matching.rank (plain Python)"


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    repetitions: dict[int, int]
    baseline_repetitions: dict[int, int]  # the sizes the reference runs at
    check_size: int


FULL = Plan(sizes=(10_000, 100_000, 1_000_000),
            repetitions={10_000: 41, 100_000: 31, 1_000_000: 21},
            baseline_repetitions={10_000: 7, 100_000: 5}, check_size=10_000)
QUICK = Plan(sizes=(2_000,), repetitions={2_000: 5}, baseline_repetitions={2_000: 2},
             check_size=2_000)


@dataclass
class Case:
    """One thing timed: a side ranking one opportunity over one pool, so many times."""

    ranking: Callable[[], Ranking]
    repetitions: int
    seconds: list[float] = field(default_factory=list)

    def time_once(self) -> None:
        gc.disable()
        try:
            started = time.perf_counter()
            self.ranking()
            self.seconds.append(time.perf_counter() - started)
        finally:
            gc.enable()

    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    def p95_ms(self) -> float:
        return float(np.percentile(self.seconds, 95)) * 1000


@dataclass
class Pools:
    """A PoolIndex per size, and the smaller pools as plain data for the reference."""

    locate: Locate
    indexes: dict[int, PoolIndex]
    candidates: list[Candidate] = field(default_factory=list)
    involvements: dict[UUID, list[datetime]] = field(default_factory=dict)

    def fill(self, stream: Iterator[tuple[Candidate, list[datetime]]], keep_up_to: int) -> None:
        for number, (candidate, moments) in enumerate(islice(stream, max(self.indexes))):
            for size, index in self.indexes.items():
                if number < size:
                    index.upsert(candidate)
                    for at in moments:
                        index.record_involvement(candidate.participant_id, at)
            if number < keep_up_to:
                self.candidates.append(candidate)
                self.involvements[candidate.participant_id] = moments

    def fast(self, size: int, wanted: Wanted) -> Ranking:
        return self.indexes[size].rank(wanted, WEIGHTS, NOW)

    def reference(self, size: int, wanted: Wanted) -> Ranking:
        return rank(wanted, self.candidates[:size], self.involvements, WEIGHTS, NOW,
                    self.locate)


def run(plan: Plan, progress: Callable[[str], None]) -> list[Figure]:
    """Measure the plan; return every figure, and the check that both sides agree."""
    locate = centroids().get
    pools = Pools(locate, {size: PoolIndex(locate) for size in plan.sizes})
    started = time.perf_counter()
    pools.fill(people(), keep_up_to=max(plan.baseline_repetitions))
    progress(f"pools of {', '.join(f'{s:,}' for s in plan.sizes)} built in "
             f"{time.perf_counter() - started:.1f} s")
    equal = sum(pools.fast(plan.check_size, w) == pools.reference(plan.check_size, w)
                for w in opportunities().values())
    fast = {(name, size): Case(partial(pools.fast, size, wanted), plan.repetitions[size])
            for name, wanted in opportunities().items() for size in plan.sizes}
    slow = {(name, size): Case(partial(pools.reference, size, wanted), repetitions)
            for name, wanted in opportunities().items()
            for size, repetitions in plan.baseline_repetitions.items()}
    _measure([*fast.values(), *slow.values()], progress)
    figures = [figure for name in opportunities() for figure in _figures(name, plan, fast, slow)]
    return [*figures, higher_is_better(
        f"rankings equal to the reference at {plan.check_size:,} candidates", equal,
        "rankings", Baseline("rankings compared", len(opportunities())), at_least=1.0)]


def _measure(cases: list[Case], progress: Callable[[str], None]) -> None:
    for case in cases:
        case.ranking()  # warm-up: caches of distances and of organisations' rows
    gc.collect()
    rounds = max(case.repetitions for case in cases)
    for number in range(rounds):
        for case in cases:
            if len(case.seconds) < case.repetitions:
                case.time_once()
        if number % 10 == 9:
            progress(f"{number + 1} of {rounds} rounds")


def _figures(
    name: str, plan: Plan, fast: dict[tuple[str, int], Case], slow: dict[tuple[str, int], Case],
) -> Iterator[Figure]:
    for size in plan.sizes:
        case, label = fast[name, size], f"rank {name}, {size:,} candidates, PoolIndex"
        median, p95 = _baselines(name, size, slow)
        below = TARGET_MS if size == TARGET_SIZE else None
        yield lower_is_better(f"{label}, median", case.median_ms(), "ms", median, below=below)
        yield lower_is_better(f"{label}, p95", case.p95_ms(), "ms", p95, below=None)
        per_candidate = Baseline(median.name, median.value * 1e6 / size)
        yield lower_is_better(f"{label}, median per candidate", case.median_ms() * 1e6 / size,
                              "ns", per_candidate, below=None)
    if len(plan.sizes) > 1:
        small, large = plan.sizes[-2], plan.sizes[-1]
        growth = fast[name, large].median_ms() / fast[name, small].median_ms()
        yield lower_is_better(
            f"rank {name}, PoolIndex: median at {large:,} / median at {small:,}", growth, "x",
            Baseline("linear growth", large / small), below=large / small)


def _baselines(
    name: str, size: int, slow: dict[tuple[str, int], Case]
) -> tuple[Baseline, Baseline]:
    if (name, size) in slow:
        return (Baseline(f"{REFERENCE}, median", slow[name, size].median_ms()),
                Baseline(f"{REFERENCE}, p95", slow[name, size].p95_ms()))
    measured = max(s for n, s in slow if n == name)
    factor = size / measured
    stand_in = f"{REFERENCE}, not run at {size:,}: {factor:g} x its {measured:,}"
    return (Baseline(f"{stand_in} median", slow[name, measured].median_ms() * factor),
            Baseline(f"{stand_in} p95", slow[name, measured].p95_ms() * factor))
