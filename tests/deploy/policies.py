"""Policy checks over rendered manifests. Each returns the problems it finds, as sentences
naming the object, so that a test can show a broken manifest is caught."""

import re
from collections.abc import Iterable
from typing import Any

from tests.deploy.manifests import Object, containers, labels, of_kind, pod_spec, selects

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass",
                  "StorageClass", "IngressClass", "CustomResourceDefinition"}

OPERATOR_SECRETS = {
    "chorus-registry-keys": ("master-key", "signing-key", "admin-api-key"),
    "chorus-feedback-keys": ("master-key",),
    "chorus-notifications-keys": ("master-key",),
    "chorus-service-keys": ("service-keys",),
    "chorus-smtp": ("host", "username", "password"),
    "chorus-portal-keys": ("session-secret",),
    "chorus-tls": ("tls.crt", "tls.key"),
}
"""The Secrets that operators make before the first apply (docs/operations.md), and their
keys. Every other Secret the manifests use is made by Strimzi or CloudNativePG."""

SECRET_LIKE = re.compile(r"KEY|PASSWORD|SECRET|TOKEN|DATABASE_URL|USERNAME", re.IGNORECASE)
REQUIRED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component",
                   "app.kubernetes.io/part-of")

FRONT_ENDS = ("portal",)
"""Chorus's web front ends (the `chorus.frontends` entry points; a test checks they agree):
servers like the services, but they keep nothing, so they have no database, no Kafka user
and no migration, and serve no /healthz/ready (nothing but their own process must answer)."""

PROBES = {"startupProbe": None, "livenessProbe": "/healthz/live",
          "readinessProbe": "/healthz/ready"}
FRONT_END_PROBES = {**PROBES, "readinessProbe": "/healthz/live"}


def name_of(obj: Object) -> str:
    return f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}"


def is_service_deployment(obj: Object) -> bool:
    """A Chorus server's Deployment: a service's, or a front end's."""
    return bool(obj.get("kind") == "Deployment"
                and labels(obj).get("app.kubernetes.io/component") == "server")


def is_front_end(obj: Object) -> bool:
    return is_service_deployment(obj) and labels(obj).get("app.kubernetes.io/name") in FRONT_ENDS


