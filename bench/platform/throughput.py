"""Figure 1: commands through HTTP per service process, beside the floor (closed loop).

At each load (N clients, doubled twice), first the floor, then each service's command,
each for a warm-up and a measured window: N clients each send their next request as soon
as the last one is answered. Requests/s counts the 2xx answers within the window; latency
is each such request's round trip. While a run lasts, the resident size and CPU time of
every process are followed. After a service's run the benchmark waits until the platform
has caught up (every outbox published, every consumer group at the end of its topics), so
that one run's backlog does not slow the next; how long that took is recorded.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.platform.commands import Command
from bench.platform.loadgen import ClosedLoop, LoadGenerator
from bench.platform.procstats import Watch
from bench.platform.progress import Offsets, settle
from bench.platform.region import Region
from bench.platform.stack import Stack
from chorus.store import Database

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """One command at one load: what the load generator saw, what each process used."""

    command: str
    service: str | None  # None for the floor
    clients: int
    load: dict[str, Any]
    usage: dict[str, dict[str, float]]
    settling: dict[str, Any] | None

    @property
    def rate(self) -> float:
        return float(self.load["requests_per_second"])

    @property
    def process(self) -> str:
        return self.service or "floor app"

    def cpu_ms_per_request(self, process: str) -> float:
        """CPU time `process` spent per request answered (warm-up included in both)."""
        answered = self.load["requests_sent"]
        spent = self.usage.get(process, {}).get("cpu_seconds", 0.0)
        return spent / answered * 1000 if answered else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"command": self.command, "service": self.service, "clients": self.clients,
                **self.load,
                "cpu_ms_per_request_in_its_process": self.cpu_ms_per_request(self.process),
                "cpu_ms_per_request_in_postgresql": self.cpu_ms_per_request("postgresql"),
                "processes": self.usage, "settling_after": self.settling}


async def _one(stack: Stack, generator: LoadGenerator, command: Command, service: str | None,
               clients: int, warmup: float, seconds: float, databases: dict[str, Database],
               offsets: Offsets) -> Run:
    async with Watch(stack.watched(extra={"load generator": generator.pid})) as watch:
        load = await generator.run_async(ClosedLoop(command, clients, warmup, seconds))
    settling = await settle(databases, offsets) if service is not None else None
    return Run(command.name, service, clients, load, watch.as_dict(), settling)


async def measure(stack: Stack, region: Region, generator: LoadGenerator,
                  clients: tuple[int, ...], warmup: float, seconds: float,
                  databases: dict[str, Database], offsets: Offsets,
                  progress: Progress) -> list[Run]:
    runs: list[Run] = []
    for level in clients:
        commands: list[tuple[Command, str | None]] = [
            (region.floor_commands(stack), None),
            (region.joins(stack), "registry"),
            (await region.submissions(stack), "feedback"),
            (await region.publications(stack), "opportunities"),
        ]
        for command, service in commands:
            run = await _one(stack, generator, command, service, level, warmup, seconds,
                             databases, offsets)
            runs.append(run)
            settled = (f", settled in {run.settling['seconds']:.1f} s"
                       if run.settling else "")
            progress(f"throughput: {command.name}, {level} clients: {run.rate:,.0f} req/s, "
                     f"p99 {run.load['p99_ms']:.0f} ms, statuses {run.load['statuses']}"
                     f"{settled}")
    return runs
