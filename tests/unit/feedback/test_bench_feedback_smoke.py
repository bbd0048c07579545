"""The metrics rebuild benchmark runs end to end on a small store and reports what it should."""

import json
from pathlib import Path

from bench.feedback.__main__ import main


def test_the_small_rebuild_benchmark_writes_its_figures(tmp_path: Path) -> None:
    results = tmp_path / "results"
    path = main(["--events", "3000", "--databases", "sqlite", "--rounds", "2",
                 "--results", str(results), "--workdir", str(tmp_path / "work")])

    assert path == results / "feedback_metrics.json"
    document = json.loads(path.read_text())
    assert {"benchmark", "machine", "figures", "events", "results", "workload",
            "rebuilds_give_identical_metrics"} <= document.keys()
    assert document["events"] == 3000
    assert document["rebuilds_give_identical_metrics"] is True
    assert {"cpu_count", "python"} <= document["machine"].keys()
    sqlite = document["results"]["sqlite"]
    for measurement in ("floor", "rebuild"):
        assert sqlite[measurement]["events_per_second"] > 0
        assert len(sqlite[measurement]["runs_seconds"]) == 2
    assert sqlite["ratio_rebuild_to_floor"] > 0
    assert sqlite["metrics_query"]["for_organisation"]["median_seconds"] > 0
    assert sqlite["metrics_query"]["for_network"]["median_seconds"] > 0
    workload = document["workload"]
    assert sum(workload["counts"].values()) == 3000
    assert abs(sum(workload["proportions"].values()) - 1) < 0.01
    assert "FeedbackSubmitted" in workload["counts"]
    assert all(figure["meets"] for figure in document["figures"])
