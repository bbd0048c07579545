"""The settings in the manifests are settings the code reads, and all that each service (and
the portal) needs to start in production; the migration stage has what `chorus migrate`
needs; and each container runs its own service on the port the code gives it."""

from pathlib import Path

import pytest

from chorus.errors import SettingsError
from chorus.service import ServiceRuntime
from chorus.settings import load_settings
from portal.bootstrap import PACKAGES, port_of
from portal.bootstrap import create_app as create_portal_app
from portal.settings import PORT, PortalSettings
from portal.settings import load as load_portal_settings
from tests.deploy.agreement import (
    OTHER_VARIABLES,
    SERVICES,
    compose_as_deployed,
    environment,
    front_end_variables,
    known_variables,
    mounted_secret_files,
    spec_of,
    stand_in_tls_files,
    started_environment,
    workloads_of,
)
from tests.deploy.manifests import Object, named, pod_spec

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_the_manifests_give_is_one_the_code_reads(
    rendered: dict[str, list[Object]], service: str,
) -> None:
    objects = rendered["overlays/prod"] + rendered["overlays/prod/migrate"]
    known = known_variables(service)
    workloads = workloads_of(objects, service)
    assert len(workloads) == 2  # the Deployment and the migration Job
    for workload in workloads:
        spec = pod_spec(workload)
        given: set[str] = set()
        for index in range(len(spec["containers"])):
            given |= set(environment(workload, objects, container=index))
        for index in range(len(spec.get("initContainers") or [])):
            given |= set(environment(workload, objects, container=index, init=True))
        assert {v for v in given if v.startswith("CHORUS_")} <= known
        assert {v for v in given if not v.startswith("CHORUS_")} <= set(OTHER_VARIABLES)


def test_a_misspelt_setting_would_be_caught() -> None:
    assert "CHORUS_KAFKA_BOOTSTRAP_SERVERS" not in known_variables("registry")
    assert "CHORUS_SMTP_HOST" in known_variables("notifications")
    assert "CHORUS_SMTP_HOST" not in known_variables("registry")


