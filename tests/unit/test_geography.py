"""Postcode district centroids and distances, and the packaged table they come from."""

import csv
import re
import subprocess
import sys
from importlib.resources import files

import pytest

from chorus.contracts.vocabulary import POSTCODE_DISTRICT_PATTERN
from opportunities import geography
from opportunities.geography import EARTH_RADIUS_KM, centroid, distance_km

UK_LATITUDE = (49.8, 60.9)
UK_LONGITUDE = (-8.7, 1.8)
MIN_DISTRICTS = 2_500  # 3,071 at the 2026.1.1 build; see SOURCE.md


def table_rows() -> list[dict[str, str]]:
    text = files("opportunities.geography").joinpath("districts.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


@pytest.mark.parametrize(
    ("district", "latitude", "longitude"),
    [
        ("LS6", 53.82, -1.57),  # Headingley, Leeds
        ("SW1A", 51.50, -0.14),  # Westminster
        ("EH1", 55.95, -3.19),  # Edinburgh Old Town
        ("CF10", 51.47, -3.18),  # Cardiff centre
        ("BT1", 54.59, -5.93),  # Belfast centre (GeoNames, coarser)
        ("ZE2", 60.31, -1.23),  # Shetland
        ("TR21", 49.95, -6.19),  # Isles of Scilly
    ],
)
def test_known_districts_are_where_they_should_be(
    district: str, latitude: float, longitude: float
) -> None:
    found = centroid(district)
    assert found is not None
    assert found[0] == pytest.approx(latitude, abs=0.02)
    assert found[1] == pytest.approx(longitude, abs=0.02)


@pytest.mark.parametrize("spelling", ["ls6", "Ls6", " LS6 ", "L S 6", "ls 6\t"])
def test_case_and_spaces_do_not_matter(spelling: str) -> None:
    assert centroid(spelling) == centroid("LS6")


@pytest.mark.parametrize(
    "district", ["", "   ", "GIR", "XX1", "ZZ99", "GY1", "JE2", "IM1", "LS6 1AA"]
)
def test_unknown_districts_have_no_centroid(district: str) -> None:
    assert centroid(district) is None


def test_leeds_to_york_is_about_36_km() -> None:
    found = distance_km("LS1", "YO1")
    assert found is not None
    assert 35 <= found <= 40


def test_london_to_edinburgh_is_about_530_km() -> None:
    found = distance_km("SW1A", "EH1")
    assert found is not None
    assert 520 <= found <= 545


def test_a_district_is_no_distance_from_itself() -> None:
    assert distance_km("LS6", "LS6") == 0.0
    assert distance_km("ls6", " LS 6") == 0.0


@pytest.mark.parametrize(("a", "b"), [("LS6", "XX1"), ("XX1", "LS6"), ("XX1", "XX1"), ("", "LS6")])
def test_distance_to_an_unknown_district_is_unknown(a: str, b: str) -> None:
    assert distance_km(a, b) is None


@pytest.mark.parametrize(
    ("a", "b"), [("LS1", "YO1"), ("SW1A", "BT1"), ("CF10", "ZE2"), ("E1W", "N1C")]
)
def test_distance_is_symmetric_and_positive(a: str, b: str) -> None:
    there = distance_km(a, b)
    assert there is not None and there > 0
    assert distance_km(b, a) == pytest.approx(there)


def test_no_two_uk_districts_are_further_apart_than_the_uk_is_long() -> None:
    # Scilly to Shetland is the longest stretch: about 1,200 km.
    found = distance_km("TR21", "ZE2")
    assert found is not None
    assert 1_150 <= found <= 1_250
    assert EARTH_RADIUS_KM == 6371.0088


def test_the_table_has_one_valid_uk_district_per_row() -> None:
    rows = table_rows()
    pattern = re.compile(POSTCODE_DISTRICT_PATTERN)
    districts = [row["district"] for row in rows]
    assert len(districts) >= MIN_DISTRICTS
    assert len(set(districts)) == len(districts)
    assert districts == sorted(districts)
    for row in rows:
        district = row["district"]
        assert pattern.fullmatch(district), district
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
        assert UK_LATITUDE[0] <= latitude <= UK_LATITUDE[1], district
        assert UK_LONGITUDE[0] <= longitude <= UK_LONGITUDE[1], district
        assert all(len(row[c].split(".")[1]) == 4 for c in ("latitude", "longitude")), district
        assert centroid(district) == (latitude, longitude)


def test_the_table_covers_all_four_nations() -> None:
    districts = {row["district"] for row in table_rows()}
    assert {"LS6", "SW1A"} <= districts  # England
    assert {"CF10", "LL57"} <= districts  # Wales
    assert {"EH1", "G1", "IV1", "ZE1"} <= districts  # Scotland
    assert sum(1 for d in districts if d.startswith("BT")) >= 75  # Northern Ireland


def test_the_table_carries_its_attribution() -> None:
    package = files("opportunities.geography")
    header = package.joinpath("districts.csv").read_text(encoding="utf-8").split("district,")[0]
    source = package.joinpath("SOURCE.md").read_text(encoding="utf-8")
    for text in (header, source):
        assert "Contains OS data © Crown copyright and database right" in text
        assert "Contains Royal Mail data © Royal Mail copyright and database right" in text
        assert "Contains National Statistics data © Crown copyright and database right" in text
        assert "Open Government Licence v3.0" in text
        assert "GeoNames" in text and "CC BY 4.0" in text


def test_importing_reads_nothing_and_the_table_is_read_once() -> None:
    probe = (
        "import opportunities.geography as g\n"
        "assert g._centroids.cache_info().currsize == 0, 'read at import'\n"
        "g.centroid('LS6'); g.centroid('YO1'); g.distance_km('LS1', 'YO1')\n"
        "info = g._centroids.cache_info()\n"
        "assert (info.misses, info.currsize) == (1, 1), info\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
    assert geography.__all__ == ["EARTH_RADIUS_KM", "centroid", "distance_km"]
