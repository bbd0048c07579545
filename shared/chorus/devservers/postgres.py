"""Throwaway local PostgreSQL servers for tests and benchmarks.

:class:`LocalPostgres` runs a private cluster from the distribution's binaries: its own data
directory, a free port on 127.0.0.1 and its Unix socket inside its work directory, so it never
touches a system cluster. Durability settings stay at PostgreSQL's defaults because benchmarks
compare against this server.

PostgreSQL refuses to run as root, so when we are root ``initdb`` and ``pg_ctl`` run as the
``postgres`` system user (created by Debian's ``postgresql`` package) and the work directory is
handed to that user. Process handling reads Linux's ``/proc``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy.engine import URL

from chorus.devservers.errors import ChorusDevServerError

__all__ = ["LocalPostgres", "ensure_postgres_installed", "find_pg_bin"]

_DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
_SERVICE_USER = "postgres"
_HOST = "127.0.0.1"
_PG_CTL_TIMEOUT_S = 60
_KILL_TIMEOUT_S = 10.0
_CONNECT_TIMEOUT_S = 30.0

_Arg = str | int | Path  # a command-line argument, made a string when run


def find_pg_bin() -> Path | None:
    """Return the directory holding the newest PostgreSQL server binaries, or None.

    Looks at Debian's versioned ``/usr/lib/postgresql/*/bin`` first, then asks ``pg_config``.
    """
    installed = [path.parent for path in _DEBIAN_PG_ROOT.glob("*/bin/initdb") if path.is_file()]
    if installed:
        return max(installed, key=lambda bindir: _version_key(bindir.parent.name))
    return _pg_config_bindir()


def ensure_postgres_installed(progress: Callable[[str], None] | None = None) -> Path:
    """Return the PostgreSQL binary directory, installing Debian's package when missing.

    Installing needs root and ``apt-get``; without them this raises
    :class:`ChorusDevServerError` saying what to install. ``progress`` hears each step.
    """
    bindir = find_pg_bin()
    if bindir is not None:
        return bindir
    if not _running_as_root() or shutil.which("apt-get") is None:
        raise ChorusDevServerError(
            "PostgreSQL server binaries (initdb) not found; install them, e.g. "
            "`apt-get install --no-install-recommends postgresql`, or put pg_config on PATH"
        )
    _apt_install_postgres(progress or _ignore)
    bindir = find_pg_bin()
    if bindir is None:
        raise ChorusDevServerError("installed the postgresql package but still found no initdb")
    return bindir


class LocalPostgres:
    """A private PostgreSQL cluster in its own work directory, reachable on 127.0.0.1 only.

    Create one with :meth:`start`; as a context manager it stops the server on exit.
    """

    def __init__(self, bindir: Path, workdir: Path, port: int) -> None:
        """Wrap a cluster living in ``workdir / "data"``; :meth:`start` creates one."""
        self._bindir = bindir
        self._workdir = workdir
        self._port = port

    @classmethod
    def start(cls, workdir: Path, port: int | None = None, *, bindir: Path | None = None) -> Self:
        """Initialise a fresh cluster in ``workdir`` and start it on ``port`` (default: a free one).

        Installs PostgreSQL first when missing (see :func:`ensure_postgres_installed`).
        Returns once a real connection succeeds.
        """
        bindir = bindir or ensure_postgres_installed()
        server = cls(bindir, _prepare_workdir(workdir), port or _free_port())
        server._initdb()
        server.start_again()
        return server

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return _HOST

    @property
    def port(self) -> int:
        """The TCP port the server listens on (kept across restarts)."""
        return self._port

    @property
    def user(self) -> str:
        """The superuser name; it needs no password from local/loopback clients."""
        return _SERVICE_USER

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self._workdir / "data"

    @property
    def log_path(self) -> Path:
        """The server's log file (appended to by every start)."""
        return self._workdir / "postgres.log"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        """Return a SQLAlchemy URL for ``database`` on this server."""
        url = URL.create(driver, self.user, host=self.host, port=self.port, database=database)
        return url.render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its async SQLAlchemy URL."""
        self._psql(
            "SELECT format('CREATE DATABASE %I', :'name')"
            " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \\gexec",
            name=name,
        )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting its clients."""
        self._psql('DROP DATABASE IF EXISTS :"name" WITH (FORCE)', name=name)

    def is_running(self) -> bool:
        """Whether the postmaster is alive."""
        pid = _pid_in(self.data_dir / "postmaster.pid")
        return pid is not None and _alive(pid)

    def stop(self) -> None:
        """Shut down (fast mode: roll back open transactions, then checkpoint); no-op if down."""
        if self.is_running():
            self._pg_ctl("stop", "-m", "fast")

    def kill(self) -> None:
        """SIGKILL the postmaster and its children at once, as a machine crash would.

        Killing only the postmaster would leave orphaned backends attached to its shared
        memory, and the next start would refuse to run until they had noticed and exited.
        """
        pid = _pid_in(self.data_dir / "postmaster.pid")
        if pid is None or not _alive(pid):
            return
        os.kill(pid, signal.SIGSTOP)  # a stopped postmaster cannot fork children we would miss
        victims = [pid, *_children(pid)]
        for victim in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        if not _poll(lambda: not any(map(_alive, victims)), _KILL_TIMEOUT_S):
            raise ChorusDevServerError(f"PostgreSQL processes {victims} survived SIGKILL")

    def start_again(self) -> None:
        """Start the existing cluster (same data dir and port), recovering after a crash."""
        if self.is_running():
            return
        self._clear_stale_locks()
        try:
            self._pg_ctl("start", "-l", str(self.log_path))
        except ChorusDevServerError as exc:
            raise ChorusDevServerError(f"{exc}\n{self._log_tail()}") from exc
        self._wait_until_connectable()

    def restart(self) -> None:
        """Stop the server, then start it again on the same data dir and port."""
        self.stop()
        self.start_again()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _initdb(self) -> None:
        initdb: list[_Arg] = [
            self._bindir / "initdb", "-D", self.data_dir, "-U", self.user, "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions",
        ]  # fmt: skip
        _run(_as_service_user(initdb), cwd=self._workdir)
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(self._settings())

    def _settings(self) -> str:
        # Appended to postgresql.conf so that every later start uses the same port and socket.
        socket_dir = str(self._workdir).replace("'", "''")
        return (
            "\n# chorus.devservers.postgres: throwaway local server\n"
            f"listen_addresses = '{_HOST}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "max_connections = 200\n"
            "shared_buffers = '128MB'\n"
        )

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl: list[_Arg] = [
            self._bindir / "pg_ctl", *args, "-D", self.data_dir, "-w", "-t", _PG_CTL_TIMEOUT_S
        ]  # fmt: skip
        _run(_as_service_user(pg_ctl), cwd=self._workdir)

    def _psql(self, sql: str, **variables: str) -> str:
        psql: list[_Arg] = [
            self._bindir / "psql", "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1",
            "-h", self.host, "-p", self.port, "-U", self.user, "-d", "postgres",
        ]  # fmt: skip
        for key, value in variables.items():
            psql += ["-v", f"{key}={value}"]
        # Through stdin, not -c: psql interpolates :'name' variables only in script input.
        return _run(psql, stdin=sql)

    def _wait_until_connectable(self) -> None:
        # pg_ctl -w trusts postmaster.pid; a real query proves that clients can get in.
        if not _poll(self._can_connect, _CONNECT_TIMEOUT_S):
            message = f"PostgreSQL on port {self.port} accepts no connections"
            raise ChorusDevServerError(f"{message}\n{self._log_tail()}")

    def _can_connect(self) -> bool:
        try:
            return self._psql("SELECT 1").strip() == "1"
        except ChorusDevServerError:
            return False

    def _clear_stale_locks(self) -> None:
        # PostgreSQL clears locks of a dead postmaster itself, but takes an unreaped zombie
        # (left where PID 1 does not reap orphans, as in some containers) for a live one.
        socket_lock = self._workdir / f".s.PGSQL.{self.port}.lock"
        for lock in (self.data_dir / "postmaster.pid", socket_lock):
            pid = _pid_in(lock)
            if pid is not None and not _alive(pid):
                lock.unlink()

    def _log_tail(self, lines: int = 30) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        return "\n".join([f"--- last lines of {self.log_path} ---", *tail])