def pod_problems(workload: Object) -> list[str]:
    """What every pod Chorus runs must meet (services, migrations, the collector)."""
    who = name_of(workload)
    spec = pod_spec(workload)
    found = []
    if spec.get("automountServiceAccountToken") is not False:
        found.append(f"{who}: the pod must set automountServiceAccountToken: false")
    if spec.get("enableServiceLinks") is not False:
        found.append(f"{who}: the pod must set enableServiceLinks: false")
    security = spec.get("securityContext") or {}
    if security.get("runAsNonRoot") is not True:
        found.append(f"{who}: the pod must run as non-root (runAsNonRoot: true)")
    if (security.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        found.append(f"{who}: the pod's seccomp profile must be RuntimeDefault")
    for key in REQUIRED_LABELS:
        if key not in (workload["spec"]["template"].get("metadata", {}).get("labels") or {}):
            found.append(f"{who}: the pod template lacks the label {key}")
        if key not in labels(workload):
            found.append(f"{who}: lacks the label {key}")
    for container in containers(workload):
        found += container_problems(who, container, spec)
    return found


def container_problems(who: str, container: Object, spec: Object) -> list[str]:
    where = f"{who} container {container.get('name')}"
    found = []
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    if "cpu" not in requests or "memory" not in requests:
        found.append(f"{where}: needs cpu and memory requests")
    if "memory" not in limits:
        found.append(f"{where}: needs a memory limit")
    security = container.get("securityContext") or {}
    if security.get("allowPrivilegeEscalation") is not False:
        found.append(f"{where}: must set allowPrivilegeEscalation: false")
    if security.get("readOnlyRootFilesystem") is not True:
        found.append(f"{where}: must set readOnlyRootFilesystem: true")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        found.append(f"{where}: must drop ALL capabilities")
    if security.get("privileged"):
        found.append(f"{where}: must not be privileged")
    if security.get("runAsUser") == 0 or (spec.get("securityContext") or {}).get("runAsUser") == 0:
        found.append(f"{where}: must not run as root")
    tmp = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
        found.append(f"{where}: needs an emptyDir at /tmp (the root filesystem is read-only)")
    for variable in container.get("env") or []:
        if SECRET_LIKE.search(variable["name"]) and "value" in variable:
            found.append(f"{where}: {variable['name']} is written inline; reference a Secret")
    return found


def service_deployment_problems(deployment: Object, objects: list[Object]) -> list[str]:
    """The checklist of issue 8 for a Chorus service's Deployment, in its rendered setting;
    a front end's differs in its readiness probe and grace period, and keeps nothing."""
    who = name_of(deployment)
    spec = deployment["spec"]
    pod = pod_spec(deployment)
    front_end = is_front_end(deployment)
    found = pod_problems(deployment)
    strategy = spec.get("strategy") or {}
    if strategy.get("type") != "RollingUpdate" or (
            (strategy.get("rollingUpdate") or {}).get("maxUnavailable") != 0):
        found.append(f"{who}: must roll with maxUnavailable: 0")
    grace = pod.get("terminationGracePeriodSeconds") or 30
    if front_end and grace < 20:
        found.append(f"{who}: terminationGracePeriodSeconds must leave time to finish the "
                     "requests in hand (20 s or more)")
    elif not front_end and grace < 45:
        found.append(f"{who}: terminationGracePeriodSeconds must leave time to finish the "
                     "events in hand and commit offsets (45 s or more)")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    spread = pod.get("topologySpreadConstraints") or []
    if not spread or not all(selects(c.get("labelSelector", {}).get("matchLabels", {}),
                                     pod_labels) for c in spread):
        found.append(f"{who}: needs topology spread constraints that select its own pods")
    for container in pod["containers"]:
        found += _probe_problems(who, container, FRONT_END_PROBES if front_end else PROBES)
    autoscaled = [h for h in of_kind(objects, "HorizontalPodAutoscaler")
                  if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1",
                                                       "kind": "Deployment",
                                                       "name": deployment["metadata"]["name"]}]
    if autoscaled and "replicas" in spec:
        found.append(f"{who}: an autoscaler owns its replicas, so spec.replicas must go")
    if not autoscaled and "replicas" not in spec:
        found.append(f"{who}: no autoscaler, so spec.replicas must be set")
    budgets = [b for b in of_kind(objects, "PodDisruptionBudget")
               if selects(b["spec"]["selector"].get("matchLabels", {}), pod_labels)]
    if autoscaled and not budgets:
        found.append(f"{who}: several replicas need a PodDisruptionBudget")
    if front_end:
        found += front_end_problems(deployment, objects)
    elif not _env_names(deployment, objects) >= {"OTEL_EXPORTER_OTLP_ENDPOINT"}:
        # a front end exports traces only if its code sets tracing up (test_network_agreement)
        found.append(f"{who}: OTEL_EXPORTER_OTLP_ENDPOINT must point at the collector")
    return found


def front_end_problems(deployment: Object, objects: list[Object]) -> list[str]:
    """A front end keeps nothing: no migration, no database, no Kafka certificate."""
    who = name_of(deployment)
    name = labels(deployment)["app.kubernetes.io/name"]
    found = []
    if pod_spec(deployment).get("initContainers"):
        found.append(f"{who}: a front end keeps nothing, so has no init (migration) container")
    for secret, key in secret_references(deployment):
        if secret.endswith(("-db-app", "-db-ca")) or key.startswith("user."):
            found.append(f"{who}: a front end keeps nothing, yet uses {secret}/{key}")
    for kind, made in (("Job", f"chorus-{name}-migrate"), ("KafkaUser", f"chorus-{name}"),
                       ("Cluster", f"chorus-{name}-db")):
        if any(o["metadata"]["name"] == made for o in of_kind(objects, kind)):
            found.append(f"{who}: a front end keeps nothing, yet there is a {kind} {made}")
    return found


