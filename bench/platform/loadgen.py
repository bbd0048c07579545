"""The load generator: a process of its own that sends HTTP requests, closed or open loop.

It speaks HTTP/1.1 over plain asyncio streams (keep-alive, `Content-Length` bodies), which
is all a Chorus service or the floor answers with, and costs far less CPU per request than
a general client: on a 2-core machine the generator shares the cores with the servers it
measures, so the less it uses, the less it distorts.

* **closed loop**: N clients, each with one connection, each sending its next request as
  soon as the last one is answered. Requests/s and latency over a measured window after a
  warm-up.
* **open loop**: requests start on a fixed schedule (rate r) whether or not earlier ones
  have been answered, each on an idle connection or a new one. Every request's wall-clock
  send and answer times come back, with the id the service gave the new thing, so that the
  benchmark can find when its effect became visible elsewhere. The rate achieved counts
  2xx answers only.

`LoadGenerator` runs jobs in a child process (spawned once, reused) and returns results.
"""

import asyncio
import contextlib
import json
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.platform.commands import Command

ANSWER_SECONDS = 120.0
"""How long an open loop waits for its last answers (at least; ten times the run if
longer); requests still unanswered then are given up and counted."""
MAX_CONNECTIONS = 256
"""At most this many requests in flight in an open loop: when a service falls behind, later
requests wait for a connection (they count as late, and the rate achieved drops) rather
than opening thousands."""


class HttpError(Exception):
    """The server answered with something this client does not read."""


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; return the status and body (reconnects once if the server
        closed the connection in between)."""
        for attempt in (1, 2):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(request)
                return await _answer(self._reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
            self._reader = self._writer = None


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        if b"transfer-encoding: chunked" in lowered:
            raise HttpError("chunked responses are not read by this client")
        return status, b""
    end = lowered.index(b"\r\n", at + 2)
    length = int(lowered[at + 17:end])
    return status, await reader.readexactly(length) if length else b""


async def _exchange(connection: Client, request: bytes) -> tuple[int, bytes]:
    """Status 0 when the request failed below HTTP (the connection is dropped)."""
    try:
        return await connection.send(request)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HttpError):
        await connection.close()
        return 0, b""


@dataclass(frozen=True)
class ClosedLoop:
    command: Command
    clients: int
    warmup: float
    seconds: float


@dataclass(frozen=True)
class OpenLoop:
    command: Command
    rate: float
    warmup: float
    seconds: float
    id_field: str


def summary(latencies: list[float]) -> dict[str, float]:
    """Latency percentiles in milliseconds."""
    if len(latencies) < 2:
        return {"p50_ms": float("nan"), "p90_ms": float("nan"), "p99_ms": float("nan"),
                "mean_ms": float("nan"), "max_ms": float("nan")}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p90_ms": cuts[89] * 1000, "p99_ms": cuts[98] * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000, "max_ms": max(latencies) * 1000}


async def closed_loop(job: ClosedLoop, first: int = 0) -> dict[str, Any]:
    """N clients, each sending as soon as answered; figures over the window after warm-up."""
    request = job.command.requests()
    numbers = iter(range(first, first + 10**9))
    start = time.perf_counter()
    window = (start + job.warmup, start + job.warmup + job.seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent = 0

    async def client() -> None:
        nonlocal sent
        connection = Client(job.command.port)
        try:
            while (began := time.perf_counter()) < window[1]:
                status, _ = await _exchange(connection, request(next(numbers)))
                ended = time.perf_counter()
                sent += 1
                if window[0] <= ended < window[1]:
                    statuses[status] = statuses.get(status, 0) + 1
                    if 200 <= status < 300 and began >= window[0]:
                        latencies.append(ended - began)
        finally:
            await connection.close()

    await asyncio.gather(*(client() for _ in range(job.clients)))
    succeeded = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {"clients": job.clients, "window_seconds": job.seconds, "requests_sent": sent,
            "succeeded_in_window": succeeded, "requests_per_second": succeeded / job.seconds,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, **summary(latencies)}


async def open_loop(job: OpenLoop, first: int = 0) -> dict[str, Any]:
    """Requests on a fixed schedule (warm-up, then the measured run); every measured
    request's wall-clock send and answer times, status and new id."""
    request = job.command.requests()
    idle: list[Client] = []
    every: list[Client] = []
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    records: list[tuple[float, float, int, str | None]] = []
    late: list[float] = []
    interval = 1 / job.rate
    warm, measured = round(job.rate * job.warmup), round(job.rate * job.seconds)

    async def one(n: int, scheduled: float, keep: bool) -> None:
        async with slots:
            if idle:
                connection = idle.pop()
            else:
                connection = Client(job.command.port)
                every.append(connection)
            sent = time.time()
            if keep:
                late.append(time.perf_counter() - scheduled)
            status, body = await _exchange(connection, request(n))
            accepted = time.time()
            idle.append(connection)
        if keep:
            found = None
            if 200 <= status < 300 and body:
                found = str(json.loads(body).get(job.id_field))
            records.append((sent, accepted, status, found))

    start = time.perf_counter()
    tasks = []
    for index in range(warm + measured):
        scheduled = start + index * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first + index, scheduled, index >= warm)))
    _, unanswered = await asyncio.wait(tasks, timeout=max(ANSWER_SECONDS, 10 * job.seconds))
    for task in unanswered:
        task.cancel()
    elapsed = time.perf_counter() - (start + warm * interval)
    for connection in every:
        await connection.close()
    statuses: dict[str, int] = {}
    for _, _, status, _ in records:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"rate_asked": job.rate, "seconds": job.seconds, "requests": measured,
            "unanswered": len(unanswered),
            "achieved_rate": sum(200 <= r[2] < 300 for r in records) / elapsed,
            "connections": len(every),
            "start_lateness_ms": summary(late), "statuses": statuses,
            "response_ms": summary([a - s for s, a, status, _ in records
                                    if 200 <= status < 300]),
            "records": records}


Job = ClosedLoop | OpenLoop


class LoadGenerator:
    """The load generator's process: `run(job)` there, result back here."""

    def __init__(self) -> None:
        self._pipe, child_end = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child_end,), name="bench-load", daemon=True)
        self._numbers = 0

    def start(self) -> None:
        self._process.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def run(self, job: Job) -> dict[str, Any]:
        """Run one job there (request numbers never repeat within a run)."""
        self._pipe.send((job, self._numbers))
        kind, result = self._pipe.recv()
        if kind == "error":
            raise RuntimeError(f"the load generator failed: {result}")
        self._numbers += int(result.get("requests_sent", result.get("requests", 0))) + 10**6
        return dict(result)

    async def run_async(self, job: Job) -> dict[str, Any]:
        return await asyncio.to_thread(self.run, job)

    def stop(self) -> None:
        if self._process.is_alive():
            self._pipe.send(None)
            self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(10)


RUNNERS: dict[type, Callable[..., Any]] = {ClosedLoop: closed_loop, OpenLoop: open_loop}


def _serve(pipe: Connection) -> None:
    while (message := pipe.recv()) is not None:
        job, first = message
        try:
            result = asyncio.run(RUNNERS[type(job)](job, first))
        except Exception as error:
            pipe.send(("error", f"{type(error).__name__}: {error}"))
        else:
            pipe.send(("done", result))
