"""Running services: one per process (`chorus serve`) or all in one (`chorus up`)."""

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn

from chorus.app import create_app
from chorus.errors import SettingsError
from chorus.service import ServiceRuntime, ServiceSpec, build_bus
from chorus.services import frontends
from chorus.settings import Settings
from chorus.store.database import Database
from chorus.telemetry import setup_logging, setup_tracing


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us, so several can share a loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


async def check_dependencies(settings: Settings, specs: Sequence[ServiceSpec]) -> None:
    """Fail fast, with one line naming the setting, when a database or the broker is away."""
    for spec in specs:
        db = Database(settings.database_url_for(spec.name))
        try:
            await asyncio.wait_for(db.ping(), 10)
        except Exception as error:
            raise SettingsError(
                f"CHORUS_DATABASE_URL: cannot reach {db.url.render_as_string()} for "
                f"{spec.name}: {_reason(error)}") from None
        finally:
            await db.dispose()
    if settings.transport == "kafka":
        await _check_kafka(settings)


async def _check_kafka(settings: Settings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from chorus.transport.kafka_security import KafkaSecurity

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                request_timeout_ms=10000,
                                **KafkaSecurity.from_settings(settings).client_options())
    try:
        await asyncio.wait_for(admin.start(), 15)
    except Exception as error:
        raise SettingsError(f"CHORUS_KAFKA_BOOTSTRAP: no Kafka broker answered at "
                            f"{settings.kafka_bootstrap}: {_reason(error)}") from None
    finally:
        await admin.close()


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


async def serve(spec: ServiceSpec, settings: Settings) -> None:
    """One service in this process, on its port."""
    setup_logging(settings.log_level, service=spec.name)
    setup_tracing(spec.name)
    await check_dependencies(settings, [spec])
    server = _server(create_app(spec, settings), settings.host, settings.port or spec.port)
    await _run_until_signalled([server])


async def up(
    specs: Sequence[ServiceSpec],
    settings: Settings,
    *,
    demo: bool = True,
    announce: Callable[[list[str]], None] = print,
) -> None:
    """Every service in one process, sharing one bus; seed the demo region on first start."""
    setup_logging(settings.log_level, service="chorus")
    setup_tracing("platform")
    if settings.database_url and settings.database_url_for("a") == settings.database_url_for(
            "b") and len(specs) > 1:
        raise SettingsError("CHORUS_DATABASE_URL: include {service} so that each service "
                            "gets a database of its own")
    await check_dependencies(settings, specs)
    # Embedded: one bus shared by all. Kafka: each service its own client, as in production.
    shared = build_bus(settings, "chorus-platform") if settings.transport == "embedded" else None
    if shared is not None:
        await shared.start()
    apps = [create_app(spec, settings, shared) for spec in specs]
    servers = [_server(app, settings.host, spec.port + settings.port_offset)
               for app, spec in zip(apps, specs, strict=True)]
    fronts = {name: build(data_dir=settings.data_dir, host=settings.host,
                          port_offset=settings.port_offset)
              for name, build in frontends().items()}
    servers += [_server(app, settings.host, port) for app, port in fronts.values()]
    serving = asyncio.create_task(_run_until_signalled(servers))
    try:
        await _wait_started(servers, serving)
        lines = await _seed(apps) if demo else []
        announce(_banner(specs, settings, lines,
                         {name: port for name, (_, port) in fronts.items()}))
        await serving
    finally:
        if shared is not None:
            await shared.stop()


async def _wait_started(servers: Sequence[uvicorn.Server], serving: asyncio.Task[None]) -> None:
    while not all(s.started for s in servers):
        if serving.done():
            serving.result()
            raise SettingsError("a service stopped while starting")
        await asyncio.sleep(0.05)


async def _seed(apps: Sequence[Any]) -> list[str]:
    runtimes: list[ServiceRuntime] = [app.state.runtime for app in apps]
    # Decide for every service before seeding any: one service's demo events soon reach the
    # others, and a store that holds only what it heard is not one that was seeded.
    empty = [await _is_empty(runtime) for runtime in runtimes]
    lines: list[str] = []
    for runtime, first_start in zip(runtimes, empty, strict=True):
        if first_start and runtime.parts and runtime.parts.seed_demo:
            lines += await runtime.parts.seed_demo()
    return lines


async def _is_empty(runtime: ServiceRuntime) -> bool:
    async with runtime.db.transaction() as tx:
        return await runtime.store.last_position(tx) == 0


def _banner(specs: Sequence[ServiceSpec], settings: Settings, demo: list[str],
            fronts: dict[str, int] | None = None) -> list[str]:
    mode = (f"Kafka at {settings.kafka_bootstrap}" if settings.transport == "kafka"
            else f"embedded bus in {settings.data_dir}")
    lines = ["", "Chorus is running (" + mode + ")", ""]
    for name, port in (fronts or {}).items():
        lines.append(f"  {name:<14} http://{settings.host}:{port}/   (the web pages)")
    for spec in specs:
        base = f"http://{settings.host}:{spec.port + settings.port_offset}"
        lines.append(f"  {spec.name:<14} {base}/docs   (events: {base}/asyncapi)")
    lines += ["", *(f"  {line}" for line in demo or ["demo data already present"]), "",
              "  Press Ctrl+C to stop.", ""]
    return lines


def _server(app: Any, host: str, port: int) -> uvicorn.Server:
    return _Server(uvicorn.Config(app, host=host, port=port, log_config=None,
                                  access_log=False, lifespan="on"))


async def _run_until_signalled(servers: Sequence[uvicorn.Server]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop_all, servers)
    results = await asyncio.gather(*(s.serve() for s in servers), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    if any(not s.started for s in servers):
        raise SettingsError("a service could not start; see the log above")


def _stop_all(servers: Sequence[uvicorn.Server]) -> None:
    for server in servers:
        server.should_exit = True

