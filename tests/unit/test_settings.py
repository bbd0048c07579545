"""Settings are checked at start, and a bad one is reported in one line naming it."""

import subprocess
import sys

import pytest

from chorus.errors import SettingsError
from chorus.settings import load_settings


def test_kafka_transport_without_a_bootstrap_names_the_missing_setting() -> None:
    with pytest.raises(SettingsError, match=r"^CHORUS_KAFKA_BOOTSTRAP is required"):
        load_settings(transport="kafka")


def test_production_refuses_the_embedded_defaults() -> None:
    with pytest.raises(SettingsError, match="production needs CHORUS_TRANSPORT=kafka"):
        load_settings(environment="production")


def test_an_out_of_range_port_names_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"^CHORUS_PORT: "):
        load_settings(port=70000)


def test_each_service_gets_its_own_database() -> None:
    settings = load_settings(database_url="postgresql://db/chorus_{service}")
    assert settings.database_url_for("registry") == "postgresql+asyncpg://db/chorus_registry"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "chorus.cli", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_the_cli_reports_a_bad_setting_in_one_line_and_exits_2() -> None:
    result = run_cli("serve", "registry", CHORUS_TRANSPORT="pigeon")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "CHORUS_TRANSPORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_reports_an_unreachable_database_in_one_line() -> None:
    result = run_cli("serve", "registry",
                     CHORUS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/chorus")
    assert result.returncode == 2
    assert "CHORUS_DATABASE_URL: cannot reach" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_names_an_unknown_service() -> None:
    result = run_cli("serve", "nowhere")
    assert result.returncode == 2
    assert "no service called 'nowhere'" in result.stderr
