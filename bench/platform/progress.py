"""How far the platform has got: unpublished outbox rows, consumer groups' committed
offsets, and waiting until every service has caught up with what the load produced."""

import asyncio
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from chorus.contracts import events_topic
from chorus.store import Database
from chorus.store.schema import outbox

CONSUMERS: dict[str, tuple[str, ...]] = {
    # consumer group -> the topics it reads (as each service's bootstrap subscribes)
    "chorus.opportunities": (events_topic("registry"),),
    "chorus.feedback": (events_topic("registry"), events_topic("opportunities")),
    "chorus.notifications": tuple(events_topic(s)
                                  for s in ("registry", "opportunities", "feedback")),
}


class Offsets:
    """Kafka offsets, through kafka-python's admin client and a group-less consumer."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers,
                                      client_id="bench-platform-admin")
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers,
                                      client_id="bench-platform-offsets")

    def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        return [TopicPartition(topic, partition) for topic in topics
                for partition in sorted(self.consumer.partitions_for_topic(topic) or ())]

    def end(self, topics: Sequence[str]) -> int:
        """How many records the topics hold (they are never compacted or trimmed here)."""
        ends: Mapping[TopicPartition, int] = self.consumer.end_offsets(self.partitions(topics))
        return sum(ends.values())

    def committed(self, group: str, topics: Sequence[str]) -> int:
        offsets: Mapping[TopicPartition, Any] = self.admin.list_group_offsets(group).get(group, {})
        return sum(offsets[tp].offset for tp in self.partitions(topics)
                   if tp in offsets and offsets[tp].offset >= 0)

    def lag(self, group: str, topics: Sequence[str]) -> int:
        return self.end(topics) - self.committed(group, topics)

    def delete_group(self, group: str) -> None:
        self.admin.delete_groups([group])

    def close(self) -> None:
        self.consumer.close()
        self.admin.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


async def unpublished(db: Database) -> int:
    async with db.connect() as conn:
        query = select(func.count()).where(outbox.c.published_at.is_(None))
        return int((await conn.execute(query)).scalar_one())


async def settle(databases: Mapping[str, Database], offsets: Offsets,
                 within: float = 300.0) -> dict[str, Any]:
    """Wait until every outbox is published and every consumer group has read everything;
    return how long that took and what was left when the wait began."""
    started = time.monotonic()
    first: dict[str, int] | None = None
    while True:
        left = {f"{name} outbox": await unpublished(db) for name, db in databases.items()}
        for group, topics in CONSUMERS.items():
            left[f"{group} lag"] = await asyncio.to_thread(offsets.lag, group, topics)
        first = first or left
        if not any(left.values()) or time.monotonic() - started > within:
            return {"seconds": time.monotonic() - started, "backlog_when_load_stopped": first,
                    "settled": not any(left.values())}
        await asyncio.sleep(0.25)
