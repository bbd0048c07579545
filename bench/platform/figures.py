"""The figures of one run, each beside its baseline, and how each grows as load doubles."""

import itertools
import math
from collections.abc import Sequence
from typing import Any

from bench.platform.latency import Journey
from bench.platform.throughput import Run
from bench.report import Baseline, Figure, higher_is_better, lower_is_better

SERVICES = ("registry", "feedback", "opportunities")
ALL_SERVICES = ("registry", "opportunities", "feedback", "notifications")
REPORTED_ONLY = "none, reported only (ratio = value / baseline)"
P50_TARGET_MS, P99_TARGET_MS = 50.0, 250.0
THROUGHPUT_TARGET = 0.5


def _times(index: int) -> str:
    return f"{2 ** index}x"


def throughput_figures(runs: Sequence[Run]) -> list[Figure]:
    figures: list[Figure] = []
    levels = sorted({run.clients for run in runs})
    for index, clients in enumerate(levels):
        at = [run for run in runs if run.clients == clients]
        floor = next(run for run in at if run.service is None)
        load = f"{clients} clients ({_times(index)})"
        for run in (r for r in at if r.service is not None):
            figures.append(higher_is_better(
                f"{run.command} through HTTP, {load}", run.rate, "requests/s",
                Baseline(f"bare FastAPI endpoint, one INSERT, {clients} clients", floor.rate),
                at_least=THROUGHPUT_TARGET))
            figures.append(lower_is_better(
                f"{run.command}, p99 latency, {load}", run.load["p99_ms"], "ms",
                Baseline("bare FastAPI endpoint, one INSERT, p99", floor.load["p99_ms"]),
                below=None))
            figures.append(lower_is_better(
                f"{run.command}, CPU per request in the {run.service} process, {load}",
                run.cpu_ms_per_request(run.process), "ms",
                Baseline("CPU per request in the bare FastAPI process",
                         floor.cpu_ms_per_request(floor.process)), below=None))
    return figures


def latency_figures(journeys: Sequence[Journey]) -> list[Figure]:
    figures: list[Figure] = []
    name = "participant joined (registry 201) to matchable (opportunities committed)"
    bare = "bare FastAPI + aiokafka producer -> aiokafka consumer + INSERT"
    light = [j for j in journeys if j.reference]
    for chorus in (j for j in light if j.path == "chorus"):
        floor = next(j for j in light if j.path == "floor")
        for percent in (50, 99):
            figures.append(lower_is_better(
                f"{name}, p{percent}, light load reference, {chorus.rate:g} joins/s",
                chorus.percentile_ms(percent), "ms",
                Baseline(f"{bare}, p{percent}", floor.percentile_ms(percent)), below=None))
    journeys = [j for j in journeys if not j.reference]
    rates = sorted({j.rate for j in journeys})
    for index, rate in enumerate(rates):
        chorus = next(j for j in journeys if j.rate == rate and j.path == "chorus")
        floor = next(j for j in journeys if j.rate == rate and j.path == "floor")
        load = f"{rate:g} joins/s ({_times(index)})"
        for percent, below in ((50, P50_TARGET_MS), (99, P99_TARGET_MS)):
            figures.append(lower_is_better(
                f"{name}, p{percent}, {load}", chorus.percentile_ms(percent), "ms",
                Baseline(f"{bare}, p{percent}", floor.percentile_ms(percent)), below=below))
        figures.append(higher_is_better(
            f"joins answered 2xx per second (open loop), {load}",
            chorus.load["achieved_rate"], "joins/s", Baseline("rate asked", rate),
            at_least=0.95))
        figures.append(higher_is_better(
            f"joins whose three events all reached opportunities, {load}", chorus.seen,
            "joins", Baseline("joins accepted", chorus.expected), at_least=1.0))
    return figures


def catch_up_figures(catch_up: dict[str, Any]) -> list[Figure]:
    raw, ours = catch_up["raw_consumer"], catch_up["opportunities"]
    baseline = Baseline(f"raw aiokafka consumer, no processing, {raw['events']:,} events",
                        raw["events_per_second"])
    figures = []
    labels = ("first quarter", "first half", "all")
    for label, mark in zip(labels, ours["over_first_quarter_half_and_all"], strict=False):
        rate = mark["events_per_second"]
        figures.append(Figure(
            f"opportunities consumer catching up from offset 0, {label} of "
            f"{ours['events_applied']:,} events applied (of {ours['events_in_topic']:,})",
            rate, "events/s", baseline,
            rate / baseline.value if baseline.value else math.inf, REPORTED_ONLY, True))
    return figures


