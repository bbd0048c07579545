"""The servers one benchmark run needs: a throwaway PostgreSQL and a local Kafka broker."""

import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from chorus.devservers.kafka import LocalKafka
from chorus.devservers.postgres import LocalPostgres, find_pg_bin


@dataclass(frozen=True)
class Servers:
    """Where the benchmarks put their databases and topics."""

    postgres: LocalPostgres
    kafka: LocalKafka
    workdir: Path

    def postgres_url(self, label: str) -> str:
        """A new, empty PostgreSQL database (asyncpg URL)."""
        return self.postgres.create_database(f"bench_{label}_{uuid.uuid4().hex[:8]}")

    def sqlite_path(self, label: str) -> Path:
        """A path for a new SQLite file (not yet created)."""
        directory = self.workdir / "sqlite"
        directory.mkdir(exist_ok=True)
        return directory / f"{label}-{uuid.uuid4().hex[:8]}.db"

    def sqlite_url(self, label: str) -> str:
        """A new SQLite file database (aiosqlite URL), as the embedded runtime uses."""
        return f"sqlite+aiosqlite:///{self.sqlite_path(label)}"

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.bootstrap_servers

    def postgres_version(self) -> str:
        bindir = find_pg_bin()
        if bindir is None:
            return "unknown"
        done = subprocess.run([str(bindir / "postgres"), "--version"],
                              capture_output=True, text=True, check=True)
        return done.stdout.strip()


@contextmanager
def local_servers(workdir: Path) -> Iterator[Servers]:
    """Start PostgreSQL and Kafka side by side in `workdir`; stop both on exit."""
    workdir.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    with ExitStack() as stack:
        with ThreadPoolExecutor(max_workers=2) as pool:
            postgres = pool.submit(LocalPostgres.start, workdir / "postgres")
            kafka = pool.submit(LocalKafka.start, workdir / "kafka")
        # Both attempts have finished: stop whichever started if the other failed.
        failures = []
        for server in (postgres, kafka):
            try:
                stack.enter_context(server.result())
            except Exception as error:
                failures.append(error)
        if failures:
            raise failures[0]
        yield Servers(postgres.result(), kafka.result(), workdir)
