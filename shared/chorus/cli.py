"""The `chorus` command: run the platform, one service, a local Kafka broker, and upkeep."""

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from chorus.errors import SettingsError
from chorus.settings import Settings, load_settings

console = Console(stderr=True)


def _run(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine (on uvloop, except on Windows, which has none); turn a setting error
    into one clear line and exit status 2."""
    try:
        if sys.platform == "win32":
            asyncio.run(make())
        else:
            import uvloop

            uvloop.run(make())
    except SettingsError as error:
        console.print(f"[red]chorus: {error}[/red]")
        sys.exit(2)
    except KeyError as error:
        console.print(f"[red]chorus: {error.args[0]}[/red]")
        sys.exit(2)
    except KeyboardInterrupt:
        pass


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as error:
        console.print(f"[red]chorus: {error}[/red]")
        sys.exit(2)


@click.group()
def main() -> None:
    """Chorus: involving patients and carers across a regional health and care network."""


@main.command()
@click.option("--kafka", "kafka_bootstrap", help="Use this Kafka cluster instead of the "
              "embedded bus (host:port).")
@click.option("--database-url", help="PostgreSQL URL with {service} in it, "
              "e.g. postgresql://localhost/chorus_{service}.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where embedded data lives.")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port-offset", type=int, help="Add this to every service's port.")
@click.option("--demo/--no-demo", default=True, help="Seed a demo region on first start.")
def up(kafka_bootstrap: str | None, database_url: str | None, data_dir: Path | None,
       host: str | None, port_offset: int | None, demo: bool) -> None:
    """Start every service in this process (embedded default: SQLite and an embedded bus)."""
    from chorus import runner, services

    settings = _settings(transport="kafka" if kafka_bootstrap else None,
                         kafka_bootstrap=kafka_bootstrap, database_url=database_url,
                         data_dir=data_dir, host=host, port_offset=port_offset)
    specs = list(services.discover().values())
    _run(lambda: runner.up(specs, settings, demo=demo,
                           announce=lambda lines: click.echo("\n".join(lines))))


@main.command()
@click.argument("service")
def serve(service: str) -> None:
    """Run one service in this process (what a container runs); settings from CHORUS_*."""
    from chorus import runner, services

    settings = _settings()
    _run(lambda: runner.serve(services.find(service), settings))


@main.command()
@click.argument("service")
def migrate(service: str) -> None:
    """Bring SERVICE's database to the newest schema."""
    from chorus import services
    from chorus.service import ServiceRuntime

    settings = _settings()

    async def run() -> None:
        runtime = ServiceRuntime(services.find(service), settings)
        with console.status(f"migrating {service}"):
            await runtime.migrate()
        await runtime.db.dispose()
        console.print(f"{service}: database is at the newest schema")

    _run(run)


@main.group()
def projections() -> None:
    """Read models: rebuild them by replaying the event store."""


@projections.command()
@click.argument("service")
@click.argument("name", required=False)
def rebuild(service: str, name: str | None) -> None:
    """Drop and rebuild SERVICE's read models (or just NAME) while the service may run."""
    from chorus import services
    from chorus.service import ServiceRuntime

    settings = _settings()

    async def run() -> None:
        runtime = ServiceRuntime(services.find(service), settings)
        runtime.compose()
        chosen = [r for r in runtime.runners if name in (None, r.projection.name)]
        if not chosen:
            raise KeyError(f"{service} has no projection called {name!r}")
        try:
            for projection_runner in chosen:
                await _rebuild_one(runtime, projection_runner)
        finally:
            await runtime.db.dispose()

    _run(run)


async def _rebuild_one(runtime: Any, projection_runner: Any) -> None:
    async with runtime.db.transaction() as tx:
        total = await runtime.store.last_position(tx)
    await projection_runner.reset()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"rebuilding {projection_runner.projection.name}", total=total)
        await projection_runner.catch_up(lambda n: progress.advance(task, n))
        progress.update(task, completed=total)


def _attach_kafka() -> None:
    from chorus.devservers.kafka_cli import kafka

    main.add_command(kafka)


_attach_kafka()


if __name__ == "__main__":
    main()
