"""The addresses in the settings, the network policies and the ingress agree with what the
services and the portal call and serve."""

import copy
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.routing import Mount

import portal
import portal.bootstrap
from chorus.app import create_app
from chorus.settings import load_settings
from portal.settings import load as load_portal_settings
from tests.deploy.agreement import (
    SERVERS,
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


@pytest.mark.parametrize("service", SERVERS)
def test_every_address_in_the_settings_is_a_service_here_on_a_port_it_serves(
    rendered: dict[str, list[Object]], service: str,
) -> None:
    objects = rendered["overlays/prod"]
    env = environment(named(objects, "Deployment", f"chorus-{service}"), objects)
    assert addresses(env)
    for host, port in addresses(env).values():
        target = named(objects, "Service", host)
        assert port in [p["port"] for p in target["spec"]["ports"]]


Call = tuple[str, str, int]


def allowed_calls(objects: list[Object]) -> tuple[set[Call], set[Call]]:
    """(caller, callee, port) that the callees' policies let in, and that the callers'
    policies let out."""
    allowed_in, allowed_out = set(), set()
    for service in SERVERS:
        policy = named(objects, "NetworkPolicy", f"chorus-{service}")
        assert selects(policy["spec"]["podSelector"]["matchLabels"], server_labels(service))
        for peer, ports in peers(policy["spec"]["ingress"], "from"):
            for caller in SERVERS:
                if "namespaceSelector" not in peer and selects(
                        peer.get("podSelector", {}).get("matchLabels", {}),
                        server_labels(caller)):
                    allowed_in.add((caller, service, server_port(objects, service)))
                    assert ports == {"http"}
        for peer, ports in peers(policy["spec"]["egress"], "to"):
            for callee in SERVERS:
                if selects(peer.get("podSelector", {}).get("matchLabels", {}),
                           server_labels(callee)):
                    allowed_out |= {(service, callee, port) for port in ports}
    return allowed_in, allowed_out


@pytest.mark.parametrize("target", ["overlays/prod", "tests/dev-with-network-policies"])
def test_the_network_policies_let_through_exactly_the_calls_the_settings_make(
    rendered: dict[str, list[Object]], target: str,
) -> None:
    objects = rendered[target]
    made = calls(objects)
    assert ("notifications", "registry", 8001) in made  # the test sees the calls at all
    assert ("portal", "feedback", 8003) in made

    assert allowed_calls(objects) == (made, made)


def without_peer(policy: str, rules: str, name: str) -> Callable[[list[Object]], None]:
    key = "from" if rules == "ingress" else "to"

    def damage(objects: list[Object]) -> None:
        spec = named(objects, "NetworkPolicy", policy)["spec"]
        for rule in spec[rules]:
            rule[key] = [p for p in rule.get(key) or [] if p.get("podSelector", {}).get(
                "matchLabels", {}).get("app.kubernetes.io/name") != name]
        spec[rules] = [rule for rule in spec[rules] if rule[key]]  # no `to` would mean all
    return damage


@pytest.mark.parametrize(("damage", "lost"), [
    (without_peer("chorus-feedback", "ingress", "portal"), ("portal", "feedback", 8003)),
    (without_peer("chorus-registry", "ingress", "portal"), ("portal", "registry", 8001)),
    (without_peer("chorus-portal", "egress", "notifications"),
     ("portal", "notifications", 8004)),
    (lambda o: named(o, "ConfigMap", named(o, "Deployment", "chorus-portal")["spec"]
                     ["template"]["spec"]["containers"][0]["envFrom"][0]["configMapRef"]
                     ["name"])["data"].pop("CHORUS_OPPORTUNITIES_URL"),
     ("portal", "opportunities", 8002)),
])
def test_a_call_the_policies_and_settings_disagree_on_is_caught(
    rendered: dict[str, list[Object]], damage: Callable[[list[Object]], None], lost: Call,
) -> None:
    objects = copy.deepcopy(rendered["overlays/prod"])
    damage(objects)
    made = calls(objects)
    allowed_in, allowed_out = allowed_calls(objects)

    assert (made, made) != (allowed_in, allowed_out)
    assert lost in (made ^ allowed_in) | (made ^ allowed_out)


def server_port(objects: list[Object], server: str) -> int:
    port: int = named(objects, "Service", f"chorus-{server}")["spec"]["ports"][0]["port"]
    return port


def test_the_portal_calls_every_service_at_its_port(rendered: dict[str, list[Object]]) -> None:
    made = calls(rendered["overlays/prod"])

    assert {(callee, port) for caller, callee, port in made if caller == "portal"} == {
        (service, spec_of(service).port) for service in SERVICES}
    assert not any(callee == "portal" for _, callee, _ in made)  # no service calls it


INGRESS_CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}}


def portal_traced() -> bool:
    """Whether the portal's code sets up tracing (then it exports to the collector)."""
    folder = Path(inspect.getfile(portal)).parent
    return any("setup_tracing" in f.read_text() for f in folder.rglob("*.py"))


