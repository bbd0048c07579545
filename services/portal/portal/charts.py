"""Charts drawn on the server as SVG: no script, readable by screen readers (a title and a
description name every bar), and the same figures are always given as a table beside them."""

from collections.abc import Sequence
from html import escape

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_WIDTH = 28, 12, 260, 300
TEXT = "#212b32"  # NHS text colour on white: contrast well above 4.5:1
BAR = "#005eb8"  # NHS blue


def bar_chart(title: str, bars: Sequence[tuple[str, float | None]], *, unit: str = "",
              most: float | None = None) -> str:
    """Horizontal bars, one per (label, value); a missing value is drawn as "not known"."""
    known = [value for _, value in bars if value is not None]
    top = most if most is not None else max([*known, 1.0])
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 80
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="portal-chart" '
             f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for row, (name, value) in enumerate(bars):
        y = GAP + row * (BAR_HEIGHT + GAP)
        parts.append(_bar(y, name, value, top, unit))
    parts.append("</svg>")
    return "".join(parts)


def _bar(y: int, name: str, value: float | None, top: float, unit: str) -> str:
    middle = y + BAR_HEIGHT // 2 + 5
    shown = "not known" if value is None else f"{_number(value)}{unit}"
    length = 0 if value is None or top <= 0 else round(BAR_WIDTH * min(value, top) / top)
    return (f'<g><title>{escape(name)}: {escape(shown)}</title>'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" fill="{TEXT}" '
            f'font-size="16">{escape(name)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{BAR}"/>'
            f'<text x="{LABEL_WIDTH + length + 8}" y="{middle}" fill="{TEXT}" '
            f'font-size="16">{escape(shown)}</text></g>')


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))
