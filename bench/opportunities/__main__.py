"""Rank one opportunity over 10,000, 100,000 and 1,000,000 candidates, beside the reference.

`uv run python -m bench.opportunities` writes `bench/results/opportunities_matching.json`
and prints a table; it takes a few minutes, most of it generating a million profiles.
`--quick` ranks a pool of 2,000 only (a smoke run for CI) and writes nothing unless
`--results` is given.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.opportunities import matching
from bench.report import RESULTS_DIR, machine_info, print_table, write_result

BENCHMARK = "opportunities_matching"


def main() -> None:
    args = _arguments()
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    machine = machine_info(numpy=np.__version__,
                           load_average_at_start=" ".join(f"{x:.2f}" for x in os.getloadavg()))
    figures = matching.run(matching.QUICK if args.quick else matching.FULL, progress)
    print_table(BENCHMARK, figures)
    if args.results is not None or not args.quick:
        path = write_result(BENCHMARK, machine, figures, args.results or RESULTS_DIR)
        progress(f"wrote {path}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.opportunities", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a pool of 2,000 candidates only, for a smoke run")
    parser.add_argument("--results", type=Path, default=None,
                        help="directory for the result file (default: bench/results)")
    return parser.parse_args()


if __name__ == "__main__":
    main()
