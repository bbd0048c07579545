"""A steady open-loop load, and per-event time stamps turned into latencies."""

import asyncio
import logging
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

Stamps = dict[str, float]
"""When each event (by id) reached some point, in `time.monotonic()` seconds: one clock for
every process on the machine (CLOCK_MONOTONIC)."""

Send = Callable[[], Coroutine[Any, Any, None]]
"""One unit of load: a transaction, or a publish."""


def stamp(stamps: Stamps, key: str) -> None:
    stamps[key] = time.monotonic()


class StampSource(Protocol):
    """Stamps recorded somewhere else (a task, or another process), fetched on demand."""

    async def stamps(self) -> Stamps: ...


@dataclass(frozen=True)
class LocalStamps:
    """Stamps recorded in this process."""

    recorded: Stamps

    async def stamps(self) -> Stamps:
        return self.recorded


async def steady(rate: float, seconds: float, send: Send) -> float:
    """Start `send()` `rate` times a second for `seconds`, each on time whether or not the
    earlier ones have finished (an open loop); return the rate at which they completed."""
    interval, count = 1 / rate, round(rate * seconds)
    started = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for index in range(count):
        delay = started + index * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send()))
    await asyncio.gather(*tasks)
    return count / (time.monotonic() - started)


async def all_seen(sent: Stamps, source: StampSource, within: float) -> Stamps:
    """Wait until every key of `sent` has been seen, or `within` seconds; return what was."""
    deadline = time.monotonic() + within
    while True:
        seen = await source.stamps()
        if sent.keys() <= seen.keys() or time.monotonic() >= deadline:
            return seen
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Latencies:
    """One run: per-event latencies, and how well the load was kept up."""

    seconds: list[float]
    sent: int
    seen: int
    achieved_rate: float

    @classmethod
    def between(cls, sent: Stamps, seen: Stamps, achieved_rate: float) -> "Latencies":
        both = sent.keys() & seen.keys()
        return cls([seen[key] - sent[key] for key in both], len(sent), len(both), achieved_rate)

    def percentile_ms(self, percent: int) -> float:
        if len(self.seconds) < 2:
            return float("nan")
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[percent - 1] * 1000


def quiet_logging() -> None:
    """Warnings only, and none of aiokafka's start-up chatter (leader elections on new topics,
    a group coordinator not ready yet): every run checks that each event arrived instead."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
