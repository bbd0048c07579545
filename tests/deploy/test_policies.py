"""The rendered environments follow the rules of issue 8, and each rule catches a manifest
that breaks it."""

import copy
from collections.abc import Callable

import pytest

from chorus import services as installed
from tests.deploy import policies
from tests.deploy.agreement import FRONT_ENDS, SERVERS
from tests.deploy.manifests import ENVIRONMENTS, Object, labels, named, of_kind, pod_spec


@pytest.mark.parametrize("target", ENVIRONMENTS)
def test_each_environment_passes_every_check(rendered: dict[str, list[Object]],
                                             target: str) -> None:
    assert policies.all_problems(rendered[target]) == []


@pytest.mark.parametrize("environment", ["overlays/dev", "overlays/prod"])
def test_the_migration_jobs_pass_and_find_what_they_use_in_their_environment(
    rendered: dict[str, list[Object]], environment: str,
) -> None:
    jobs = rendered[f"{environment}/migrate"]
    together = rendered[environment] + jobs

    assert {j["kind"] for j in jobs} == {"Job"}
    assert policies.deployment_problems(jobs) == []
    assert policies.namespace_problems(jobs) == []
    assert policies.image_problems(jobs) == []
    assert policies.secret_problems(together) == []
    assert policies.reference_problems(together) == []


def test_both_stages_of_an_environment_run_the_same_images(
    rendered: dict[str, list[Object]],
) -> None:
    for environment in ("overlays/dev", "overlays/prod"):
        served = {c["image"] for d in of_kind(rendered[environment], "Deployment")
                  if not policies.is_front_end(d)  # a front end has nothing to migrate
                  for c in pod_spec(d)["containers"] if "chorus/" in c["image"]}
        migrated = {c["image"] for j in rendered[f"{environment}/migrate"]
                    for c in pod_spec(j)["containers"]}
        assert migrated == served


def test_production_replicates_kafka_three_times_and_writes_to_two(
    rendered: dict[str, list[Object]],
) -> None:
    assert policies.kafka_cluster_problems(rendered["overlays/prod"], replicas=3) == []


def test_dev_runs_one_broker_consistently(rendered: dict[str, list[Object]]) -> None:
    assert policies.kafka_cluster_problems(rendered["overlays/dev"], replicas=1) == []


def test_production_backs_up_every_database(rendered: dict[str, list[Object]]) -> None:
    prod = rendered["overlays/prod"]
    assert policies.backup_problems(prod) == []
    assert all(c["spec"]["instances"] == 3 for c in of_kind(prod, "Cluster"))


def test_production_autoscales_every_service_from_two_with_a_budget(
    rendered: dict[str, list[Object]],
) -> None:
    prod = rendered["overlays/prod"]
    services = [d for d in of_kind(prod, "Deployment") if policies.is_service_deployment(d)]
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h
                   for h in of_kind(prod, "HorizontalPodAutoscaler")}
    assert {d["metadata"]["name"] for d in services} == {f"chorus-{s}" for s in SERVERS}
    for deployment in services:
        assert autoscalers[deployment["metadata"]["name"]]["spec"]["minReplicas"] == 2
    assert len(of_kind(prod, "PodDisruptionBudget")) == len(SERVERS)


def test_dev_runs_one_replica_of_each_service_without_autoscaling(
    rendered: dict[str, list[Object]],
) -> None:
    dev = rendered["overlays/dev"]
    services = [d for d in of_kind(dev, "Deployment") if policies.is_service_deployment(d)]
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in services} == {
        f"chorus-{s}": 1 for s in SERVERS}
    assert of_kind(dev, "HorizontalPodAutoscaler") == []
    assert all(c["spec"]["instances"] == 1 for c in of_kind(dev, "Cluster"))


