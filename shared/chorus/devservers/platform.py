"""The four services as separate processes (`chorus serve <service>`), the way a region runs
them: each with its own database, all on one Kafka broker. For end-to-end tests, fault tests
and benchmarks, which start, kill and restart them one by one.

    with LocalPlatform.configure(workdir, kafka_bootstrap="127.0.0.1:9092",
                                 database_urls={"registry": "postgresql://…/registry", …},
                                 smtp=("127.0.0.1", 2525)) as platform:
        platform.url("registry")            # http://127.0.0.1:<port>
        platform.process("feedback").kill()  # SIGKILL, as a crash would
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from chorus.devservers.errors import ChorusDevServerError as DevServerError

SERVICES = ("registry", "opportunities", "feedback", "notifications")
READY_SECONDS = 90.0


class ServiceProcess:
    """One `chorus serve <service>` child process on its own loopback port."""

    def __init__(self, service: str, port: int, env: Mapping[str, str], log_path: Path) -> None:
        self.service, self.port, self.log_path = service, port, log_path
        self.env = {**env, "CHORUS_PORT": str(port)}
        self._child: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def start(self, *, wait: bool = True) -> None:
        """Start the process (its output goes to its log); by default wait until ready."""
        if self.running:
            return
        self._close_log()
        self._log = self.log_path.open("ab")
        self._child = subprocess.Popen(
            [sys.executable, "-m", "chorus.cli", "serve", self.service],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Wait until `/healthz/ready` answers 200; raise with the log's tail if it never does."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.running:
                raise DevServerError(f"{self.service} ended while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise DevServerError(f"{self.service} not ready after {timeout:.0f} s:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.1)

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown of any kind."""
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signal.SIGKILL)
            self._child.wait(30)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, as Kubernetes would; SIGKILL if it has not ended within `timeout`."""
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signal.SIGTERM)
            try:
                self._child.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def restart(self) -> None:
        self.stop()
        self.start()

    def resident_bytes(self) -> int:
        """The process's resident set size now (Linux), 0 if it is not running."""
        if not self.running or self.pid is None:
            return 0
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no output)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __repr__(self) -> str:
        return f"<{self.service} on {self.url}, pid {self.pid}>"


class LocalPlatform:
    """Every service as its own process (several of one service if asked), sharing one data
    directory for the development key files, so tokens one issues the others accept."""

    def __init__(self, processes: Mapping[str, Sequence[ServiceProcess]],
                 admin_api_key: str) -> None:
        self.processes = {name: list(instances) for name, instances in processes.items()}
        self.admin_api_key = admin_api_key

    @classmethod
    def configure(
        cls,
        workdir: Path,
        *,
        kafka_bootstrap: str,
        database_urls: Mapping[str, str],
        smtp: tuple[str, int] | None = None,
        instances: Mapping[str, int] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Self:
        """Prepare (not start) the platform: `database_urls` gives each service its own
        database; `instances` runs more than one of a service; `env` adds or overrides
        `CHORUS_*` settings for every process."""
        missing = [name for name in SERVICES if name not in database_urls]
        if missing:
            raise DevServerError(f"no database URL for {', '.join(missing)}")
        workdir.mkdir(parents=True, exist_ok=True)
        ports = {name: [_free_port() for _ in range((instances or {}).get(name, 1))]
                 for name in SERVICES}
        admin_api_key = f"chorus_admin_{secrets.token_urlsafe(24)}"
        common = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")},
            "CHORUS_ENVIRONMENT": "development",
            "CHORUS_TRANSPORT": "kafka",
            "CHORUS_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CHORUS_DATA_DIR": str(workdir / "data"),
            "CHORUS_ADMIN_API_KEY": admin_api_key,
            "CHORUS_POLL_INTERVAL": "0.2",
            "CHORUS_LOG_LEVEL": "WARNING",
            "CHORUS_REGISTRY_URL": f"http://127.0.0.1:{ports['registry'][0]}",
            "CHORUS_NOTIFICATIONS_URL": f"http://127.0.0.1:{ports['notifications'][0]}",
            "CHORUS_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",
        }
        if smtp is not None:
            common |= {"CHORUS_SMTP_HOST": smtp[0], "CHORUS_SMTP_PORT": str(smtp[1]),
                       "CHORUS_SMTP_STARTTLS": "false"}
        common |= dict(env or {})
        processes = {
            name: [ServiceProcess(name, port,
                                  {**common, "CHORUS_DATABASE_URL": database_urls[name]},
                                  workdir / f"{name}-{index}.log")
                   for index, port in enumerate(ports[name])]
            for name in SERVICES}
        return cls(processes, admin_api_key)

    def url(self, service: str, instance: int = 0) -> str:
        return self.processes[service][instance].url

    def process(self, service: str, instance: int = 0) -> ServiceProcess:
        return self.processes[service][instance]

    def everything(self) -> list[ServiceProcess]:
        return [process for instances in self.processes.values() for process in instances]

    def start(self) -> None:
        """Start every process at once, then wait until each is ready."""
        for process in self.everything():
            process.start(wait=False)
        for process in self.everything():
            process.wait_ready()

    def stop(self) -> None:
        for process in self.everything():
            process.stop()

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
