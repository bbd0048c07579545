"""The charts drawn on the server: well-formed SVG with no script, named for screen readers
(role="img", a title, a title on every bar and column), text readable against white (4.5:1)
and shapes told apart from it (3:1), missing values said in words."""

import re
import xml.etree.ElementTree as ET

import pytest

from portal import charts

SVG = "{http://www.w3.org/2000/svg}"


def contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None
    assert "<script" not in svg and "on" not in {a[:2] for e in root.iter() for a in e.attrib}
    for text in root.iter(f"{SVG}text"):
        assert contrast(text.get("fill", "#000000")) >= 4.5, text.get("fill")
    for shape in root.iter(f"{SVG}rect"):
        assert contrast(shape.get("fill", "#000000")) >= 3, shape.get("fill")
    return root


def named(root: ET.Element) -> list[str]:
    return [group.findtext(f"{SVG}title") or "" for group in root.iter(f"{SVG}g")]


def test_a_column_chart_of_two_series_over_time() -> None:
    svg = charts.column_chart("Loop closure by quarter", [
        ("2025/26 Q1", (50.0, 25.0)), ("2025/26 Q2", (None, None)), ("2025/26 Q3", (100, 0))],
        ("Outcome published", "Led to a change"), missing="none closed")
    root = parsed(svg)
    assert root.findtext(f"{SVG}title") == "Loop closure by quarter"
    assert named(root) == [
        "2025/26 Q1, Outcome published: 50%", "2025/26 Q1, Led to a change: 25%",
        "2025/26 Q2, Outcome published: none closed", "2025/26 Q2, Led to a change: none closed",
        "2025/26 Q3, Outcome published: 100%", "2025/26 Q3, Led to a change: 0%"]
    heights = [int(r.get("height", "0")) for r in root.iter(f"{SVG}rect")][2:]  # after legend
    assert heights == [100, 50, 0, 0, 200, 0]  # in proportion to 100%, over 200 points
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Outcome published" in texts and "Led to a change" in texts  # the legend
    assert {"0%", "50%", "100%"} <= set(texts)  # the axis


def test_the_series_colours_differ_and_each_stands_out_from_white() -> None:
    assert charts.BAR != charts.SECOND
    assert contrast(charts.TEXT) >= 4.5
    assert min(contrast(charts.BAR), contrast(charts.SECOND), contrast(charts.GRID)) >= 3


def test_a_column_chart_takes_one_or_two_series() -> None:
    with pytest.raises(ValueError):
        charts.column_chart("Too many", [("Q1", (1, 2, 3))], ("a", "b", "c"))


def test_a_bar_chart_says_withheld_in_words_and_escapes_what_it_is_given() -> None:
    svg = charts.bar_chart("Reach <per cent>", [("Most deprived & poorest", None),
                                                ("Everyone else", 60.0)],
                           unit="%", most=100, missing="withheld")
    root = parsed(svg)
    assert root.findtext(f"{SVG}title") == "Reach <per cent>"
    assert named(root) == ["Most deprived & poorest: withheld", "Everyone else: 60%"]
    assert re.search(r'width="0" height="28"', svg)  # a withheld value draws no bar


def test_an_empty_column_chart_is_still_a_named_image() -> None:
    root = parsed(charts.column_chart("Nothing closed yet", [], ("Outcome published",)))
    assert named(root) == []


def test_a_long_label_widens_the_chart_rather_than_being_cut_off() -> None:
    name = "Example Valley NHS Foundation Trust and Partners"
    drawn = charts.bar_chart("Outcomes published", [(name, 50.0), ("Healthwatch", 10.0)], unit="%")
    width = int(re.search(r'viewBox="0 0 (\d+) ', drawn).group(1))  # type: ignore[union-attr]
    label_end = int(re.search(r'<text x="(\d+)"[^>]*text-anchor="end"', drawn)
                    .group(1))  # type: ignore[union-attr]
    assert label_end >= 9 * len(name), "the label's start stays inside the picture"
    assert width >= label_end + 300