def _version_key(name: str) -> tuple[int, ...]:
    parts = name.split(".")
    return tuple(map(int, parts)) if all(part.isdigit() for part in parts) else ()


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        bindir = Path(_run([pg_config, "--bindir"]).strip())
    except ChorusDevServerError:
        return None
    # pg_config can come from the client library's dev package alone, without a server.
    return bindir if (bindir / "initdb").is_file() else None


def _apt_install_postgres(progress: Callable[[str], None]) -> None:
    # The lock timeout makes parallel test workers queue behind one install instead of failing.
    apt = ["apt-get", "-q", "-o", "DPkg::Lock::Timeout=600"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["update"], ["install", "-y", "--no-install-recommends", "postgresql"]):
        progress(shlex.join(apt + step))
        _run(apt + step, env=env)


def _prepare_workdir(workdir: Path) -> Path:
    workdir = workdir.resolve()  # the socket path and pg_ctl -D must not depend on the cwd
    for directory in [*reversed(workdir.parents), workdir]:
        if not directory.exists():
            directory.mkdir()
            directory.chmod(0o755)  # whatever the umask, the postgres user must get through
    if _running_as_root():
        user = _service_user()
        _check_traversable(workdir, user)
        os.chown(workdir, user.pw_uid, user.pw_gid)
    return workdir