def test_production_denies_traffic_by_default(rendered: dict[str, list[Object]]) -> None:
    [deny] = [p for p in of_kind(rendered["overlays/prod"], "NetworkPolicy")
              if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_the_front_ends_of_the_policies_are_those_installed() -> None:
    assert policies.FRONT_ENDS == FRONT_ENDS == tuple(installed.frontends())
    assert set(FRONT_ENDS).isdisjoint(installed.discover())


@pytest.mark.parametrize("target", ENVIRONMENTS)
def test_the_portal_runs_in_every_environment_and_keeps_nothing(
    rendered: dict[str, list[Object]], target: str,
) -> None:
    objects = rendered[target]
    portal = named(objects, "Deployment", "chorus-portal")
    users = {u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")}
    databases = {c["metadata"]["name"] for c in of_kind(objects, "Cluster")}

    assert policies.is_front_end(portal)
    assert policies.front_end_problems(portal, objects) == []
    assert "chorus-portal" not in users and "chorus-portal-db" not in databases
    assert named(objects, "Service", "chorus-portal")
    assert all(labels(o)["app.kubernetes.io/part-of"] == "chorus" for o in objects
               if labels(o).get("app.kubernetes.io/name") == "portal")


@pytest.mark.parametrize("environment", ["overlays/dev", "overlays/prod"])
def test_the_portal_has_no_migration_job(rendered: dict[str, list[Object]],
                                         environment: str) -> None:
    jobs = rendered[f"{environment}/migrate"]
    assert {labels(j)["app.kubernetes.io/name"] for j in jobs} == set(installed.discover())


# Each check catches what it is for.

Damage = Callable[[list[Object]], None]


def registry(objects: list[Object]) -> Object:
    return named(objects, "Deployment", "chorus-registry")


def main_container(objects: list[Object]) -> Object:
    container: Object = pod_spec(registry(objects))["containers"][0]
    return container


def portal(objects: list[Object]) -> Object:
    return named(objects, "Deployment", "chorus-portal")


def portal_container(objects: list[Object]) -> Object:
    container: Object = pod_spec(portal(objects))["containers"][0]
    return container


def set_in(path: list[str], value: object) -> Callable[[Object], None]:
    def damage(obj: Object) -> None:
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value
    return damage


BREAKAGES: dict[str, tuple[Damage, str]] = {
    "a token mounted": (
        lambda o: pod_spec(registry(o)).update(automountServiceAccountToken=True),
        "automountServiceAccountToken"),
    "service links on": (
        lambda o: pod_spec(registry(o)).pop("enableServiceLinks"), "enableServiceLinks"),
    "root allowed": (
        lambda o: pod_spec(registry(o))["securityContext"].pop("runAsNonRoot"), "non-root"),
    "no seccomp": (
        lambda o: pod_spec(registry(o))["securityContext"].pop("seccompProfile"), "seccomp"),
    "no memory limit": (
        lambda o: main_container(o)["resources"].pop("limits"), "memory limit"),
    "no requests": (
        lambda o: main_container(o)["resources"].pop("requests"), "requests"),
    "escalation allowed": (
        lambda o: main_container(o)["securityContext"].update(allowPrivilegeEscalation=True),
        "allowPrivilegeEscalation"),
    "writable root": (
        lambda o: main_container(o)["securityContext"].update(readOnlyRootFilesystem=False),
        "readOnlyRootFilesystem"),
    "capabilities kept": (
        lambda o: main_container(o)["securityContext"].pop("capabilities"), "drop ALL"),
    "an init container as root": (
        lambda o: pod_spec(registry(o))["initContainers"][0].update(
            securityContext={"runAsUser": 0}), "must not run as root"),
    "no /tmp": (
        lambda o: main_container(o).update(volumeMounts=[
            m for m in main_container(o)["volumeMounts"] if m["mountPath"] != "/tmp"]),
        "/tmp"),
    "a secret inline": (
        lambda o: main_container(o)["env"].append({"name": "CHORUS_MASTER_KEY",
                                                   "value": "c2VjcmV0"}), "inline"),
    "no liveness probe": (
        lambda o: main_container(o).pop("livenessProbe"), "livenessProbe"),
    "readiness on the wrong path": (
        lambda o: main_container(o)["readinessProbe"]["httpGet"].update(path="/healthz/live"),
        "/healthz/ready"),
    "no startup probe": (
        lambda o: main_container(o).pop("startupProbe"), "startupProbe"),
    "short grace period": (
        lambda o: pod_spec(registry(o)).update(terminationGracePeriodSeconds=10),
        "terminationGracePeriodSeconds"),
    "maxUnavailable 1": (
        lambda o: registry(o)["spec"]["strategy"]["rollingUpdate"].update(maxUnavailable=1),
        "maxUnavailable"),
    "no topology spread": (
        lambda o: pod_spec(registry(o)).pop("topologySpreadConstraints"), "topology"),
    "replicas beside an autoscaler": (
        lambda o: registry(o)["spec"].update(replicas=3), "spec.replicas"),
    "no budget": (
        lambda o: o.remove(named(o, "PodDisruptionBudget", "chorus-registry")),
        "PodDisruptionBudget"),
    "a missing label": (
        lambda o: registry(o)["metadata"]["labels"].pop("app.kubernetes.io/part-of"),
        "app.kubernetes.io/part-of"),
    "an image at latest": (
        lambda o: main_container(o).update(image="registry.example.org/chorus/registry:latest"),
        "names no version"),
    "an image with no tag": (
        lambda o: main_container(o).update(image="registry.example.org/chorus/registry"),
        "names no version"),
    "a Service selecting nothing": (
        lambda o: named(o, "Service", "chorus-registry")["spec"]["selector"].update(
            {"app.kubernetes.io/name": "registy"}), "selects no pods"),
    "a Service to a port the pods lack": (
        lambda o: named(o, "Service", "chorus-registry")["spec"]["ports"][0].update(
            targetPort="metrics"), "do not have"),
    "an object with no namespace": (
        lambda o: named(o, "Service", "chorus-registry")["metadata"].pop("namespace"),
        "no namespace"),
    "an ACL granting All": (
        lambda o: named(o, "KafkaUser", "chorus-feedback")["spec"]["authorization"]["acls"][0]
        .update(operations=["All"]), "All"),
    "an ACL on a topic that does not exist": (
        lambda o: named(o, "KafkaUser", "chorus-feedback")["spec"]["authorization"]["acls"][0]
        ["resource"].update(name="chorus.feedbak.events"), "no such topic"),
    "an ACL by prefix": (
        lambda o: named(o, "KafkaUser", "chorus-feedback")["spec"]["authorization"]["acls"][0]
        ["resource"].update(patternType="prefix", name="chorus."), "not for one named"),
    "an ACL on the cluster": (
        lambda o: named(o, "KafkaUser", "chorus-feedback")["spec"]["authorization"]["acls"]
        .append({"resource": {"type": "cluster"}, "operations": ["Describe"]}),
        "cluster or transaction"),
    "a user that may create topics": (
        lambda o: named(o, "KafkaUser", "chorus-feedback")["spec"]["authorization"]["acls"][0]
        .update(operations=["Create", "Write"]), "more than Read, Write and Describe"),
    "a user with a password": (
        lambda o: named(o, "KafkaUser", "chorus-feedback")["spec"].update(
            authentication={"type": "scram-sha-512"}), "TLS client certificate"),
    "a Secret in the manifests": (
        lambda o: o.append({"apiVersion": "v1", "kind": "Secret",
                            "metadata": {"name": "oops", "namespace": "chorus"},
                            "stringData": {"master-key": "x"}}), "never kept here"),
    "a secret in a ConfigMap": (
        lambda o: of_kind(o, "ConfigMap")[0].setdefault("data", {}).update(
            CHORUS_ADMIN_API_KEY="x"), "looks like a secret"),
    "a Secret nobody makes": (
        lambda o: main_container(o)["env"].append({"name": "CHORUS_ADMIN_API_KEY", "valueFrom": {
            "secretKeyRef": {"name": "chorus-admin", "key": "key"}}}), "nothing makes"),
    "a ConfigMap that is not there": (
        lambda o: main_container(o)["envFrom"].append({"configMapRef": {"name": "nowhere"}}),
        "no ConfigMap nowhere"),
    "a ServiceAccount that is not there": (
        lambda o: pod_spec(registry(o)).update(serviceAccountName="ghost"),
        "no ServiceAccount ghost"),
    # The portal: the same checklist, as a front end.
    "the portal's session secret inline": (
        lambda o: portal_container(o)["env"].__setitem__(0, {
            "name": "CHORUS_PORTAL_SESSION_SECRET", "value": "x" * 48}), "inline"),
    "the portal as root": (
        lambda o: pod_spec(portal(o))["securityContext"].update(runAsUser=0),
        "must not run as root"),
    "the portal with a writable root": (
        lambda o: portal_container(o)["securityContext"].update(readOnlyRootFilesystem=False),
        "readOnlyRootFilesystem"),
    "the portal without /tmp": (
        lambda o: portal_container(o).pop("volumeMounts"), "/tmp"),
    "the portal without readiness": (
        lambda o: portal_container(o).pop("readinessProbe"), "readinessProbe"),
    "the portal's readiness on a path it does not serve": (
        lambda o: portal_container(o)["readinessProbe"]["httpGet"].update(
            path="/healthz/ready"), "the readinessProbe must ask /healthz/live"),
    "the portal cut off mid-request": (
        lambda o: pod_spec(portal(o)).update(terminationGracePeriodSeconds=5),
        "requests in hand"),
    "the portal without a budget": (
        lambda o: o.remove(named(o, "PodDisruptionBudget", "chorus-portal")),
        "PodDisruptionBudget"),
    "the portal given a database": (
        lambda o: portal_container(o)["env"].append({
            "name": "CHORUS_DATABASE_URL", "valueFrom": {"secretKeyRef": {
                "name": "chorus-registry-db-app", "key": "uri"}}}), "keeps nothing"),
    "the portal given a migration": (
        lambda o: pod_spec(portal(o)).update(
            initContainers=[pod_spec(registry(o))["initContainers"][0]]), "keeps nothing"),
    "a Kafka user for the portal": (
        lambda o: o.append({**named(o, "KafkaUser", "chorus-feedback"), "metadata": {
            **named(o, "KafkaUser", "chorus-feedback")["metadata"], "name": "chorus-portal"}}),
        "keeps nothing"),
    "the portal's image at latest": (
        lambda o: portal_container(o).update(image="registry.example.org/chorus/portal:latest"),
        "names no version"),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_environment_is_caught(rendered: dict[str, list[Object]],
                                        breakage: str) -> None:
    objects = copy.deepcopy(rendered["overlays/prod"])
    damage, message = BREAKAGES[breakage]
    damage(objects)

    found = policies.all_problems(objects)

    assert any(message in problem for problem in found), found


@pytest.mark.parametrize(("damage", "message"), [
    (lambda o: named(o, "Kafka", "chorus")["spec"]["kafka"]["listeners"].append(
        {"name": "plain", "port": 9092, "type": "internal", "tls": False}), "mutual TLS"),
    (lambda o: named(o, "Kafka", "chorus")["spec"]["kafka"].pop("authorization"),
     "simple authorization"),
    (lambda o: named(o, "Kafka", "chorus")["spec"]["kafka"]["config"].update(
        {"min.insync.replicas": 1}), "min.insync.replicas"),
    (lambda o: named(o, "KafkaNodePool", "broker")["spec"].update(replicas=1), "node pools"),
    (lambda o: named(o, "KafkaTopic", "chorus-registry-events")["spec"]["config"].pop(
        "retention.ms"), "retention"),
    (lambda o: named(o, "KafkaTopic", "chorus-registry-events")["spec"].update(replicas=2),
     "replicas 3"),
])
def test_a_weaker_kafka_is_caught(rendered: dict[str, list[Object]], damage: Damage,
                                  message: str) -> None:
    objects = copy.deepcopy(rendered["overlays/prod"])
    damage(objects)

    assert any(message in p for p in policies.kafka_cluster_problems(objects, replicas=3))


def test_a_database_without_backups_is_caught(rendered: dict[str, list[Object]]) -> None:
    objects = copy.deepcopy(rendered["overlays/prod"])
    objects.remove(named(objects, "ScheduledBackup", "chorus-feedback-db-nightly"))
    named(objects, "Cluster", "chorus-registry-db")["spec"].pop("plugins")

    found = policies.backup_problems(objects)

    assert any("chorus-feedback-db: has no ScheduledBackup" in p for p in found)
    assert any("chorus-registry-db: archives no WAL" in p for p in found)
