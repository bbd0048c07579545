"""Charts drawn on the server as SVG: no script, readable by screen readers (a title and a
description name every bar), and the same figures are always given as a table beside them."""

from collections.abc import Sequence
from html import escape

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_WIDTH = 28, 12, 260, 300
TEXT = "#212b32"  # NHS text colour on white: 14.7:1, well above 4.5:1
BAR = "#005eb8"  # NHS blue: 5.6:1 on white (graphics need 3:1)
SECOND = "#7c2855"  # NHS dark pink: 9.1:1 on white, and told apart from the blue by more
GRID = "#768692"  # NHS mid grey: 3.5:1 on white, for the axis and its lines
SERIES_COLOURS = (BAR, SECOND)
COLUMN_WIDTH, PLOT_HEIGHT, AXIS_WIDTH, LEGEND_HEIGHT, FOOT = 28, 200, 56, 40, 48
NARROWEST = LABEL_WIDTH + BAR_WIDTH + 80  # as wide as a bar chart, however few the columns


def bar_chart(title: str, bars: Sequence[tuple[str, float | None]], *, unit: str = "",
              most: float | None = None, missing: str = "not known") -> str:
    """Horizontal bars, one per (label, value); a missing value is drawn as `missing`."""
    known = [value for _, value in bars if value is not None]
    top = most if most is not None else max([*known, 1.0])
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    labels = max([LABEL_WIDTH, *(_text_width(name) + 16 for name, _ in bars)])
    width = labels + BAR_WIDTH + 80
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="portal-chart" '
             f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for row, (name, value) in enumerate(bars):
        y = GAP + row * (BAR_HEIGHT + GAP)
        parts.append(_bar(y, name, value, top, unit, missing, labels))
    parts.append("</svg>")
    return "".join(parts)


def _text_width(text: str) -> int:
    """A generous width for `text` at 16px in the NHS's Frutiger or Arial (about 9px a
    character), so that a long label is never cut off at the chart's left edge."""
    return 9 * len(text)


def _bar(y: int, name: str, value: float | None, top: float, unit: str, missing: str,
         labels: int = LABEL_WIDTH) -> str:
    middle = y + BAR_HEIGHT // 2 + 5
    shown = missing if value is None else f"{_number(value)}{unit}"
    length = 0 if value is None or top <= 0 else round(BAR_WIDTH * min(value, top) / top)
    return (f'<g><title>{escape(name)}: {escape(shown)}</title>'
            f'<text x="{labels - 8}" y="{middle}" text-anchor="end" fill="{TEXT}" '
            f'font-size="16">{escape(name)}</text>'
            f'<rect x="{labels}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{BAR}"/>'
            f'<text x="{labels + length + 8}" y="{middle}" fill="{TEXT}" '
            f'font-size="16">{escape(shown)}</text></g>')


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def column_chart(title: str, columns: Sequence[tuple[str, Sequence[float | None]]],
                 series: Sequence[str], *, unit: str = "%", most: float = 100,
                 missing: str = "none") -> str:
    """Vertical columns over time: one group per (label, values), one column per series in
    each group (at most two, told apart by colour and named in a legend). A missing value
    is written as `missing` where its column would be."""
    if not 1 <= len(series) <= len(SERIES_COLOURS):
        raise ValueError(f"a column chart draws 1 to {len(SERIES_COLOURS)} series")
    group = len(series) * COLUMN_WIDTH + 24
    width = max(AXIS_WIDTH + len(columns) * group + 16, NARROWEST)
    height = LEGEND_HEIGHT + PLOT_HEIGHT + FOOT
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="portal-chart" '
             f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>", _legend(series), _axis(width, unit, most)]
    for index, (name, values) in enumerate(columns):
        left = AXIS_WIDTH + index * group + 12
        parts.append(f'<text x="{left + len(series) * COLUMN_WIDTH / 2:g}" '
                     f'y="{LEGEND_HEIGHT + PLOT_HEIGHT + 20}" text-anchor="middle" '
                     f'fill="{TEXT}" font-size="13">{escape(name)}</text>')
        for number, (label, value) in enumerate(zip(series, values, strict=True)):
            parts.append(_column(left + number * COLUMN_WIDTH, f"{name}, {label}", value,
                                 SERIES_COLOURS[number], unit, most, missing))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[str]) -> str:
    parts = []
    for number, label in enumerate(series):
        x = AXIS_WIDTH + number * 260
        parts.append(f'<rect x="{x}" y="8" width="16" height="16" '
                     f'fill="{SERIES_COLOURS[number]}"/>'
                     f'<text x="{x + 22}" y="21" fill="{TEXT}" font-size="14">'
                     f"{escape(label)}</text>")
    return "".join(parts)


def _axis(width: int, unit: str, most: float) -> str:
    parts = []
    for share in (0, 0.5, 1):
        y = LEGEND_HEIGHT + PLOT_HEIGHT - round(PLOT_HEIGHT * share)
        parts.append(f'<line x1="{AXIS_WIDTH - 4}" y1="{y}" x2="{width - 8}" y2="{y}" '
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{AXIS_WIDTH - 8}" y="{y + 4}" text-anchor="end" fill="{TEXT}" '
                     f'font-size="12">{_number(most * share)}{escape(unit)}</text>')
    return "".join(parts)


def _column(x: int, name: str, value: float | None, colour: str, unit: str, most: float,
            missing: str) -> str:
    base = LEGEND_HEIGHT + PLOT_HEIGHT
    shown = missing if value is None else f"{_number(value)}{unit}"
    tall = 0 if value is None or most <= 0 else round(PLOT_HEIGHT * min(value, most) / most)
    centre = x + COLUMN_WIDTH / 2
    return (f'<g><title>{escape(name)}: {escape(shown)}</title>'
            f'<rect x="{x + 2}" y="{base - tall}" width="{COLUMN_WIDTH - 4}" height="{tall}" '
            f'fill="{colour}"/>'
            f'<text x="{centre:g}" y="{base - tall - 4}" text-anchor="middle" fill="{TEXT}" '
            f'font-size="11">{escape(shown)}</text></g>')
