"""The arithmetic behind the accountability metrics, the same for every organisation."""

import math
import statistics
from collections.abc import Sequence

SMALL_NUMBER = 5
"""Below this many people, a share about them is withheld: it could point at someone."""


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def top_share(units: Sequence[int], fraction: float = 0.1) -> float | None:
    """The percentage of all involvement held by the most involved `fraction` of people
    (at least one person)."""
    total = sum(units)
    if not total:
        return None
    top = max(1, math.ceil(len(units) * fraction))
    return percent(sum(sorted(units, reverse=True)[:top]), total)


def gini(units: Sequence[int]) -> float | None:
    """The Gini coefficient of involvement among the people involved: 0 when everyone took
    part equally, nearer 1 the more a few people hold it all.

    G = sum_i (2i - n - 1) x_i / (n * sum x), over values sorted ascending, i from 1.
    """
    total = sum(units)
    if not total:
        return None
    n = len(units)
    weighted = sum((2 * i - n - 1) * x for i, x in enumerate(sorted(units), start=1))
    return round(weighted / (n * total), 3)
