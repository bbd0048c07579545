"""Resident size and CPU time of the processes on the machine, from Linux's /proc.

A `Watch` samples the resident size and CPU time of named processes every quarter second
while load runs, keeping each one's peak size and the CPU seconds it used meanwhile.
PostgreSQL counts as one process: the postmaster and every backend under it.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

MIB = 1024 * 1024
TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.25

Pids = Callable[[], list[int]]
"""The process ids that make up one named process (several for PostgreSQL)."""


def resident_bytes(pid: int) -> int:
    """VmRSS of the process, 0 if it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used, 0 if it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def one(pid: int | None) -> Pids:
    return lambda: [pid] if pid else []


def with_children(pid_file: Path) -> Pids:
    """A server and every process under it (PostgreSQL's backends)."""
    def pids() -> list[int]:
        try:
            parent = int(pid_file.read_text().partition("\n")[0])
        except (FileNotFoundError, ValueError):
            return []
        found = [parent]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rpartition(")")[2].split()
                except (FileNotFoundError, ProcessLookupError):
                    continue
                if int(stat[1]) == parent:
                    found.append(int(entry.name))
        return found

    return pids


@dataclass
class Usage:
    """What a named process used over one watch."""

    peak_bytes: int = 0
    last_bytes: int = 0
    cpu_seconds: float = 0.0

    def as_dict(self, seconds: float) -> dict[str, float]:
        return {"peak_rss_mib": self.peak_bytes / MIB, "last_rss_mib": self.last_bytes / MIB,
                "cpu_seconds": self.cpu_seconds,
                "cpu_share_of_one_core": self.cpu_seconds / seconds if seconds else 0.0}


@dataclass
class Watch:
    """Peak resident size and CPU seconds of each named process while the block runs.

    CPU time is followed per process id at every sample, so that a process that ends
    during the watch (a database backend whose connection closed) still counts for what
    it used until its last sample, and one that starts counts from zero."""

    processes: Mapping[str, Pids]
    usage: dict[str, Usage] = field(default_factory=dict)
    seconds: float = 0.0
    _task: asyncio.Task[None] | None = None
    _cpu: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)
    _started: float = 0.0

    def _sample(self, *, first: bool = False) -> None:
        for name, pids in self.processes.items():
            found = pids()
            usage = self.usage.setdefault(name, Usage())
            size = sum(resident_bytes(pid) for pid in found)
            usage.peak_bytes = max(usage.peak_bytes, size)
            usage.last_bytes = size
            seen = self._cpu.setdefault(name, {})
            for pid in found:
                now = cpu_seconds(pid)
                began = seen[pid][0] if pid in seen else (now if first else 0.0)
                seen[pid] = (began, max(now, seen[pid][1]) if pid in seen else now)
            usage.cpu_seconds = sum(last - began for began, last in seen.values())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(SAMPLE_SECONDS)
            self._sample()

    async def __aenter__(self) -> Self:
        self._started = time.perf_counter()
        self._sample(first=True)
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._sample()
        self.seconds = time.perf_counter() - self._started

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {name: usage.as_dict(self.seconds) for name, usage in self.usage.items()}
