"""What the code declares, and the manifests' view of it, for the agreement tests.

The code is the one source of truth: each service's composition root is called (nothing is
started) to learn its consumers and topics, and its settings classes list what it reads.
"""

import base64
import importlib
import inspect
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from pydantic_settings import BaseSettings

from chorus import services
from chorus.contracts import dlq_topic, events_topic
from chorus.service import ServiceParts, ServiceRuntime, ServiceSpec
from chorus.settings import Settings, load_settings
from tests.deploy import policies
from tests.deploy.manifests import Object, named, of_kind, pod_spec

SERVICES = tuple(services.discover())
FRONT_ENDS = tuple(services.frontends())
SERVERS = SERVICES + FRONT_ENDS
"""Everything with a Deployment of component `server`: the services and the front ends."""


def spec_of(service: str) -> ServiceSpec:
    return services.find(service)


def declared_runtime(service: str, data_dir: Path) -> ServiceRuntime:
    """The service composed as in development: what its code declares."""
    runtime = ServiceRuntime(spec_of(service), load_settings(data_dir=data_dir))
    runtime.compose()
    return runtime


def parts(runtime: ServiceRuntime) -> ServiceParts:
    assert runtime.parts is not None
    return runtime.parts


Acl = tuple[str, str, str]


def expected_acls(runtime: ServiceRuntime) -> set[Acl]:
    """What a service's code does on Kafka: publish its events (and dead letters), read what
    its consumers read, in their groups."""
    writes = {events_topic(runtime.spec.name)} | {dlq_topic(c.name)
                                                  for c in parts(runtime).consumers}
    reads = {t for c in parts(runtime).consumers for t in c.topics}
    groups = {f"chorus.{c.name}" for c in parts(runtime).consumers}
    return ({("topic", t, op) for t in writes for op in ("Write", "Describe")}
            | {("topic", t, op) for t in reads for op in ("Read", "Describe")}
            | {("group", g, "Read") for g in groups})


def granted(user: Object) -> set[Acl]:
    return {(acl["resource"]["type"], acl["resource"]["name"], op)
            for acl in user["spec"]["authorization"]["acls"] for op in acl["operations"]}


# Settings.

OTHER_VARIABLES = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": "chorus.telemetry exports traces over OTLP when set",
    "OTEL_RESOURCE_ATTRIBUTES": "read by the OpenTelemetry SDK (Resource.create)",
    "PGSSLMODE": "read by asyncpg when the URL does not say",
    "PGSSLROOTCERT": "read by asyncpg: the CA that checks the database's certificate",
    "POD_NAME": "only to build OTEL_RESOURCE_ATTRIBUTES",
    "POD_NAMESPACE": "only to build OTEL_RESOURCE_ATTRIBUTES",
    "GOMEMLIMIT": "the collector's Go runtime",
}
"""Variables outside CHORUS_* that the manifests may set, and who reads them."""