def _check_traversable(workdir: Path, user: pwd.struct_passwd) -> None:
    # Fails early and clearly where initdb would fail with a bare "Permission denied".
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    for directory in workdir.parents:
        info = directory.stat()
        owner, group = info.st_uid == user.pw_uid, info.st_gid in groups
        search_bit = 0o100 if owner else 0o010 if group else 0o001
        if not info.st_mode & search_bit:
            raise ChorusDevServerError(
                f"user {user.pw_name} cannot reach {workdir}: it may not traverse {directory} "
                f"(mode {info.st_mode & 0o777:o}); pick a work directory with traversable parents"
            )


def _service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        raise ChorusDevServerError(
            f"running as root needs the {_SERVICE_USER!r} system user to run PostgreSQL; "
            "Debian's postgresql package creates it"
        ) from None


def _as_service_user(command: Sequence[_Arg]) -> list[_Arg]:
    # PostgreSQL refuses to run as root.
    if _running_as_root():
        return ["runuser", "-u", _SERVICE_USER, "--", *command]
    return list(command)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _run(
    command: Sequence[_Arg],
    *,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run ``command`` to completion and return its stdout; failures carry its output."""
    args = [str(arg) for arg in command]
    try:
        done = subprocess.run(
            args, cwd=cwd, input=stdin, env=env or _env_without_libpq_settings(),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError as exc:
        raise ChorusDevServerError(f"cannot run {args[0]}: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise ChorusDevServerError(f"{shlex.join(args)} exited with {done.returncode}:\n{output}")
    return done.stdout


def _env_without_libpq_settings() -> dict[str, str]:
    # A developer's PGHOST, PGSERVICE or PGOPTIONS must not redirect or alter our commands.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    return env | {"PGCONNECT_TIMEOUT": "5"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def _pid_in(lock_file: Path) -> int | None:
    try:
        first_line = lock_file.read_text().partition("\n")[0].strip()
    except FileNotFoundError:
        return None
    return int(first_line) if first_line.isdigit() else None


def _alive(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited and released everything


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        stat = _proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None and stat[1] == pid:
            children.append(int(entry.name))
    return children


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """Return ``(state, parent pid)`` from /proc, or None once the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, parent = stat.rpartition(")")[2].split()[:2]  # the command name may hold spaces
    return state, int(parent)


def _poll(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _ignore(_message: str) -> None:
    pass