def memory(idle: dict[str, float], runs: Sequence[Run], journeys: Sequence[Journey],
           catch_up: dict[str, Any] | None) -> dict[str, Any]:
    """Resident sizes (MiB): idle, and the peak under each load."""
    def peak(usage: dict[str, dict[str, float]], name: str) -> float:
        return usage.get(name, {}).get("peak_rss_mib", 0.0)

    by_clients: dict[str, dict[str, float]] = {}
    for run in runs:
        level = by_clients.setdefault(f"{run.clients} clients", {})
        for name in (*ALL_SERVICES, "floor app"):
            level[name] = max(level.get(name, 0.0), peak(run.usage, name))
    by_rate: dict[str, dict[str, float]] = {}
    for journey in journeys:
        level = by_rate.setdefault(
            f"{journey.rate:g} joins/s{' (reference)' if journey.reference else ''}", {})
        for name in (*ALL_SERVICES, "floor app", "floor consumer"):
            level[name] = max(level.get(name, 0.0), peak(journey.usage, name))
    under_load = {name: max([0.0, *(level.get(name, 0.0) for level in (
        *by_clients.values(), *by_rate.values()))]) for name in (*ALL_SERVICES, "floor app")}
    result: dict[str, Any] = {"idle_mib": idle, "peak_under_load_mib": under_load,
                              "peak_by_throughput_load_mib": by_clients,
                              "peak_by_latency_rate_mib": by_rate}
    if catch_up is not None:
        result["opportunities_peak_while_catching_up_mib"] = peak(
            catch_up["opportunities"]["processes"], "opportunities")
        result["raw_consumer_peak_mib"] = catch_up["raw_consumer"].get("peak_rss_mib", 0.0)
    return result


def memory_figures(mem: dict[str, Any]) -> list[Figure]:
    figures = []
    idle, loaded = mem["idle_mib"], mem["peak_under_load_mib"]
    for name in ALL_SERVICES:
        figures.append(lower_is_better(
            f"{name} process resident size, idle", idle.get(name, 0.0), "MiB",
            Baseline("bare FastAPI process, idle", idle.get("floor app", 0.0)), below=None))
        if loaded.get(name):
            figures.append(lower_is_better(
                f"{name} process resident size, peak under the loads above", loaded[name],
                "MiB", Baseline("bare FastAPI process, peak under its loads",
                                loaded.get("floor app", 0.0)), below=None))
    if "opportunities_peak_while_catching_up_mib" in mem:
        figures.append(lower_is_better(
            "opportunities process resident size, peak while catching up",
            mem["opportunities_peak_while_catching_up_mib"], "MiB",
            Baseline("raw aiokafka consumer process, peak while reading the topic",
                     mem["raw_consumer_peak_mib"]), below=None))
    return figures


def _doubling(values: Sequence[float]) -> list[float]:
    return [later / earlier if earlier else math.inf
            for earlier, later in itertools.pairwise(values)]


def growth(runs: Sequence[Run], journeys: Sequence[Journey],
           catch_up: dict[str, Any] | None, mem: dict[str, Any]) -> dict[str, Any]:
    """Each figure at 1x, 2x and 4x load, and the factor from each step to the next."""
    result: dict[str, Any] = {}
    commands = dict.fromkeys(run.command for run in runs)
    throughput = {}
    for command in commands:
        mine = sorted((r for r in runs if r.command == command), key=lambda r: r.clients)
        throughput[command] = {
            "clients": [r.clients for r in mine],
            "requests_per_second": [r.rate for r in mine],
            "p50_ms": [r.load["p50_ms"] for r in mine],
            "p99_ms": [r.load["p99_ms"] for r in mine],
            "cpu_ms_per_request": [r.cpu_ms_per_request(r.process) for r in mine],
            "requests_per_second_factor_per_doubling": _doubling([r.rate for r in mine]),
            "p99_factor_per_doubling": _doubling([r.load["p99_ms"] for r in mine]),
        }
    if throughput:
        result["throughput_as_clients_double"] = throughput
    latency = {}
    for path in ("chorus", "floor"):
        along = sorted((j for j in journeys if j.path == path and not j.reference),
                       key=lambda j: j.rate)
        if along:
            latency[path] = {
                "rate": [j.rate for j in along],
                "p50_ms": [j.percentile_ms(50) for j in along],
                "p99_ms": [j.percentile_ms(99) for j in along],
                "p50_factor_per_doubling": _doubling([j.percentile_ms(50) for j in along]),
                "p99_factor_per_doubling": _doubling([j.percentile_ms(99) for j in along]),
            }
    if latency:
        result["latency_as_rate_doubles"] = latency
    if catch_up is not None:
        marks = catch_up["opportunities"]["over_first_quarter_half_and_all"]
        result["catch_up_as_events_double"] = {
            "events": [m["events"] for m in marks],
            "seconds": [m["seconds"] for m in marks],
            "events_per_second": [m["events_per_second"] for m in marks],
            "seconds_factor_per_doubling": _doubling([m["seconds"] for m in marks]),
        }
    result["memory_as_load_doubles_mib"] = {
        "throughput": mem["peak_by_throughput_load_mib"],
        "latency": mem["peak_by_latency_rate_mib"]}
    return result
