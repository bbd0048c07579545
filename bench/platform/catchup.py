"""Figure 3: a consumer catching up from offset 0, beside the raw Kafka consumer.

Every service is stopped (each reads the registry's topic). The registry's topic,
`chorus.registry.events`, is filled up to the number of events asked for (1,000,000 by
default): the benchmark produces registry envelopes as the relay puts them on Kafka
(binary CloudEvents, key = the participant, three per participant who joins: joined,
profile, consent, each validated by its public contract), beside those the run's own
joins published. Then:

* **raw consumer** (the baseline): a bare `AIOKafkaConsumer` in a process of its own,
  assigned every partition from the beginning (no group), reads every record and does
  nothing with it. Rate: records / time from its first fetch to the last record.
* **opportunities catching up**: the opportunities service (`chorus serve`, as in the rest
  of the run) restarted on a new, empty database with its consumer group deleted, so that
  its consumer (the kernel's `InboxConsumer` behind the Kafka bus, applying each event to
  the pool, batches of up to 500 in one transaction) starts again from offset 0. Its
  progress is the group's committed offsets, read every half second; the rate is events
  applied / time, from the first commit seen to the last. It is stopped when it has
  caught up, or at the time limit (`--catch-up-seconds`), whichever comes first.

The rates over the first quarter, the first half and all of what it applied show whether
the cost per event grows as the store does.
"""

import asyncio
import multiprocessing
import resource
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.platform.commands import registry_records
from bench.platform.procstats import Watch
from bench.platform.progress import Offsets
from bench.platform.stack import Stack
from chorus.contracts import events_topic
from chorus.devservers.platform import SERVICES

Progress = Callable[[str], None]
TOPIC = events_topic("registry")
GROUP = "chorus.opportunities"
PRODUCE_CHUNK = 5000
POLL_SECONDS = 0.5


async def produce(bootstrap_servers: str, count: int, progress: Progress) -> float:
    """Append `count` registry envelopes to the registry's topic; return the seconds taken."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=5,
                                max_batch_size=1024 * 1024)
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for number, record in enumerate(registry_records(count), start=1):
            pending.append(await producer.send(TOPIC, record.value, key=record.key,
                                               headers=record.headers))
            if len(pending) == PRODUCE_CHUNK:
                await asyncio.gather(*pending)
                pending = []
            if number % 200_000 == 0:
                progress(f"catch-up: produced {number:,} of {count:,} registry events")
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def _raw_consumer(bootstrap_servers: str, partitions: list[int], expected: int,
                  pipe: Connection) -> None:
    pipe.send(asyncio.run(_read_all(bootstrap_servers, partitions, expected)))


async def _read_all(bootstrap_servers: str, numbers: list[int],
                    expected: int) -> dict[str, float]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(TOPIC, number) for number in numbers]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        read = byte_count = 0
        first = last = time.perf_counter()
        while read < expected:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                read += len(records)
                byte_count += sum(len(record.value or b"") for record in records)
            last = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        return {"events": read, "seconds": last - first, "bytes": byte_count,
                "peak_rss_mib": peak}
    finally:
        await consumer.stop()


def read_raw(bootstrap_servers: str, partitions: list[int], expected: int
             ) -> dict[str, float]:
    """The raw consumer, in a process of its own."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_raw_consumer, args=(bootstrap_servers, partitions, expected, theirs),
        daemon=True, name="bench-raw-consumer")
    process.start()
    theirs.close()
    try:
        deadline = time.monotonic() + 1800
        while not ours.poll(1):
            if not process.is_alive() or time.monotonic() > deadline:
                break
        try:
            result: dict[str, float] = ours.recv()
        except EOFError:
            raise RuntimeError("the raw consumer ended, or took over 30 minutes, without "
                               "reading every event") from None
        return result
    finally:
        process.join(10)
        if process.is_alive():
            process.terminate()


def _rate(samples: list[tuple[float, int]], upto: int) -> dict[str, float]:
    """Events/s from the first sample to the first one at or beyond `upto` events."""
    start_time, start_count = samples[0]
    for moment, count in samples:
        if count >= upto and moment > start_time:
            return {"events": count - start_count, "seconds": moment - start_time,
                    "events_per_second": (count - start_count) / (moment - start_time)}
    return {"events": 0, "seconds": 0.0, "events_per_second": float("nan")}


async def measure(stack: Stack, offsets: Offsets, events: int, time_limit: float,
                  progress: Progress) -> dict[str, Any]:
    await asyncio.gather(*(asyncio.to_thread(stack.process(name).stop) for name in SERVICES))
    held = await asyncio.to_thread(offsets.end, [TOPIC])
    produced = max(events - held, 0)
    progress(f"catch-up: the registry's topic holds {held:,} events; producing {produced:,}")
    produce_seconds = await produce(stack.servers.bootstrap_servers, produced, progress)
    total = await asyncio.to_thread(offsets.end, [TOPIC])

    progress(f"catch-up: the raw consumer reads {total:,} events")
    partitions = [tp.partition for tp in await asyncio.to_thread(offsets.partitions, [TOPIC])]
    raw = await asyncio.to_thread(read_raw, stack.servers.bootstrap_servers, partitions, total)
    raw["events_per_second"] = raw["events"] / raw["seconds"] if raw["seconds"] else 0.0
    progress(f"catch-up: raw consumer {raw['events_per_second']:,.0f} events/s")

    process = stack.process("opportunities")
    process.env["CHORUS_DATABASE_URL"] = stack.servers.postgres_url("opportunities_catchup")
    await asyncio.to_thread(offsets.delete_group, GROUP)
    samples: list[tuple[float, int]] = []
    started = time.perf_counter()
    process.start(wait=False)
    async with Watch({"opportunities": lambda: [process.pid] if process.pid else [],
                      **{k: v for k, v in stack.watched(services=False, floor=False).items()}}
                     ) as watch:
        deadline = started + time_limit if time_limit > 0 else float("inf")
        committed = 0
        while committed < total and time.perf_counter() < deadline:
            if not process.running:
                raise RuntimeError(f"opportunities stopped while catching up:\n"
                                   f"{process.log_tail()}")
            await asyncio.sleep(POLL_SECONDS)
            committed = await asyncio.to_thread(offsets.committed, GROUP, [TOPIC])
            if committed:
                samples.append((time.perf_counter(), committed))
                if len(samples) % 60 == 0:
                    progress(f"catch-up: opportunities has applied {committed:,} of "
                             f"{total:,}")
    finished = time.perf_counter()
    process.stop()
    applied = samples[-1][1] if samples else 0
    marks = [_rate(samples, applied * share // 4) for share in (1, 2, 4)] if samples else []
    chorus = {"events_in_topic": total, "events_applied": applied,
              "caught_up": applied >= total,
              "seconds_from_process_start": finished - started,
              "seconds_from_process_start_to_first_commit":
                  samples[0][0] - started if samples else None,
              "events_per_second": marks[-1]["events_per_second"] if marks else 0.0,
              "over_first_quarter_half_and_all": marks,
              "time_limit_seconds": time_limit or None,
              "processes": watch.as_dict()}
    progress(f"catch-up: opportunities {chorus['events_per_second']:,.0f} events/s "
             f"({applied:,} of {total:,} applied)")
    return {"topic": TOPIC, "events_in_topic": total, "produced_by_benchmark": produced,
            "published_by_the_run": held, "produce_seconds": produce_seconds,
            "raw_consumer": raw, "opportunities": chorus}