def _probe_problems(who: str, container: Object, wanted: dict[str, str | None],
                    ) -> list[str]:
    found = []
    for probe, path in wanted.items():
        if probe not in container:
            found.append(f"{who}: needs a {probe}")
        elif path and (container[probe].get("httpGet") or {}).get("path") != path:
            found.append(f"{who}: the {probe} must ask {path}")
    return found


def _env_names(workload: Object, objects: list[Object]) -> set[str]:
    names: set[str] = set()
    config_maps = {c["metadata"]["name"]: c for c in of_kind(objects, "ConfigMap")}
    for container in containers(workload, init=False):
        names |= {v["name"] for v in container.get("env") or []}
        for source in container.get("envFrom") or []:
            ref = (source.get("configMapRef") or {}).get("name")
            names |= set((config_maps.get(ref) or {}).get("data") or {})
    return names


def deployment_problems(objects: list[Object]) -> list[str]:
    found = []
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "Job"):
        found += (service_deployment_problems(workload, objects)
                  if is_service_deployment(workload) else pod_problems(workload))
    return found


def service_selection_problems(objects: list[Object]) -> list[str]:
    """Every Service selects some pods, on a port those pods have."""
    found = []
    templates = [w["spec"]["template"] for w in of_kind(objects, "Deployment")]
    for service in of_kind(objects, "Service"):
        selector = service["spec"].get("selector") or {}
        pods = [t for t in templates if selects(selector, t["metadata"].get("labels") or {})]
        if not pods:
            found.append(f"{name_of(service)}: selects no pods")
            continue
        ports = {p.get("name") for t in pods for c in t["spec"]["containers"]
                 for p in c.get("ports") or []}
        ports |= {p.get("containerPort") for t in pods for c in t["spec"]["containers"]
                  for p in c.get("ports") or []}
        for port in service["spec"]["ports"]:
            if port.get("targetPort", port["port"]) not in ports:
                found.append(f"{name_of(service)}: port {port['port']} leads to "
                             f"{port.get('targetPort')}, which its pods do not have")
    return found


def namespace_problems(objects: Iterable[Object]) -> list[str]:
    return [f"{name_of(o)}: has no namespace" for o in objects
            if o["kind"] not in CLUSTER_SCOPED and not o["metadata"].get("namespace")]


def image_problems(objects: Iterable[Object]) -> list[str]:
    """Every image names a version (a tag other than `latest`, or a digest)."""
    found = []
    for obj in objects:
        images = []
        if obj["kind"] in ("Deployment", "Job"):
            images = [(c["name"], c.get("image", "")) for c in containers(obj)]
        elif obj["kind"] == "Cluster" and "imageName" in obj["spec"]:
            images = [("postgres", obj["spec"]["imageName"])]
        elif obj["kind"] == "Kafka" and "image" in obj["spec"]["kafka"]:
            images = [("kafka", obj["spec"]["kafka"]["image"])]
        for container, image in images:
            if not _pinned(image):
                found.append(f"{name_of(obj)} {container}: image {image!r} names no version")
    return found


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


def kafka_user_problems(objects: list[Object]) -> list[str]:
    """Each KafkaUser: mutual TLS, simple ACLs naming only existing topics (literally), no
    `All`, no cluster-wide rights, and a group only when it reads."""
    topics = {t["spec"].get("topicName", t["metadata"]["name"])
              for t in of_kind(objects, "KafkaTopic")}
    clusters = {k["metadata"]["name"] for k in of_kind(objects, "Kafka")}
    found = []
    for user in of_kind(objects, "KafkaUser"):
        who = name_of(user)
        if labels(user).get("strimzi.io/cluster") not in clusters:
            found.append(f"{who}: belongs to no Kafka cluster here")
        if (user["spec"].get("authentication") or {}).get("type") != "tls":
            found.append(f"{who}: must authenticate with a TLS client certificate")
        authorization = user["spec"].get("authorization") or {}
        if authorization.get("type") != "simple":
            found.append(f"{who}: needs simple (ACL) authorization")
        for acl in authorization.get("acls") or []:
            found += _acl_problems(who, acl, topics)
    return found


