"""The matching benchmark runs end to end on a small pool, and both sides agree."""

from bench.opportunities.matching import QUICK, run


def test_the_quick_matching_benchmark_runs_and_agrees_with_the_reference() -> None:
    figures = run(QUICK, progress=lambda message: None)
    check = figures[-1]
    assert check.name.startswith("rankings equal to the reference")
    assert check.value == check.baseline.value == 2
    assert all(figure.meets for figure in figures)
    assert {figure.unit for figure in figures} == {"ms", "ns", "rankings"}