@pytest.mark.parametrize("service", SERVICES)
def test_the_manifests_give_each_service_all_it_needs_in_production(
    rendered: dict[str, list[Object]], service: str, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    runtime = compose_as_deployed(service, rendered["overlays/prod"], monkeypatch,
                                  stand_in_tls_files(tmp_path))
    settings = runtime.settings

    assert settings.environment == "production"
    assert settings.transport == "kafka" and settings.kafka_security_protocol == "SSL"
    assert settings.auto_migrate is False
    assert settings.database_url_for(service).startswith("postgresql+asyncpg://")
    assert (settings.port or runtime.spec.port) == runtime.spec.port


@pytest.mark.parametrize(("service", "missing"), [
    ("registry", "CHORUS_MASTER_KEY"), ("registry", "CHORUS_SIGNING_KEY"),
    ("feedback", "CHORUS_MASTER_KEY"), ("notifications", "CHORUS_SMTP_HOST"),
    ("notifications", "CHORUS_SERVICE_KEYS"), ("opportunities", "CHORUS_JWKS_URL"),
    ("registry", "CHORUS_DATABASE_URL"), ("feedback", "CHORUS_KAFKA_BOOTSTRAP"),
])
def test_without_a_setting_it_needs_a_service_refuses_to_start(
    rendered: dict[str, list[Object]], service: str, missing: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError):
        compose_as_deployed(service, rendered["overlays/prod"], monkeypatch,
                            stand_in_tls_files(tmp_path), drop=missing)


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_get_what_chorus_migrate_needs(
    rendered: dict[str, list[Object]], service: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = rendered["overlays/prod"] + rendered["overlays/prod/migrate"]
    job = named(objects, "Job", f"chorus-{service}-migrate")
    deployment = named(objects, "Deployment", f"chorus-{service}")
    stages = [(job, environment(job, objects), pod_spec(job)["containers"][0]),
              (deployment, environment(deployment, objects, init=True),
               pod_spec(deployment)["initContainers"][0])]
    for workload, env, container in stages:
        with monkeypatch.context() as patched:
            for name, value in started_environment(env, {}):
                patched.setenv(name, value)
            settings = load_settings()
            ServiceRuntime(spec_of(service), settings)
        assert settings.environment == "production"
        assert env["CHORUS_DATABASE_URL"] == f"<secret chorus-{service}-db-app/uri>"
        assert mounted_secret_files(workload, container=container)[env["PGSSLROOTCERT"]] == (
            f"chorus-{service}-db-ca", "ca.crt")


@pytest.mark.parametrize("service", SERVICES)
def test_each_container_runs_its_own_service_on_its_port(
    rendered: dict[str, list[Object]], service: str,
) -> None:
    objects = rendered["overlays/prod"] + rendered["overlays/prod/migrate"]
    port = spec_of(service).port
    deployment = named(objects, "Deployment", f"chorus-{service}")
    [main] = pod_spec(deployment)["containers"]
    [init] = pod_spec(deployment)["initContainers"]
    [job] = pod_spec(named(objects, "Job", f"chorus-{service}-migrate"))["containers"]
    [service_port] = named(objects, "Service", f"chorus-{service}")["spec"]["ports"]

    assert main["command"] == ["chorus", "serve", service]
    assert init["command"] == job["command"] == ["chorus", "migrate", service]
    assert [p["containerPort"] for p in main["ports"]] == [port]
    assert service_port["port"] == port
    assert main["image"] == init["image"] == job["image"]
    assert main["image"].rsplit(":", 1)[0].endswith(f"chorus/{service}")


# The portal: a front end with settings of its own (portal.settings), no database and no
# Kafka.

def portal_environment(objects: list[Object]) -> dict[str, str]:
    return environment(named(objects, "Deployment", "chorus-portal"), objects)


def load_portal_as_deployed(objects: list[Object], monkeypatch: pytest.MonkeyPatch, *,
                            drop: str | None = None) -> PortalSettings:
    for name, value in started_environment(portal_environment(objects), {}):
        if name != drop:
            monkeypatch.setenv(name, value)
    return load_portal_settings()


@pytest.mark.parametrize("target", ["overlays/dev", "overlays/prod"])
def test_every_setting_the_manifests_give_the_portal_is_one_it_reads(
    rendered: dict[str, list[Object]], target: str,
) -> None:
    objects = rendered[target]
    given = set(portal_environment(objects))

    assert {v for v in given if v.startswith("CHORUS_")} <= front_end_variables("portal")
    assert {v for v in given if not v.startswith("CHORUS_")} <= set(OTHER_VARIABLES)
    assert workloads_of(objects + rendered[f"{target}/migrate"], "portal") == [
        named(objects, "Deployment", "chorus-portal")]  # no migration Job


def test_a_misspelt_portal_setting_would_be_caught() -> None:
    known = front_end_variables("portal")
    assert "CHORUS_PORTAL_SESSION_SECRET" in known and "CHORUS_REGISTRY_URL" in known
    assert "CHORUS_SESSION_SECRET" not in known
    assert "CHORUS_DATABASE_URL" not in known  # the kernel's settings are not the portal's


@pytest.mark.parametrize("target", ["overlays/dev", "overlays/prod"])
def test_the_manifests_give_the_portal_all_it_needs_in_production(
    rendered: dict[str, list[Object]], target: str, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    objects = rendered[target]
    settings = load_portal_as_deployed(objects, monkeypatch)
    env = portal_environment(objects)
    [container] = pod_spec(named(objects, "Deployment", "chorus-portal"))["containers"]
    [service_port] = named(objects, "Service", "chorus-portal")["spec"]["ports"]

    assert settings.environment == "production"
    assert settings.secure_cookies is True
    assert env["CHORUS_PORTAL_SESSION_SECRET"] == "<secret chorus-portal-keys/session-secret>"
    assert settings.host == "0.0.0.0"
    for service in SERVICES:
        assert settings.url_of(service) == f"http://chorus-{service}:{spec_of(service).port}"
    assert [p["containerPort"] for p in container["ports"]] == [port_of(settings)]
    assert service_port["port"] == port_of(settings) == PORT
    # CHORUS_PORTAL_ASSETS_DIR is the image's (test_image.py); with stand-in assets the
    # composition root accepts these settings.
    for folder in PACKAGES.values():
        (tmp_path / folder).mkdir(parents=True)
    create_portal_app(settings.model_copy(update={"portal_assets_dir": tmp_path}))


@pytest.mark.parametrize("missing", ["CHORUS_PORTAL_SESSION_SECRET", "CHORUS_REGISTRY_URL",
                                     "CHORUS_OPPORTUNITIES_URL", "CHORUS_FEEDBACK_URL",
                                     "CHORUS_NOTIFICATIONS_URL"])
def test_without_a_setting_it_needs_the_portal_refuses_to_start(
    rendered: dict[str, list[Object]], missing: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SettingsError, match=missing):
        load_portal_as_deployed(rendered["overlays/prod"], monkeypatch, drop=missing)


def test_the_portal_container_runs_the_portal(rendered: dict[str, list[Object]]) -> None:
    deployment = named(rendered["overlays/prod"], "Deployment", "chorus-portal")
    [main] = pod_spec(deployment)["containers"]

    assert main["command"] == ["python", "-m", "portal"]
    assert "initContainers" not in pod_spec(deployment)
    assert main["image"].rsplit(":", 1)[0].endswith("chorus/portal")