def environment(workload: Object, objects: list[Object], *, container: int = 0,
                init: bool = False) -> dict[str, str]:
    """A container's environment as the kubelet makes it (secrets as placeholders)."""
    spec = pod_spec(workload)
    chosen = (spec["initContainers"] if init else spec["containers"])[container]
    config_maps = {c["metadata"]["name"]: c.get("data") or {}
                   for c in of_kind(objects, "ConfigMap")}
    env: dict[str, str] = {}
    for source in chosen.get("envFrom") or []:
        env.update(config_maps[source["configMapRef"]["name"]])
    for variable in chosen.get("env") or []:
        if "value" in variable:
            env[variable["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]),
                                           variable["value"])
        elif "secretKeyRef" in variable["valueFrom"]:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = f"<secret {ref['name']}/{ref['key']}>"
        else:
            env[variable["name"]] = f"<{variable['valueFrom']}>"
    return env


def mounted_secret_files(workload: Object, *, container: Object | None = None,
                         ) -> dict[str, tuple[str, str]]:
    """The Secret files a container sees (the main one unless named), by path: (secret,
    key)."""
    spec = pod_spec(workload)
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    files = {}
    for mount in (container or spec["containers"][0]).get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        sources = [{"secret": {**volume["secret"], "name": volume["secret"]["secretName"]}}] if (
            "secret" in volume) else (volume.get("projected") or {}).get("sources", [])
        for source in sources:
            for item in source.get("secret", {}).get("items") or []:
                files[f"{mount['mountPath']}/{item['path']}"] = (source["secret"]["name"],
                                                                 item["key"])
    return files


def settings_classes(service: str) -> list[type[BaseSettings]]:
    """The kernel's settings, and the service's own (a BaseSettings in <service>.settings)."""
    found: list[type[BaseSettings]] = [Settings]
    try:
        module = importlib.import_module(f"{service}.settings")
    except ModuleNotFoundError:
        return found
    return found + [c for _, c in inspect.getmembers(module, inspect.isclass)
                    if issubclass(c, BaseSettings) and c.__module__ == module.__name__]


def known_variables(service: str) -> set[str]:
    return {f"{c.model_config.get('env_prefix', '')}{field}".upper()
            for c in settings_classes(service) for field in c.model_fields}


def front_end_variables(front_end: str) -> set[str]:
    """What a front end reads: its own settings only (it does not load the kernel's)."""
    return {f"{c.model_config.get('env_prefix', '')}{field}".upper()
            for c in settings_classes(front_end)[1:] for field in c.model_fields}


def workloads_of(objects: list[Object], service: str) -> list[Object]:
    return [w for w in of_kind(objects, "Deployment") + of_kind(objects, "Job")
            if w["metadata"]["labels"].get("app.kubernetes.io/name") == service]


def _pem_ed25519() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def stand_in_tls_files(folder: Path) -> dict[str, str]:
    """A self-signed certificate and key, standing in for the mounted Strimzi files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(1)
                   .not_valid_before(now - timedelta(minutes=1))
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    (folder / "tls.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "tls.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return {"CHORUS_KAFKA_CA_FILE": str(folder / "tls.crt"),
            "CHORUS_KAFKA_CERT_FILE": str(folder / "tls.crt"),
            "CHORUS_KAFKA_KEY_FILE": str(folder / "tls.key")}


def secret_value(placeholder: str) -> str:
    """A well-formed stand-in for `<secret name/key>`, of the kind the operator puts there."""
    name, key = placeholder.removeprefix("<secret ").removesuffix(">").split("/")
    if name.endswith("-db-app") and key == "uri":
        service = name.removeprefix("chorus-").removesuffix("-db-app")
        return f"postgresql://{service}:pw@{name.removesuffix('-app')}-rw.chorus:5432/{service}"
    values = {"master-key": base64.b64encode(bytes(32)).decode(),
              "signing-key": _pem_ed25519(),
              "admin-api-key": "chorus_admin_stand-in",
              "service-keys": '{"notifications": "chorus_service_stand-in"}',
              "host": "smtp.example.org", "username": "chorus", "password": "stand-in",
              "session-secret": "s" * 48}
    assert key in policies.OPERATOR_SECRETS.get(name, ()), f"{name}/{key} is not documented"
    return values[key]


def started_environment(env: dict[str, str], tls: dict[str, str]) -> Iterator[tuple[str, str]]:
    for name, value in env.items():
        if value.startswith("<secret "):
            value = secret_value(value)
        yield name, tls.get(name, value)


def compose_as_deployed(service: str, objects: list[Object], monkeypatch: pytest.MonkeyPatch,
                        tls: dict[str, str], *, drop: str | None = None) -> ServiceRuntime:
    """Compose the service with the environment its Deployment gives it."""
    env = environment(named(objects, "Deployment", f"chorus-{service}"), objects)
    for name, value in started_environment(env, tls):
        if name != drop:
            monkeypatch.setenv(name, value)
    runtime = ServiceRuntime(spec_of(service), load_settings())
    runtime.compose()
    return runtime


# Addresses and network policies.

def addresses(env: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Every http(s) address in an environment: setting -> (host, port)."""
    found = {}
    for name, value in env.items():
        if value.startswith(("http://", "https://")):
            url = urlsplit(value)
            assert url.hostname is not None
            found[name] = (url.hostname, url.port or (443 if url.scheme == "https" else 80))
    return found


def calls(objects: list[Object]) -> set[tuple[str, str, int]]:
    """(caller, callee, port) between the services and from the front ends, read from their
    settings."""
    found = set()
    for caller in SERVERS:
        env = environment(named(objects, "Deployment", f"chorus-{caller}"), objects)
        for host, port in addresses(env).values():
            callee = named(objects, "Service", host)["spec"]["selector"]
            if callee.get("app.kubernetes.io/component") == "server":
                found.add((caller, callee["app.kubernetes.io/name"], port))
    return found


def server_labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "server"}


def peers(rules: list[Object], key: str) -> list[tuple[Object, set[Any]]]:
    """Each peer of a policy's rules (`from` or `to`), with the ports of its rule."""
    return [(peer, {p["port"] for p in rule.get("ports") or []})
            for rule in rules for peer in rule.get(key) or []]
