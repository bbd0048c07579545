"""The floor: a bare FastAPI endpoint doing one INSERT, and a bare Kafka path after it.

`python -m bench.platform.floor serve` runs the app under uvicorn exactly as `chorus serve`
runs a service (one process, one worker, no access log, lifespan on, on 127.0.0.1), with
the same database stack (SQLAlchemy Core on an asyncpg engine) but none of Chorus:

* `POST /commands`: the JSON body into one row (one INSERT in one transaction), answered
  201 with the row's new id. The floor for "one HTTP request plus one write".
* `POST /published`: the same, and after the commit the row's id goes to Kafka through
  a bare `AIOKafkaProducer` (acks=all, idempotent, as the relay's) in a task of its own,
  so that the answer does not wait for the broker (as a Chorus command does not wait for
  its relay).

`python -m bench.platform.floor consume` is the bare consumer of those messages: an
`AIOKafkaConsumer` that writes one row per message into a table of its own database, one
transaction per batch it gets. Together they are the floor of the end-to-end path.

Settings come from the environment: `FLOOR_DATABASE_URL`, `FLOOR_PORT`, `FLOOR_KAFKA`,
`FLOOR_TOPIC`.
"""

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import uvicorn
import uvloop
from fastapi import FastAPI, status
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

GROUP = "bench-floor"

metadata = MetaData()
commands = Table(
    "floor_commands", metadata,
    Column("id", String(36), primary_key=True),
    Column("body", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
effects = Table(
    "floor_effects", metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
INSERT_COMMAND = insert(commands)
INSERT_EFFECT = insert(effects)


def engine(url: str) -> AsyncEngine:
    """The same pool size as `chorus.store.Database`, without its pre-ping."""
    return create_async_engine(url, pool_size=10, max_overflow=10)


def create_app() -> FastAPI:
    database = engine(os.environ["FLOOR_DATABASE_URL"])
    kafka, topic = os.environ.get("FLOOR_KAFKA"), os.environ.get("FLOOR_TOPIC", "bench.floor")
    producer: Any = None
    sending: set[asyncio.Task[Any]] = set()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal producer
        async with database.begin() as conn:
            await conn.run_sync(metadata.create_all)
        if kafka:
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all",
                                        enable_idempotence=True, linger_ms=2)
            await producer.start()
        yield
        if producer is not None:
            await producer.stop()
        await database.dispose()

    app = FastAPI(lifespan=lifespan)

    async def store(body: dict[str, Any]) -> str:
        row_id = str(uuid4())
        async with database.begin() as conn:
            await conn.execute(INSERT_COMMAND, {"id": row_id, "body": body,
                                                "created_at": datetime.now(UTC)})
        return row_id

    @app.post("/commands", status_code=status.HTTP_201_CREATED)
    async def command(body: dict[str, Any]) -> dict[str, str]:
        return {"id": await store(body)}

    @app.post("/published", status_code=status.HTTP_201_CREATED)
    async def published(body: dict[str, Any]) -> dict[str, str]:
        row_id = await store(body)
        task = asyncio.create_task(producer.send_and_wait(
            topic, json.dumps({"id": row_id}).encode(), key=row_id.encode()))
        sending.add(task)
        task.add_done_callback(sending.discard)
        return {"id": row_id}

    return app


def serve() -> None:
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=int(os.environ["FLOOR_PORT"]),
                            log_config=None, access_log=False, lifespan="on")
    uvicorn.Server(config).run()


async def consume() -> None:
    from aiokafka import AIOKafkaConsumer

    database = engine(os.environ["FLOOR_DATABASE_URL"])
    async with database.begin() as conn:
        await conn.run_sync(metadata.create_all)
    consumer = AIOKafkaConsumer(os.environ["FLOOR_TOPIC"],
                                bootstrap_servers=os.environ["FLOOR_KAFKA"], group_id=GROUP,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            rows = [{"id": json.loads(record.value)["id"], "created_at": datetime.now(UTC)}
                    for records in batches.values() for record in records
                    if record.value is not None]
            if rows:
                async with database.begin() as conn:
                    await conn.execute(INSERT_EFFECT, rows)
                await consumer.commit()
    finally:
        await consumer.stop()
        await database.dispose()


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    elif sys.argv[1:] == ["consume"]:
        uvloop.run(consume())  # the event loop `chorus serve` runs on
    else:
        raise SystemExit("usage: python -m bench.platform.floor serve|consume")
