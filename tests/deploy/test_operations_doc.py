"""docs/operations.md stays true: what it names exists, and what it states matches the
manifests and the code."""

import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from chorus import services
from chorus.cli import main as cli
from chorus.contracts import dlq_topic
from tests.deploy import policies
from tests.deploy.manifests import DEPLOY, REPO, Object, kustomization_dirs, named, of_kind
from tests.deploy.schemas import KUBERNETES_VERSIONS

DOC = REPO / "docs" / "operations.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text()


def test_every_path_it_names_exists(doc: str) -> None:
    named_paths = set(re.findall(r"`((?:deploy|docs|scripts)/[^`\s]*|Dockerfile|"
                                 r"\.dockerignore)`", doc))
    named_paths |= set(re.findall(r"\s((?:deploy|docs)/[\w./-]+)", doc))
    named_paths = {p.rstrip("/.") for p in named_paths if "<" not in p}
    assert named_paths
    assert sorted(p for p in named_paths if not (REPO / p).exists()) == []


def test_every_kustomization_it_applies_is_one(doc: str) -> None:
    targets = re.findall(r"kubectl (?:apply|delete) -k (\S+)", doc)
    folders = {d.relative_to(REPO).as_posix() for d in kustomization_dirs()}
    assert targets
    assert [t for t in targets if "<" not in t and t not in folders] == []


def test_it_asks_for_every_secret_the_manifests_need_with_its_keys(doc: str) -> None:
    for secret, keys in policies.OPERATOR_SECRETS.items():
        [row] = [line for line in doc.splitlines() if line.startswith(f"| `{secret}`")]
        assert all(f"`{key}`" in row for key in keys), secret


def test_it_names_the_secrets_the_operators_make(doc: str,
                                                 rendered: dict[str, list[Object]]) -> None:
    made = policies.made_secrets(rendered["overlays/prod"])
    kinds = {re.sub(r"chorus-(registry|opportunities|feedback|notifications)",
                    "chorus-<service>", name) for name in made}
    kinds.discard("chorus-<service>")  # the KafkaUsers' Secrets, named after each user
    assert sorted(k for k in kinds if f"`{k}`" not in doc) == []


def exposed_metrics() -> set[str]:
    """The names Prometheus scrapes for every Chorus metric of every service."""
    for spec in services.discover().values():  # loading a service registers its metrics
        assert spec.name
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("chorus_"):
            names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def test_it_lists_every_metric_the_services_expose(doc: str) -> None:
    metrics = exposed_metrics()
    assert "chorus_consumer_lag" in metrics
    assert sorted(m for m in metrics if f"`{m}`" not in doc) == []


def test_the_commands_it_gives_exist(doc: str) -> None:
    given = re.findall(r"(?:^\s*|`|--\s+)chorus ([a-z]+(?: [a-z]+)*)", doc, re.MULTILINE)
    assert "migrate" in {g.split()[0] for g in given}
    for command in given:
        group = cli
        for word in command.split():
            commands = getattr(group, "commands", {})
            if word not in commands:
                break
            group = commands[word]
        assert group is not cli, f"`chorus {command}` is not a command"


def test_it_names_every_dead_letter_topic(doc: str) -> None:
    for spec in services.discover().values():
        if spec.name != "registry":
            assert f"`{dlq_topic(spec.name)}`" in doc


def test_its_figures_are_the_manifests(doc: str, rendered: dict[str, list[Object]]) -> None:
    doc = " ".join(doc.split())  # a phrase may break across lines
    prod = rendered["overlays/prod"]
    day = 24 * 3600 * 1000
    events = named(prod, "KafkaTopic", "chorus-registry-events")["spec"]["config"]
    dead = named(prod, "KafkaTopic", "chorus-feedback-dlq")["spec"]["config"]
    assert f"keep {events['retention.ms'] // day} days" in doc
    assert f"keep {dead['retention.ms'] // day} days" in doc
    autoscaler = named(prod, "HorizontalPodAutoscaler", "chorus-registry")["spec"]
    assert f"from {autoscaler['minReplicas']} to {autoscaler['maxReplicas']} replicas" in doc
    partitions = named(prod, "KafkaTopic", "chorus-registry-events")["spec"]["partitions"]
    assert f"with {partitions} partitions per events topic" in doc
    [kafka] = of_kind(prod, "Kafka")
    assert f"Kafka {kafka['spec']['kafka']['version']}" in doc
    assert f"Kubernetes {KUBERNETES_VERSIONS[0]} or newer" in doc
    assert f"against {KUBERNETES_VERSIONS[0]} and {KUBERNETES_VERSIONS[1]}" in doc
    grace = {d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
             for d in of_kind(prod, "Deployment")
             if policies.is_service_deployment(d) and not policies.is_front_end(d)}
    assert grace == {60} and "60 s grace period" in doc


def test_its_portal_section_is_the_manifests(doc: str, rendered: dict[str, list[Object]]) -> None:
    section = " ".join(doc.split("## The portal", 1)[1].split("\n## ", 1)[0].split())
    prod = rendered["overlays/prod"]
    deployment = named(prod, "Deployment", "chorus-portal")
    autoscaler = named(prod, "HorizontalPodAutoscaler", "chorus-portal")["spec"]
    [ingress] = of_kind(prod, "Ingress")
    [host] = {r["host"] for r in ingress["spec"]["rules"]
              if r["http"]["paths"][0]["backend"]["service"]["name"] == "chorus-portal"}
    config = named(prod, "ConfigMap", deployment["spec"]["template"]["spec"]["containers"][0]
                   ["envFrom"][0]["configMapRef"]["name"])["data"]
    [port] = named(prod, "Service", "chorus-portal")["spec"]["ports"]

    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert f"a {grace} s grace period" in section
    assert f"from {autoscaler['minReplicas']} to {autoscaler['maxReplicas']} replicas" in section
    assert f"https://{host}/" in section and f"(port {port['port']})" in section
    assert all(f"`{name}`" in section for name in config if name.endswith("_URL"))
    assert f"`CHORUS_PORTAL_SECURE_COOKIES={config['CHORUS_PORTAL_SECURE_COOKIES']}`" in section
    assert "`chorus-portal-keys`" in section


def test_the_layout_table_covers_every_top_level_folder_of_deploy_k8s(doc: str) -> None:
    for folder in sorted(p for p in DEPLOY.iterdir() if p.is_dir()):
        assert f"deploy/k8s/{folder.name}/" in doc, folder.name


def test_the_file_is_where_the_readme_will_point() -> None:
    assert Path(DOC).is_file()
