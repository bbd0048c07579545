"""A real single-node Apache Kafka broker (KRaft mode) for tests and local development.

Kafka has no PyPI package and no container engine is assumed, so the broker is
assembled from Maven Central jars (resolved by Maven with the packaged
``kafka-pom.xml``) and run by the local Java 17+::

    java -cp '<cache>/kafka-<version>/lib/*' kafka.Kafka server.properties

Three layers:

* :func:`ensure_jars` resolves and caches the jars of one Kafka version.
* :class:`LocalKafka` runs one broker in a work directory (tests, fault tests).
* :func:`start_daemon`, :func:`stop_daemon` and :func:`daemon_status` keep a
  developer's long-lived broker that outlives the ``chorus kafka`` CLI.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from chorus.devservers.errors import ChorusDevServerError

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_KAFKA_VERSION",
    "DEFAULT_STATE_DIR",
    "KAFKA_VERSION_ENV",
    "ChorusDevServerError",
    "LocalKafka",
    "daemon_status",
    "default_cache_dir",
    "ensure_jars",
    "free_port",
    "kafka_version",
    "start_daemon",
    "stop_daemon",
    "wait_for_kafka",
]

DEFAULT_KAFKA_VERSION = "3.9.1"
"""Kafka version used unless ``CHORUS_KAFKA_VERSION`` or an argument says otherwise."""

KAFKA_VERSION_ENV = "CHORUS_KAFKA_VERSION"
CACHE_DIR_ENV = "CHORUS_CACHE_DIR"
DEFAULT_STATE_DIR = Path(".chorus/kafka")
"""Where the developer's broker keeps its state, data and logs (relative to the cwd)."""

_STATE_FILE = "kafka.json"
_TOOL_JVM_OPTS = ("-Xmx256m",)
_BROKER_JVM_OPTS = ("-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true")

_SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data_dir}
# Topics are created explicitly (admin client): deterministic, and typos fail.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# One node: internal topics get one replica and one partition so groups form fast.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
# After a crash (SIGKILL) the restarted broker cannot register until its old
# registration's session expires: 9 s by default, so restarts took ~15 s.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=1000
# The 128 MiB default cleaner buffer would eat a small heap.
log.cleaner.dedupe.buffer.size=16777216
"""

_BROKER_LOG4J = """\
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
"""

# The storage tool prints its result on stdout, so its logging goes to stderr.
_TOOLS_LOG4J = """\
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
"""


def kafka_version(version: str | None = None) -> str:
    """The Kafka version to use: ``version``, else ``$CHORUS_KAFKA_VERSION``, else the default."""
    return version or os.environ.get(KAFKA_VERSION_ENV) or DEFAULT_KAFKA_VERSION


def default_cache_dir() -> Path:
    """``$CHORUS_CACHE_DIR``, else ``~/.cache/chorus``."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else Path.home() / ".cache" / "chorus"