def _acl_problems(who: str, acl: Object, topics: set[str]) -> list[str]:
    resource, operations = acl["resource"], set(acl.get("operations") or [])
    what = f"{who}: ACL on {resource['type']} {resource.get('name')!r}"
    found = []
    if "All" in operations:
        found.append(f"{what} grants All")
    if acl.get("type", "allow") != "allow":
        return found
    if resource.get("patternType", "literal") != "literal" or resource.get("name") == "*":
        found.append(f"{what} is not for one named resource")
    if resource["type"] == "topic" and resource.get("name") not in topics:
        found.append(f"{what}: no such topic among the KafkaTopics")
    if resource["type"] in ("cluster", "transactionalId"):
        found.append(f"{what}: no Chorus client needs cluster or transaction rights")
    if resource["type"] == "topic" and operations - {"Read", "Write", "Describe"}:
        found.append(f"{what} grants more than Read, Write and Describe")
    if resource["type"] == "group" and operations - {"Read", "Describe"}:
        found.append(f"{what} grants more than Read and Describe")
    return found


def secret_problems(objects: list[Object]) -> list[str]:
    """No Secret is written in the manifests, no ConfigMap holds one, and every Secret a pod
    uses is one an operator makes (OPERATOR_SECRETS) or Strimzi or CloudNativePG makes."""
    found = [f"{name_of(s)}: Secrets are made per environment, never kept here"
             for s in of_kind(objects, "Secret")]
    for config in of_kind(objects, "ConfigMap"):
        found += [f"{name_of(config)}: {key} looks like a secret"
                  for key in config.get("data") or {} if SECRET_LIKE.search(key)
                  and not key.endswith(("_FILE", "_URL"))]
    made = made_secrets(objects)
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "Job"):
        for secret, key in secret_references(workload):
            if secret in made:
                continue
            if key not in OPERATOR_SECRETS.get(secret, ()):
                found.append(f"{name_of(workload)}: uses {secret}/{key}, which nothing makes "
                             "and docs/operations.md does not ask for")
    for ingress in of_kind(objects, "Ingress"):
        for tls in ingress["spec"].get("tls") or []:
            if tls["secretName"] not in OPERATOR_SECRETS:
                found.append(f"{name_of(ingress)}: TLS Secret {tls['secretName']} is unknown")
    return found


def made_secrets(objects: list[Object]) -> set[str]:
    """The Secrets the operators make from these resources."""
    made = {f"{k['metadata']['name']}-cluster-ca-cert" for k in of_kind(objects, "Kafka")}
    made |= {u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")}
    for cluster in of_kind(objects, "Cluster"):
        made |= {f"{cluster['metadata']['name']}-app", f"{cluster['metadata']['name']}-ca"}
    return made


def secret_references(workload: Object) -> list[tuple[str, str]]:
    refs = []
    spec = pod_spec(workload)
    for container in containers(workload):
        for variable in container.get("env") or []:
            ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                refs.append((ref["name"], ref["key"]))
    for volume in spec.get("volumes") or []:
        sources = [volume] if "secret" in volume else [
            s for s in (volume.get("projected") or {}).get("sources", []) if "secret" in s]
        for source in sources:
            secret = source["secret"]
            name = secret.get("secretName") or secret.get("name")
            refs += [(name, item["key"]) for item in secret.get("items") or []]
    return refs


def reference_problems(objects: list[Object]) -> list[str]:
    """Names that pods use are there: ConfigMaps, ServiceAccounts."""
    config_maps = {c["metadata"]["name"] for c in of_kind(objects, "ConfigMap")}
    accounts = {a["metadata"]["name"]: a for a in of_kind(objects, "ServiceAccount")}
    found = []
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "Job"):
        spec, who = pod_spec(workload), name_of(workload)
        account = spec.get("serviceAccountName", "default")
        if account not in accounts:
            found.append(f"{who}: no ServiceAccount {account}")
        elif accounts[account].get("automountServiceAccountToken") is not False:
            found.append(f"{who}: its ServiceAccount must not mount a token")
        wanted = {(s.get("configMapRef") or {}).get("name") for c in containers(workload)
                  for s in c.get("envFrom") or []}
        wanted |= {v["configMap"]["name"] for v in spec.get("volumes") or [] if "configMap" in v}
        found += [f"{who}: no ConfigMap {name}" for name in wanted - {None} - config_maps]
    return found


