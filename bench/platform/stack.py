"""Everything one run needs: PostgreSQL and Kafka, the four services as processes of their
own (`chorus serve`, through `LocalPlatform`), and the floor's processes.

PostgreSQL keeps its default durability; the one setting changed is
`track_commit_timestamp = on`, so that the time at which a consumer's transaction
committed (when its effect became visible) can be read back from the row afterwards.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import psycopg
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from bench.kernel.servers import Servers, local_servers
from bench.platform.procstats import Pids, one, with_children
from chorus.devservers.platform import SERVICES, LocalPlatform, ServiceProcess
from chorus.devservers.postgres import LocalPostgres

READY_SECONDS = 60.0
BYTECODE = {"PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "chorus-bench-pycache")}
"""For the processes the benchmark starts: compiled modules are kept (outside the source
tree) from one start to the next, as an installed service's are, so that a start does not
compile every module again where the environment says not to write bytecode."""


def enable_commit_timestamps(postgres: LocalPostgres) -> None:
    """Turn `track_commit_timestamp` on (it needs a restart)."""
    url = postgres.url("postgres", driver="postgresql")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SHOW track_commit_timestamp").fetchone()
        if row is not None and row[0] == "on":
            return
        conn.execute("ALTER SYSTEM SET track_commit_timestamp = on")
    postgres.restart()


class Child:
    """A helper process of the benchmark's own (the floor's app or consumer)."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log_path = name, argv, dict(env), log
        self._child: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self._child = subprocess.Popen(self.argv, env=self.env, stdout=self._log,
                                       stderr=subprocess.STDOUT)

    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def stop(self) -> None:
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()
            try:
                self._child.wait(20)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Floor:
    """The bare FastAPI app (always running) and its bare consumer (started when needed)."""

    app: Child
    consumer: Child
    port: int
    topic: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if not self.app.running() or time.monotonic() > deadline:
                raise RuntimeError(f"the floor app did not start:\n{self.app.log_tail()}")
            time.sleep(0.1)


@dataclass
class Stack:
    servers: Servers
    platform: LocalPlatform
    floor: Floor
    database_urls: dict[str, str]
    workdir: Path

    def process(self, service: str) -> ServiceProcess:
        return self.platform.process(service)

    def port(self, service: str) -> int:
        return self.platform.process(service).port

    def watched(self, *, services: bool = True, floor: bool = True,
                extra: Mapping[str, int | None] | None = None) -> dict[str, Pids]:
        """Named processes whose size and CPU time a `Watch` follows."""
        named: dict[str, Pids] = {}
        if services:
            named |= {name: one(self.process(name).pid) for name in SERVICES}
        if floor:
            named["floor app"] = one(self.floor.app.pid)
            if self.floor.consumer.running():
                named["floor consumer"] = one(self.floor.consumer.pid)
        named["postgresql"] = with_children(
            self.servers.postgres.data_dir / "postmaster.pid")
        named["kafka"] = one(getattr(self.servers.kafka, "pid", None))
        named |= {name: one(pid) for name, pid in (extra or {}).items()}
        return named


def create_topic(bootstrap_servers: str, topic: str, partitions: int = 6) -> None:
    """A topic like the services' (six partitions), unless it exists."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="bench-platform")
    try:
        with suppress(TopicAlreadyExistsError):
            admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def servers_only(workdir: Path) -> Iterator[Servers]:
    """PostgreSQL (with commit timestamps) and Kafka for one run."""
    workdir.mkdir(parents=True, exist_ok=True)
    with local_servers(workdir) as servers:
        enable_commit_timestamps(servers.postgres)
        yield servers


@contextmanager
def stack(servers: Servers, workdir: Path) -> Iterator[Stack]:
    """The four services and the floor's app, started; everything stopped on exit."""
    urls = {name: servers.postgres_url(name) for name in SERVICES}
    urls["floor"] = servers.postgres_url("floor")
    platform = LocalPlatform.configure(
        workdir / "platform", kafka_bootstrap=servers.bootstrap_servers,
        database_urls={name: urls[name] for name in SERVICES}, env=BYTECODE)
    port = _free_port()
    topic = "bench.floor.commands"
    env = {**os.environ, **BYTECODE, "FLOOR_DATABASE_URL": urls["floor"], "FLOOR_PORT": str(port),
           "FLOOR_KAFKA": servers.bootstrap_servers, "FLOOR_TOPIC": topic,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[2]),
                                                        os.environ.get("PYTHONPATH")]))}
    floor = Floor(
        app=Child("floor app", [sys.executable, "-m", "bench.platform.floor", "serve"], env,
                  workdir / "floor-app.log"),
        consumer=Child("floor consumer", [sys.executable, "-m", "bench.platform.floor",
                                          "consume"], env, workdir / "floor-consumer.log"),
        port=port, topic=topic)
    create_topic(servers.bootstrap_servers, topic)
    with ExitStack() as stack:
        stack.callback(floor.consumer.stop)
        stack.callback(floor.app.stop)
        floor.app.start()
        stack.enter_context(platform)
        floor.wait_ready()
        yield Stack(servers, platform, floor, urls, workdir)