@pytest.mark.parametrize("target", ["overlays/prod", "tests/dev-with-network-policies"])
def test_only_the_ingress_controller_reaches_the_portal_and_it_reaches_only_the_services(
    rendered: dict[str, list[Object]], target: str,
) -> None:
    objects = rendered[target]
    policy = named(objects, "NetworkPolicy", "chorus-portal")["spec"]
    env = environment(named(objects, "Deployment", "chorus-portal"), objects)
    callers = peers(policy["ingress"], "from")
    reached = {(tuple(sorted(peer.get("podSelector", {}).get("matchLabels", {}).items())), port)
               for peer, ports in peers(policy["egress"], "to") for port in ports}
    services = {(tuple(sorted(server_labels(s).items())), spec_of(s).port) for s in SERVICES}
    collector = ((("app.kubernetes.io/name", "otel-collector"),), 4318)

    assert policy["policyTypes"] == ["Ingress", "Egress"]
    # a rule without peers would let in, or out, everything on its ports
    assert all(rule.get("from") for rule in policy["ingress"])
    assert all(rule.get("to") for rule in policy["egress"])
    assert callers == [(INGRESS_CONTROLLER, {"http"})]
    assert all(set(peer) == {"podSelector"} for peer, _ in peers(policy["egress"], "to"))
    # DNS is default-deny.yaml's; Kafka, databases and the outside world are not reachable.
    assert reached == services | ({collector} if portal_traced() else set())
    assert ("OTEL_EXPORTER_OTLP_ENDPOINT" in env) == portal_traced()


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


def portal_app(tmp_path: Path) -> FastAPI:
    """The portal as its composition root makes it, over stand-in asset folders."""
    for folder in portal.bootstrap.PACKAGES.values():
        (tmp_path / "assets" / folder).mkdir(parents=True, exist_ok=True)
    settings = load_portal_settings(data_dir=tmp_path / "data",
                                    portal_assets_dir=tmp_path / "assets")
    return portal.bootstrap.create_app(settings)


def portal_routes(tmp_path: Path) -> list[str]:
    """Every path the portal answers: its pages (from its OpenAPI document, which the app
    does not serve but can make) and the folders of files it mounts."""
    app = portal_app(tmp_path)
    pages = list(app.openapi()["paths"])
    files = [f"{r.path}/file.css" for r in app.routes if isinstance(r, Mount)]
    return sorted(pages + files)


def portal_paths(ingress: Object) -> list[Object]:
    return [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]
            if p["backend"]["service"]["name"] == "chorus-portal"]


def routed(route: str, path: Object) -> bool:
    """Whether an Ingress path takes a request for `route` (Kubernetes' matching rules)."""
    where: str = path["path"]
    if path["pathType"] == "Exact":
        return route == where
    prefix = where.rstrip("/")
    return route == prefix or route.startswith(prefix + "/") or where == "/"


def test_the_portal_is_the_front_door_with_every_page_and_nothing_internal(
    rendered: dict[str, list[Object]], tmp_path: Path,
) -> None:
    [ingress] = of_kind(rendered["overlays/prod"], "Ingress")
    [host] = {rule["host"] for rule in ingress["spec"]["rules"]
              if any(p["backend"]["service"]["name"] == "chorus-portal"
                     for p in rule["http"]["paths"])}
    [rule] = [r for r in ingress["spec"]["rules"] if r["host"] == host]
    paths = portal_paths(ingress)
    routes = portal_routes(tmp_path)
    public = [r for r in routes if not r.startswith(INTERNAL_PREFIXES)]
    internal = [r for r in routes if r.startswith(INTERNAL_PREFIXES)]

    assert "/" in routes and "/healthz/live" in internal
    assert rule["http"]["paths"] == paths  # the front door's host is the portal's alone
    assert any(host in tls["hosts"] for tls in ingress["spec"]["tls"])
    assert {"path": "/", "pathType": "Exact"}.items() <= paths[0].items()
    missing = [r for r in public if not any(routed(r, p) for p in paths)]
    assert missing == [], "pages the ingress does not route: add their first path segment"
    assert [r for r in internal if any(routed(r, p) for p in paths)] == []
    assert [p["path"] for p in paths if not any(routed(r, p) for r in routes)] == []


@pytest.mark.parametrize("route", ["/healthz/live", "/healthz/ready", "/metrics",
                                   "/internal/anything", "/healthz"])
def test_no_ingress_path_takes_an_internal_route(rendered: dict[str, list[Object]],
                                                  route: str) -> None:
    [ingress] = of_kind(rendered["overlays/prod"], "Ingress")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]

    assert [p["path"] for p in paths if routed(route, p)] == []


@pytest.mark.parametrize(("path", "caught"), [
    ({"path": "/", "pathType": "Prefix"}, "/healthz/live"),
    ({"path": "/healthz", "pathType": "Prefix"}, "/healthz/live"),
    ({"path": "/my", "pathType": "Exact"}, "/my/profile"),
])
def test_the_routing_rules_are_read_as_kubernetes_reads_them(path: Object, caught: str) -> None:
    assert routed(caught, path) == (path["pathType"] == "Prefix")



def pod_selected(selector: Object, pod_labels: dict[str, str]) -> bool:
    """A label selector (matchLabels and In/NotIn/Exists expressions) against a pod's labels."""
    if any(pod_labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        value, operator = pod_labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def test_kafka_lets_in_the_services_and_not_the_portal(
    rendered: dict[str, list[Object]],
) -> None:
    objects = rendered["overlays/prod"]
    [kafka] = of_kind(objects, "Kafka")
    [listener] = [li for li in kafka["spec"]["kafka"]["listeners"] if li["name"] == "tls"]
    selectors = [peer["podSelector"] for peer in listener["networkPolicyPeers"]]

    def admitted(server: str) -> bool:
        pod = named(objects, "Deployment", f"chorus-{server}")["spec"]["template"]["metadata"]
        return any(pod_selected(s, pod["labels"]) for s in selectors)

    assert {server: admitted(server) for server in SERVERS} == {
        server: server in SERVICES for server in SERVERS}
    assert not pod_selected({"matchExpressions": [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": ["registry"]}]},
        {"app.kubernetes.io/name": "portal"})
