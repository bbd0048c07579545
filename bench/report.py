"""The result format every benchmark shares: figures beside baselines, the machine, a table.

A result file `bench/results/<benchmark>.json` is::

    {"benchmark": str,
     "machine": {"cpu_count", "cpu_model", "memory_gib", "python", "platform", ...},
     "figures": [{"name", "value", "unit", "baseline": {"name", "value"},
                  "ratio", "target", "meets"}]}

`ratio` is value / baseline for throughput-like figures and baseline / value for
latency-like ones, so above 1 always means "better than the baseline"; each figure's
`target` says which. A figure with no target of its own says so and has `meets: true`.
"""

import json
import math
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Baseline:
    """What a figure is compared with: a name and its value in the figure's unit."""

    name: str
    value: float


@dataclass(frozen=True)
class Figure:
    """One measured number, its baseline, and whether it meets its target."""

    name: str
    value: float
    unit: str
    baseline: Baseline
    ratio: float
    target: str
    meets: bool


def higher_is_better(
    name: str, value: float, unit: str, baseline: Baseline, *, at_least: float
) -> Figure:
    """A throughput-like figure: ratio = value / baseline, target ratio >= `at_least`."""
    ratio = _divide(value, baseline.value)
    target = f">= {at_least:g}x baseline (ratio = value / baseline)"
    return Figure(name, value, unit, baseline, ratio, target, ratio >= at_least)


def lower_is_better(
    name: str, value: float, unit: str, baseline: Baseline, *, below: float | None
) -> Figure:
    """A latency-like figure: ratio = baseline / value, target value < `below` (if any)."""
    ratio = _divide(baseline.value, value)
    if below is None:
        return Figure(name, value, unit, baseline, ratio,
                      "none, reported only (ratio = baseline / value)", True)
    target = f"< {below:g} {unit} (ratio = baseline / value)"
    return Figure(name, value, unit, baseline, ratio, target, value < below)


def _divide(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.inf


def machine_info(**software: str) -> dict[str, Any]:
    """The machine the figures came from, plus any software versions worth recording."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        **software,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def to_json(benchmark: str, machine: Mapping[str, Any], figures: Sequence[Figure]) -> str:
    document = {
        "benchmark": benchmark,
        "machine": dict(machine),
        "figures": [_rounded(asdict(figure)) for figure in figures],
    }
    return json.dumps(document, indent=2) + "\n"


def write_result(
    benchmark: str,
    machine: Mapping[str, Any],
    figures: Sequence[Figure],
    directory: Path = RESULTS_DIR,
) -> Path:
    """Write `<directory>/<benchmark>.json` (atomically) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{benchmark}.json"
    partial = path.with_suffix(".json.tmp")
    partial.write_text(to_json(benchmark, machine, figures))
    partial.replace(path)
    return path


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float):
        return _significant(value)
    return value


def _significant(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, max(digits - 1 - math.floor(math.log10(abs(value))), 0))


def print_table(benchmark: str, figures: Sequence[Figure], out: TextIO = sys.stdout) -> None:
    """Print the figures as an aligned plain-text table under the benchmark's name."""
    header = ("figure", "value", "unit", "baseline", "baseline value", "ratio", "target", "meets")
    rows = [header, *(_row(figure) for figure in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 4, 5}  # numbers
    print(f"\n{benchmark}", file=out)
    for index, row in enumerate(rows):
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip(), file=out)
        if index == 0:
            print("  ".join("-" * w for w in widths), file=out)
    out.flush()


def _row(figure: Figure) -> tuple[str, ...]:
    return (figure.name, _number(figure.value), figure.unit, figure.baseline.name,
            _number(figure.baseline.value), f"{figure.ratio:.2f}x", figure.target,
            "yes" if figure.meets else "NO")


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