def ensure_jars(
    version: str | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Resolve the jars of Kafka ``version`` from Maven Central once; return their directory.

    ``progress`` is called with a line before and after a download (not when cached).
    Raises :class:`ChorusDevServerError` if Java or Maven is missing or Maven fails.
    """
    version = kafka_version(version)
    home = (cache_dir or default_cache_dir()) / f"kafka-{version}"
    lib, marker = home / "lib", home / ".complete"
    _tool("java")  # checked here too: jars without a JVM are no use
    if marker.exists():
        return lib
    home.mkdir(parents=True, exist_ok=True)
    with _file_lock(home / ".lock"):
        if not marker.exists():  # another process may have finished while we waited
            _download_jars(version, lib, progress or (lambda _line: None))
            marker.write_text(f"{version}\n")
    return lib


def _download_jars(version: str, lib: Path, progress: Callable[[str], None]) -> None:
    mvn = _tool("mvn")
    shutil.rmtree(lib, ignore_errors=True)  # leftovers of an interrupted download
    progress(f"Downloading Kafka {version} jars from Maven Central (first run only)...")
    pom = resources.files(__package__) / "kafka-pom.xml"
    with resources.as_file(pom) as pom_path:
        result = _run(
            [mvn, "-B", "-q", "-f", str(pom_path), "dependency:copy-dependencies",
             f"-DoutputDirectory={lib}", "-DincludeScope=runtime", f"-Dkafka.version={version}"]
        )  # fmt: skip
    if result.returncode != 0:
        raise ChorusDevServerError(
            f"mvn could not resolve Kafka {version}: {_first_error(result.stdout)}"
        )
    progress(f"Kafka {version} jars ready in {lib}")


def _first_error(maven_output: str) -> str:
    # Maven 3.8 writes colour resets even with -B, so strip ANSI escapes first.
    lines = re.sub(r"\x1b\[[0-9;]*m", "", maven_output).splitlines()
    errors = [line.removeprefix("[ERROR]").strip() for line in lines if line.startswith("[ERROR]")]
    return next((error for error in errors if error), "no error message from Maven")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ChorusDevServerError(
            f"{name} not found on PATH; the local Kafka broker needs Java 17+ and Maven"
        )
    return path


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    # Parallel test sessions may share the cache; Maven must not write lib/ twice at once.
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def wait_for_kafka(
    bootstrap_servers: str,
    timeout: float = 90.0,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Block until a Metadata request to ``bootstrap_servers`` succeeds.

    Polls the first address's TCP port first (cheap, and the broker opens it only
    once started), then does one real Metadata round trip with kafka-python's admin
    client. Raises :class:`ChorusDevServerError` on timeout or once ``alive()`` is false.
    """
    deadline = time.monotonic() + timeout
    host, _, port = bootstrap_servers.split(",")[0].strip().rpartition(":")
    while not _accepts(host, int(port)):
        if not alive():
            raise ChorusDevServerError("the broker process exited during startup")
        if time.monotonic() >= deadline:
            raise ChorusDevServerError(f"nothing listening at {host}:{port} after {timeout:g}s")
        time.sleep(0.2)
    _describe_cluster(bootstrap_servers, max(deadline - time.monotonic(), 5.0))


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _describe_cluster(bootstrap_servers: str, timeout: float) -> None:
    # Imported late: heavy, and only needed here. kafka-python 3.0 calls the
    # deprecated importlib.resources.read_text at import time (a DeprecationWarning
    # on Python 3.11, an error under pytest's filterwarnings=error).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

    timeout_ms = int(timeout * 1000)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            client_id="chorus-devserver-probe",
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
        )
        with admin:
            admin.describe_cluster()
    except KafkaError as exc:
        raise ChorusDevServerError(f"no Metadata response from {bootstrap_servers}: {exc}") from exc


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the JVM does: TIME_WAIT leftovers of a killed broker do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _random_cluster_id() -> str:
    # Kafka's Uuid.randomUuid().toString() in Python, saving a JVM start; like
    # Kafka, avoid a leading "-" that command lines would read as an option.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class LocalKafka:
    """One single-node KRaft broker (broker and controller in one JVM) on 127.0.0.1.

    Create it with :meth:`start`. The work directory holds ``server.properties``,
    the log4j files, ``data/`` (the Kafka log) and ``logs/`` (``server.log`` and the
    JVM's own output ``kafka.out``). Usable as a context manager that stops it.
    """

    def __init__(self, workdir: Path, port: int, controller_port: int, version: str) -> None:
        """Describe a broker; use :meth:`start` to run one."""
        self._workdir = workdir.resolve()
        self.port = port
        self.controller_port = controller_port
        self.version = version
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    @classmethod
    def start(
        cls,
        workdir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        version: str | None = None,
        timeout: float = 90.0,
    ) -> Self:
        """Start a broker in ``workdir`` and wait until it answers a Metadata request.

        Free loopback ports are picked unless given. Storage is formatted with a
        random cluster id unless ``workdir`` already holds a formatted broker, whose
        data is then kept. Raises :class:`ChorusDevServerError` with the log's tail if
        the broker exits or is not ready within ``timeout`` seconds.
        """
        port = port or free_port()
        controller_port = controller_port or _other_free_port(port)
        broker = cls(workdir, port, controller_port, kafka_version(version))
        broker._prepare()
        broker._launch()
        broker._await_ready(timeout)
        return broker

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:<port>``, for Kafka clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker JVM's process id (None if never started)."""
        return self._pid

    @property
    def workdir(self) -> Path:
        """The absolute work directory (configuration, data and logs)."""
        return self._workdir

    def is_running(self) -> bool:
        """Whether the broker process is alive."""
        if self._process is not None:
            return self._process.poll() is None
        return self._pid is not None and _pid_runs_broker(self._pid, self._server_properties)

    def stop(self, timeout: float = 30.0) -> None:
        """Shut down cleanly (SIGTERM); SIGKILL if still running after ``timeout`` seconds."""
        if self.is_running():
            self._signal(signal.SIGTERM)
            if self._wait_exit(timeout):
                return
        self.kill()

    def kill(self) -> None:
        """SIGKILL the broker, as a crash would; the next start recovers the log."""
        if self.is_running():
            self._signal(signal.SIGKILL)
        self._wait_exit(10.0)

    def restart(self, timeout: float = 90.0) -> None:
        """Start again on the same data and ports (stopping first if running); wait until ready."""
        self.stop()
        self._launch()
        self._await_ready(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalKafka({self.version} at {self.bootstrap_servers}, pid {self._pid})"

    @property
    def _server_properties(self) -> Path:
        return self._workdir / "server.properties"

    @property
    def _data_dir(self) -> Path:
        return self._workdir / "data"

    @property
    def _logs_dir(self) -> Path:
        return self._workdir / "logs"

    def _prepare(self) -> None:
        self._logs_dir.mkdir(parents=True, exist_ok=True)
        self._server_properties.write_text(
            _SERVER_PROPERTIES.format(
                port=self.port, controller_port=self.controller_port, data_dir=self._data_dir
            )
        )
        (self._workdir / "log4j.properties").write_text(_BROKER_LOG4J)
        (self._workdir / "tools-log4j.properties").write_text(_TOOLS_LOG4J)
        if not (self._data_dir / "meta.properties").exists():
            self._format()

    def _format(self) -> None:
        result = _run(
            [*self._java("tools-log4j.properties", *_TOOL_JVM_OPTS), "kafka.tools.StorageTool",
             "format", "-t", _random_cluster_id(), "-c", str(self._server_properties)]
        )  # fmt: skip
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise ChorusDevServerError(f"formatting Kafka storage failed: {detail}")

    def _java(self, log_config: str, *jvm_opts: str) -> list[str]:
        lib = ensure_jars(self.version)
        log_url = (self._workdir / log_config).as_uri()
        # "lib/*" is expanded by the JVM, not a shell.
        return [_tool("java"), *jvm_opts, f"-Dlog4j.configuration={log_url}", "-cp", f"{lib}/*"]

    def _launch(self) -> None:
        # Else the readiness probe could be answered by whatever holds the port.
        for port in (self.port, self.controller_port):
            if not _port_free(port):
                raise ChorusDevServerError(
                    f"127.0.0.1:{port} is already in use; choose another port"
                )
        argv = [
            *self._java(
                "log4j.properties", *_BROKER_JVM_OPTS, f"-Dkafka.logs.dir={self._logs_dir}"
            ),
            "kafka.Kafka",
            str(self._server_properties),
        ]
        with (self._logs_dir / "kafka.out").open("ab") as out:
            # Own session: a Ctrl-C in the terminal or the CLI exiting does not reach it.
            self._process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self._workdir, start_new_session=True,
            )  # fmt: skip
        self._pid = self._process.pid

    def _await_ready(self, timeout: float) -> None:
        try:
            wait_for_kafka(self.bootstrap_servers, timeout, alive=self.is_running)
        except ChorusDevServerError as exc:
            self.kill()
            raise ChorusDevServerError(
                f"Kafka {self.version} at {self.bootstrap_servers} did not start: {exc}\n"
                f"{self._log_tail()}"
            ) from None
        except BaseException:
            self.kill()  # whatever interrupted the wait, leave no orphan JVM behind
            raise

    def _log_tail(self, lines: int = 40) -> str:
        tails = []
        for name in ("kafka.out", "server.log"):
            path = self._logs_dir / name
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            if text:
                tails.append(f"--- last lines of {path} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(tails) or f"(no output in {self._logs_dir})"

    def _signal(self, sig: signal.Signals) -> None:
        if self._pid is not None:
            with suppress(ProcessLookupError):  # it may have just exited
                os.kill(self._pid, sig)

    def _wait_exit(self, timeout: float) -> bool:
        if self._process is not None:
            try:
                self._process.wait(timeout)  # also reaps the child
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while self.is_running():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def _detach(self) -> None:
        # The daemon outlives this process on purpose (init reaps it), so drop the
        # Popen without the "subprocess is still running" ResourceWarning.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            self._process = None

    def _state(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "pid": self._pid,
            "port": self.port,
            "controller_port": self.controller_port,
            "workdir": str(self._workdir),
        }

    @classmethod
    def _attach(cls, state: dict[str, Any]) -> Self:
        broker = cls(
            Path(state["workdir"]), state["port"], state["controller_port"], state["version"]
        )
        broker._pid = state["pid"]
        return broker


def _other_free_port(taken: int) -> int:
    while (port := free_port()) == taken:
        pass
    return port


def _pid_runs_broker(pid: int, server_properties: Path) -> bool:
    # Guards against pid reuse after a reboot: the process must be our broker.
    if not Path("/proc/self").exists():  # no procfs (macOS): trust the pid
        return _pid_alive(pid)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(server_properties).encode() in cmdline.split(b"\0")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_daemon(
    state_dir: Path = DEFAULT_STATE_DIR,
    port: int = 9092,
    version: str | None = None,
    timeout: float = 90.0,
) -> LocalKafka:
    """Start the developer's long-lived broker in ``state_dir``, or return the running one.

    Data survives stop/start. The broker runs in its own session with output in
    ``state_dir/logs``, so it outlives the calling process; a JSON state file
    records its pid and ports.
    """
    running = daemon_status(state_dir)
    if running is not None:
        return running
    broker = LocalKafka.start(state_dir, port=port, version=version, timeout=timeout)
    broker._detach()
    (broker.workdir / _STATE_FILE).write_text(json.dumps(broker._state(), indent=2) + "\n")
    return broker


def stop_daemon(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 30.0) -> bool:
    """Stop the developer's broker; return whether one was running."""
    broker = daemon_status(state_dir)
    if broker is not None:
        broker.stop(timeout)
    (state_dir / _STATE_FILE).unlink(missing_ok=True)
    return broker is not None


def daemon_status(state_dir: Path = DEFAULT_STATE_DIR) -> LocalKafka | None:
    """The developer's running broker (version, pid, ``bootstrap_servers``), or None."""
    try:
        state = json.loads((state_dir / _STATE_FILE).read_text())
    except FileNotFoundError:
        return None
    broker = LocalKafka._attach(state)
    return broker if broker.is_running() else None
