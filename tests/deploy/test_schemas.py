"""Every manifest, and every rendered overlay, is valid for the API server in strict mode:
built-in kinds against Kubernetes' schemas, custom resources against their CRDs."""

import copy
import json
from pathlib import Path

import pytest

from tests.deploy.manifests import DEPLOY, Object, load_file, named, of_kind, source_manifests
from tests.deploy.schemas import CustomResources, InvalidObject, problems, validate


@pytest.mark.parametrize("path", source_manifests(),
                         ids=lambda p: str(p.relative_to(DEPLOY)))
def test_each_manifest_file_is_valid(path: Path, custom_resources: CustomResources) -> None:
    assert problems(load_file(path), custom_resources) == []


def test_every_rendered_object_is_valid(rendered: dict[str, list[Object]],
                                        custom_resources: CustomResources) -> None:
    checked: dict[str, list[str]] = {}  # most objects are the same in several renders
    found = {}
    for target, objects in rendered.items():
        for obj in objects:
            key = json.dumps(obj, sort_keys=True)
            if key not in checked:
                checked[key] = problems([obj], custom_resources)
        found[target] = [p for o in objects for p in checked[json.dumps(o, sort_keys=True)]]
    assert found == {target: [] for target in rendered}


def test_the_custom_resources_cover_strimzi_and_cloudnative_pg(
    rendered: dict[str, list[Object]],
) -> None:
    kinds = {o["kind"] for o in rendered["overlays/prod"]}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster",
            "ScheduledBackup"} <= kinds


# The validators catch broken manifests.

@pytest.fixture
def prod(rendered: dict[str, list[Object]]) -> list[Object]:
    return copy.deepcopy(rendered["overlays/prod"])


@pytest.mark.parametrize(("kind", "name", "damage", "message"), [
    ("Deployment", "chorus-registry",
     lambda o: o["spec"]["template"]["spec"].update(automountServiceAccountTokens=False),
     "automountServiceAccountTokens"),
    ("Deployment", "chorus-registry",
     lambda o: o["spec"].update(replicas="two"), "replicas"),
    ("Service", "chorus-registry",
     lambda o: o["spec"]["ports"][0].update(port="http"), "http"),
    ("HorizontalPodAutoscaler", "chorus-registry",
     lambda o: o.update(apiVersion="autoscaling/v2beta2"), "no such kind"),
    ("KafkaTopic", "chorus-registry-events",
     lambda o: o["spec"].update(partition=12), "partition"),
    ("KafkaTopic", "chorus-registry-events",
     lambda o: o["spec"].update(partitions="twelve"), "twelve"),
    ("KafkaTopic", "chorus-registry-events",
     lambda o: o.update(apiVersion="kafka.strimzi.io/v1beta2"), "v1beta2"),
    ("Kafka", "chorus",
     lambda o: o["spec"]["kafka"]["listeners"][0].update(type="internl"), "internl"),
    ("KafkaUser", "chorus-registry",
     lambda o: o["spec"]["authorization"]["acls"][0].update(operation="Write"), "operation"),
    ("KafkaNodePool", "broker",
     lambda o: o["spec"].pop("storage"), "storage"),
    ("Cluster", "chorus-registry-db",
     lambda o: o["spec"].update(instance=3), "instance"),
    ("Cluster", "chorus-registry-db",
     lambda o: o["metadata"].update(label={"a": "b"}), "label"),
    ("ScheduledBackup", "chorus-registry-db-nightly",
     lambda o: o["spec"].update(method="barman"), "barman"),
])
def test_a_broken_object_is_refused(prod: list[Object], custom_resources: CustomResources,
                                    kind: str, name: str, damage: object,
                                    message: str) -> None:
    obj = named(prod, kind, name)
    assert callable(damage)
    damage(obj)

    with pytest.raises(InvalidObject, match=message):
        validate(obj, custom_resources)


def test_int_or_string_fields_take_both(prod: list[Object],
                                        custom_resources: CustomResources) -> None:
    cluster = named(prod, "Cluster", "chorus-registry-db")
    cluster["spec"]["resources"]["requests"]["cpu"] = 2
    validate(cluster, custom_resources)
    budget = of_kind(prod, "PodDisruptionBudget")[0]
    budget["spec"]["maxUnavailable"] = "50%"
    validate(budget, custom_resources)


@pytest.mark.parametrize("obj", [
    {"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}},
    {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}},
    {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
     "metadata": {"name": "w"}},
    {"kind": "ConfigMap", "metadata": {"name": "w"}},
])
def test_an_unknown_kind_fails_rather_than_passing_unchecked(
    obj: Object, custom_resources: CustomResources,
) -> None:
    with pytest.raises(InvalidObject):
        validate(obj, custom_resources)
