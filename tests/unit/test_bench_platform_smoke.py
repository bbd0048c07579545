"""The platform benchmark runs end to end at tiny sizes and writes every part of its result.

The four services run as processes of their own on the session's Kafka broker and on a
PostgreSQL server of this test's own (the benchmark turns on commit timestamps, which needs
a restart the session's server must not have).
"""

import json
import math
from pathlib import Path

import pytest

from bench.kernel.servers import Servers
from bench.platform.__main__ import main
from chorus.devservers.postgres import LocalPostgres
from tests.fixtures.kafka import KafkaBroker

TINY = ["--clients", "1,2,4", "--warmup", "0.1", "--seconds", "0.4", "--rates", "4,8,16",
        "--reference-rate", "2", "--latency-seconds", "0.75", "--events", "1500",
        "--catch-up-seconds", "30", "--consultations", "2", "--idle-seconds", "0.5"]


@pytest.mark.kafka
@pytest.mark.postgres
def test_the_tiny_platform_benchmark_writes_every_figure(
    tmp_path: Path, postgres_workdir: Path, kafka_broker: KafkaBroker,
) -> None:
    with LocalPostgres.start(postgres_workdir) as postgres:
        servers = Servers(postgres, kafka_broker, postgres_workdir)  # type: ignore[arg-type]
        path = main([*TINY, "--results", str(tmp_path)], servers=servers)

    assert path == tmp_path / "platform.json"
    document = json.loads(path.read_text())
    assert {"benchmark", "machine", "figures", "sizes", "idle", "throughput", "latency",
            "catch_up", "memory", "growth", "total_seconds"} <= document.keys()
    assert document["benchmark"] == "platform"
    assert {"cpu_count", "python", "postgresql", "kafka"} <= document["machine"].keys()
    for figure in document["figures"]:
        assert {"name", "value", "unit", "baseline", "ratio", "target", "meets"} <= figure.keys()
        assert {"name", "value"} <= figure["baseline"].keys()

    runs = document["throughput"]
    assert {run["clients"] for run in runs} == {1, 2, 4}
    assert {run["service"] for run in runs} == {None, "registry", "feedback", "opportunities"}
    for run in runs:
        assert run["succeeded_in_window"] > 0, run
        assert set(run["statuses"]) <= {"201"}, run
    paths = document["latency"]
    assert {(p["path"], p["rate"], p["reference"]) for p in paths} == {
        (path, rate, rate == 2) for path in ("chorus", "floor") for rate in (2, 4, 8, 16)}
    for journey in paths:
        assert journey["effects_visible"] == journey["commands_accepted"] > 0, journey
        assert journey["accepted_to_visible"]["p50_ms"] > 0
    catch_up = document["catch_up"]
    assert catch_up["events_in_topic"] >= 1500
    assert catch_up["raw_consumer"]["events"] == catch_up["events_in_topic"]
    assert catch_up["opportunities"]["caught_up"] is True
    assert catch_up["opportunities"]["events_per_second"] > 0
    assert catch_up["raw_consumer"]["peak_rss_mib"] > 0
    memory = document["memory"]
    for service in ("registry", "opportunities", "feedback", "notifications"):
        assert memory["idle_mib"][service] > 20
        assert memory["peak_under_load_mib"][service] >= memory["idle_mib"][service] * 0.9
    growth = document["growth"]
    assert {"throughput_as_clients_double", "latency_as_rate_doubles",
            "catch_up_as_events_double", "memory_as_load_doubles_mib"} <= growth.keys()
    assert all(len(series["requests_per_second"]) == 3
               for series in growth["throughput_as_clients_double"].values())
    names = [figure["name"] for figure in document["figures"]]
    assert any("through HTTP" in name for name in names)
    assert any("to matchable" in name and "reference" in name for name in names)
    assert any("to matchable" in name and "(4x)" in name for name in names)
    assert any("catching up" in name for name in names)
    assert any("resident size" in name for name in names)
    assert all(math.isfinite(figure["baseline"]["value"]) for figure in document["figures"]
               if "through HTTP" in figure["name"])
