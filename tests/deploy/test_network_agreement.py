"""The addresses in the settings, the network policies and the ingress agree with what the
services call and serve."""

from pathlib import Path

import pytest

from chorus.app import create_app
from chorus.settings import load_settings
from tests.deploy.agreement import (
    SERVICES,
    addresses,
    calls,
    environment,
    peers,
    server_labels,
    spec_of,
)
from tests.deploy.manifests import Object, named, of_kind, selects

pytestmark = pytest.mark.usefixtures("clean_environment")

INTERNAL_PREFIXES = ("/internal/", "/healthz/", "/metrics")


@pytest.mark.parametrize("service", SERVICES)
def test_every_address_in_the_settings_is_a_service_here_on_a_port_it_serves(
    rendered: dict[str, list[Object]], service: str,
) -> None:
    objects = rendered["overlays/prod"]
    env = environment(named(objects, "Deployment", f"chorus-{service}"), objects)
    assert addresses(env)
    for host, port in addresses(env).values():
        target = named(objects, "Service", host)
        assert port in [p["port"] for p in target["spec"]["ports"]]


def test_the_network_policies_let_through_exactly_the_calls_the_settings_make(
    rendered: dict[str, list[Object]],
) -> None:
    objects = rendered["overlays/prod"]
    made = calls(objects)
    assert ("notifications", "registry", 8001) in made  # the test sees the calls at all
    allowed_in, allowed_out = set(), set()
    for service in SERVICES:
        policy = named(objects, "NetworkPolicy", f"chorus-{service}")
        assert selects(policy["spec"]["podSelector"]["matchLabels"], server_labels(service))
        for peer, ports in peers(policy["spec"]["ingress"], "from"):
            for caller in SERVICES:
                if "namespaceSelector" not in peer and selects(
                        peer.get("podSelector", {}).get("matchLabels", {}),
                        server_labels(caller)):
                    allowed_in.add((caller, service, spec_of(service).port))
                    assert ports == {"http"}
        for peer, ports in peers(policy["spec"]["egress"], "to"):
            for callee in SERVICES:
                if selects(peer.get("podSelector", {}).get("matchLabels", {}),
                           server_labels(callee)):
                    allowed_out |= {(service, callee, port) for port in ports}
    assert allowed_in == made
    assert allowed_out == made


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_reach_its_own_database_kafka_and_the_collector(
    rendered: dict[str, list[Object]], service: str,
) -> None:
    objects = rendered["overlays/prod"]
    egress = named(objects, "NetworkPolicy", f"chorus-{service}")["spec"]["egress"]
    reachable = {(tuple(sorted(peer.get("podSelector", {}).get("matchLabels", {}).items())),
                  port) for peer, ports in peers(egress, "to") for port in ports}
    [kafka] = of_kind(objects, "Kafka")
    broker = (("strimzi.io/broker-role", "true"),
              ("strimzi.io/cluster", kafka["metadata"]["name"]))
    databases = {dict(p)["cnpg.io/cluster"] for p, _ in reachable
                 if "cnpg.io/cluster" in dict(p)}

    assert (broker, 9093) in reachable
    assert ((("app.kubernetes.io/name", "otel-collector"),), 4318) in reachable
    assert databases == {f"chorus-{service}-db"}
    assert named(objects, "Cluster", f"chorus-{service}-db")


def openapi_paths(service: str, tmp_path: Path) -> list[str]:
    app = create_app(spec_of(service), load_settings(data_dir=tmp_path))
    return sorted(app.openapi()["paths"])


@pytest.mark.parametrize("service", SERVICES)
def test_the_ingress_serves_every_public_route_and_no_internal_one(
    rendered: dict[str, list[Object]], service: str, tmp_path: Path,
) -> None:
    [ingress] = of_kind(rendered["overlays/prod"], "Ingress")
    prefixes = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]
                if p["backend"]["service"]["name"] == f"chorus-{service}"]
    routes = [*openapi_paths(service, tmp_path), "/docs", "/openapi.json"]

    def exposed(route: str) -> bool:
        return any(route == p or route.startswith(p.rstrip("/") + "/") or (
            route.startswith(p) and "/" not in route[len(p):]) for p in prefixes)

    public = [r for r in routes if not r.startswith(INTERNAL_PREFIXES)]
    internal = [r for r in routes if r.startswith(INTERNAL_PREFIXES)]
    assert internal
    assert [r for r in public if not exposed(r)] == []
    assert [r for r in internal if exposed(r)] == []
    assert all(any(r.startswith(p) for r in routes) for p in prefixes)
