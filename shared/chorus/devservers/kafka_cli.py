"""``chorus kafka``: start, stop and inspect a developer's local Kafka broker."""

from __future__ import annotations

from pathlib import Path

import click

from chorus.devservers.kafka import (
    DEFAULT_STATE_DIR,
    ChorusDevServerError,
    LocalKafka,
    daemon_status,
    ensure_jars,
    kafka_version,
    start_daemon,
    stop_daemon,
)

_state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="Where the broker keeps its state file, data and logs.",
)


@click.group()
def kafka() -> None:
    """Run a local single-node Apache Kafka broker (needs Java 17+ and Maven).

    The version is 3.9.1 unless CHORUS_KAFKA_VERSION says otherwise; jars are
    downloaded from Maven Central once into CHORUS_CACHE_DIR (~/.cache/chorus).
    """


@kafka.command()
@click.option("--port", type=click.IntRange(1, 65535), default=9092, show_default=True)
@_state_dir_option
def start(port: int, state_dir: Path) -> None:
    """Start the broker in the background (it keeps running after this command)."""
    running = daemon_status(state_dir)
    if running is not None:
        click.echo(f"{_describe(running)}, already")
        return
    try:
        ensure_jars(progress=click.echo)
        broker = start_daemon(state_dir, port=port, version=kafka_version())
    except ChorusDevServerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{_describe(broker)}; logs in {broker.workdir / 'logs'}")


@kafka.command()
@_state_dir_option
def stop(state_dir: Path) -> None:
    """Stop the broker cleanly (its data is kept for the next start)."""
    click.echo("Kafka stopped" if stop_daemon(state_dir) else "Kafka is not running")


@kafka.command()
@_state_dir_option
def status(state_dir: Path) -> None:
    """Say whether the broker runs and where; exit status 1 if it does not."""
    broker = daemon_status(state_dir)
    if broker is None:
        click.echo("Kafka is not running")
        raise click.exceptions.Exit(1)
    click.echo(_describe(broker))


def _describe(broker: LocalKafka) -> str:
    return f"Kafka {broker.version} running at {broker.bootstrap_servers} (pid {broker.pid})"
