"""Kafka in the manifests is what the code uses: the topics, each service's rights and
consumer groups, its certificate, and no more consumers than partitions."""

import pytest

from chorus.service import ServiceRuntime
from tests.deploy.agreement import (
    SERVICES,
    environment,
    expected_acls,
    granted,
    mounted_secret_files,
    parts,
)
from tests.deploy.manifests import Object, named, of_kind


def test_the_kafka_topics_are_exactly_those_the_services_use(
    rendered: dict[str, list[Object]], declared: dict[str, ServiceRuntime],
) -> None:
    in_code = {topic for runtime in declared.values() for topic in runtime.topics()}
    for environment_name in ("overlays/dev", "overlays/prod"):
        in_manifests = {t["spec"]["topicName"]
                        for t in of_kind(rendered[environment_name], "KafkaTopic")}
        assert in_manifests == in_code


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_do_on_kafka_exactly_what_its_code_does(
    rendered: dict[str, list[Object]], declared: dict[str, ServiceRuntime], service: str,
) -> None:
    user = named(rendered["overlays/prod"], "KafkaUser", f"chorus-{service}")

    assert granted(user) == expected_acls(declared[service])


def test_a_right_the_code_does_not_use_would_be_caught(
    declared: dict[str, ServiceRuntime], rendered: dict[str, list[Object]],
) -> None:
    user = named(rendered["overlays/prod"], "KafkaUser", "chorus-registry")
    acls = [*user["spec"]["authorization"]["acls"], {
        "resource": {"type": "topic", "name": "chorus.feedback.events"},
        "operations": ["Read"]}]
    widened = {**user, "spec": {**user["spec"], "authorization": {"type": "simple",
                                                                  "acls": acls}}}

    assert granted(widened) != expected_acls(declared["registry"])


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_connects_with_its_own_kafka_certificate(
    rendered: dict[str, list[Object]], service: str,
) -> None:
    objects = rendered["overlays/prod"]
    deployment = named(objects, "Deployment", f"chorus-{service}")
    env = environment(deployment, objects)
    [kafka] = of_kind(objects, "Kafka")
    cluster = kafka["metadata"]["name"]
    mounted = mounted_secret_files(deployment)

    assert env["CHORUS_KAFKA_SECURITY_PROTOCOL"] == "SSL"
    assert mounted[env["CHORUS_KAFKA_CA_FILE"]] == (f"{cluster}-cluster-ca-cert", "ca.crt")
    assert mounted[env["CHORUS_KAFKA_CERT_FILE"]] == (f"chorus-{service}", "user.crt")
    assert mounted[env["CHORUS_KAFKA_KEY_FILE"]] == (f"chorus-{service}", "user.key")
    host, _, port = env["CHORUS_KAFKA_BOOTSTRAP"].partition(":")
    [listener] = [li for li in kafka["spec"]["kafka"]["listeners"] if li["port"] == int(port)]
    assert host == f"{cluster}-kafka-bootstrap"
    assert listener["tls"] and listener["authentication"]["type"] == "tls"


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "registry"])
def test_autoscaling_stays_within_the_partitions_a_service_reads(
    rendered: dict[str, list[Object]], declared: dict[str, ServiceRuntime], service: str,
) -> None:
    objects = rendered["overlays/prod"]
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"]
                  for t in of_kind(objects, "KafkaTopic")}
    autoscaler = named(objects, "HorizontalPodAutoscaler", f"chorus-{service}")
    consumed = [t for c in parts(declared[service]).consumers for t in c.topics]

    assert consumed
    assert all(autoscaler["spec"]["maxReplicas"] <= partitions[t] for t in consumed)
