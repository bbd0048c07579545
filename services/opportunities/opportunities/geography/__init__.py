"""Where UK postcode districts are, for matching people to in-person opportunities in reach.

A participant gives a postcode district (the outward half of a postcode, e.g. ``LS6``) and how
far they can travel; an in-person opportunity happens in a district too. `distance_km` says how
far apart two districts' centres are, as the crow flies, which is enough to decide "within
travel radius": districts are a few kilometres across, so the answer is approximate by design.

The centres come from ``districts.csv`` beside this module, built by
``scripts/build_district_centroids.py`` from the ONS Postcode Directory (England, Scotland,
Wales) and GeoNames (Northern Ireland); SOURCE.md gives the sources, licences and the
attribution they require. The table is read once, on first use, never at import.

Standard library only.
"""

import csv
import math
from functools import cache
from importlib.resources import files

__all__ = ["EARTH_RADIUS_KM", "centroid", "distance_km"]

EARTH_RADIUS_KM = 6371.0088
"""The mean radius of the Earth (IUGG), the usual choice for haversine distances."""

_TABLE = "districts.csv"


@cache
def _centroids() -> dict[str, tuple[float, float]]:
    """District -> (latitude, longitude) in WGS84 degrees, read once from the packaged table."""
    text = files(__name__).joinpath(_TABLE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["district"]: (float(row["latitude"]), float(row["longitude"])) for row in rows}


def _normalise(district: str) -> str:
    return "".join(district.split()).upper()


def centroid(district: str) -> tuple[float, float] | None:
    """The approximate centre of a postcode district as (latitude, longitude), or None.

    Case and spaces do not matter (``" ls6"`` is ``LS6``). None for a district the table does
    not know: one that does not exist, or one with no fixed place (e.g. ``GIR``, the Channel
    Islands and the Isle of Man, which are outside the sources).
    """
    return _centroids().get(_normalise(district))


def distance_km(a: str, b: str) -> float | None:
    """The great-circle distance in km between two districts' centres, or None if either is unknown.

    0.0 for the same district: the distance between two people in one district is unknown,
    and treating it as nothing keeps a district always within reach of itself.
    """
    here, there = centroid(a), centroid(b)
    if here is None or there is None:
        return None
    if _normalise(a) == _normalise(b):
        return 0.0
    lat1, lon1, lat2, lon2 = map(math.radians, (*here, *there))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