def kafka_cluster_problems(objects: list[Object], *, replicas: int) -> list[str]:
    """Mutual TLS only, simple authorization, and the replication the environment needs."""
    found = []
    for kafka in of_kind(objects, "Kafka"):
        who, spec = name_of(kafka), kafka["spec"]["kafka"]
        for listener in spec["listeners"]:
            if not listener.get("tls") or (listener.get("authentication") or {}).get(
                    "type") != "tls":
                found.append(f"{who}: listener {listener['name']} must be mutual TLS")
        if (spec.get("authorization") or {}).get("type") != "simple":
            found.append(f"{who}: needs simple authorization")
        config = spec.get("config") or {}
        wanted = {"default.replication.factor": replicas,
                  "min.insync.replicas": min(2, replicas),
                  "auto.create.topics.enable": False}
        found += [f"{who}: {key} must be {value}" for key, value in wanted.items()
                  if config.get(key) != value]
    pools = {tuple(p["spec"]["roles"]): p["spec"]["replicas"]
             for p in of_kind(objects, "KafkaNodePool")}
    if pools != {("controller",): replicas, ("broker",): replicas}:
        found.append(f"node pools must be {replicas} controllers and {replicas} brokers: {pools}")
    for topic in of_kind(objects, "KafkaTopic"):
        config = topic["spec"].get("config") or {}
        if topic["spec"].get("replicas") != replicas or config.get(
                "min.insync.replicas") != min(2, replicas):
            found.append(f"{name_of(topic)}: replicas {replicas} and min.insync.replicas "
                         f"{min(2, replicas)} wanted")
        if "partitions" not in topic["spec"] or "retention.ms" not in config:
            found.append(f"{name_of(topic)}: partitions and retention must be set, not left "
                         "to the broker's defaults")
    return found


def backup_problems(objects: list[Object]) -> list[str]:
    """Every database archives its WAL and has a scheduled backup."""
    found = []
    scheduled = {b["spec"]["cluster"]["name"] for b in of_kind(objects, "ScheduledBackup")}
    for cluster in of_kind(objects, "Cluster"):
        name = cluster["metadata"]["name"]
        if name not in scheduled:
            found.append(f"{name_of(cluster)}: has no ScheduledBackup")
        if not any(p.get("isWALArchiver") for p in cluster["spec"].get("plugins") or []):
            found.append(f"{name_of(cluster)}: archives no WAL")
    return found


def all_problems(objects: list[Object]) -> list[str]:
    """The checks that hold for every rendered environment."""
    return [*deployment_problems(objects), *service_selection_problems(objects),
            *namespace_problems(objects), *image_problems(objects),
            *kafka_user_problems(objects), *secret_problems(objects),
            *reference_problems(objects)]


def any_value(obj: Any, key: str) -> list[Any]:
    """Every value under `key`, anywhere in a nested object."""
    if isinstance(obj, dict):
        return [v for k, v in obj.items() if k == key] + [
            found for v in obj.values() for found in any_value(v, key)]
    if isinstance(obj, list):
        return [found for item in obj for found in any_value(item, key)]
    return []
