"""The CloudEvents envelope: binary mode on Kafka, structured mode over HTTP."""

import json
from datetime import UTC, datetime

import pytest

from chorus.envelope import (
    Envelope,
    MalformedEnvelope,
    from_kafka,
    from_structured_json,
    to_kafka,
    to_structured_json,
)

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def network_created() -> Envelope:
    return Envelope(type="chorus.registry.NetworkCreated.v1", source="/chorus/registry",
                    subject="net-1", data={"name": "North"}, sequence=1,
                    time=datetime(2026, 11, 22, 9, 30, tzinfo=UTC), traceparent=TRACEPARENT)


def test_binary_mode_puts_attributes_in_ce_headers_and_the_aggregate_in_the_key() -> None:
    record = to_kafka(network_created())
    headers = dict(record.headers)
    assert record.key == b"net-1"
    assert json.loads(record.value) == {"name": "North"}
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"chorus.registry.NetworkCreated.v1"
    assert headers["ce_source"] == b"/chorus/registry"
    assert headers["ce_subject"] == b"net-1"
    assert headers["ce_time"] == b"2026-11-22T09:30:00Z"
    assert headers["ce_sequence"] == b"1"
    assert headers["ce_partitionkey"] == b"net-1"
    assert headers["ce_traceparent"] == TRACEPARENT.encode()
    assert headers["content-type"] == b"application/json"


def test_binary_and_structured_modes_round_trip() -> None:
    original = network_created()
    record = to_kafka(original)
    assert from_kafka(record.key, record.headers, record.value) == original
    assert from_structured_json(to_structured_json(original)) == original


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"id": "1", "data": {}}'])
def test_a_structured_body_that_is_not_a_chorus_event_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedEnvelope):
        from_structured_json(body)


def test_a_record_without_ce_headers_is_refused() -> None:
    with pytest.raises(MalformedEnvelope, match="not a CloudEvent"):
        from_kafka(b"k", [], b"{}")


def test_the_cloudevents_package_reads_our_records_exactly() -> None:
    from cloudevents.core.bindings import kafka as ce_kafka

    original = network_created()
    record = to_kafka(original)
    event = ce_kafka.from_binary_event(ce_kafka.KafkaMessage(
        headers=dict(record.headers), key=record.key, value=record.value))
    assert event.get_id() == original.id
    assert event.get_type() == original.type
    assert event.get_source() == original.source
    assert event.get_subject() == original.subject
    assert event.get_time() == original.time
    assert event.get_data() == {"name": "North"}
    assert event.get_extension("sequence") == "1"
    assert event.get_extension("traceparent") == TRACEPARENT


def test_we_read_the_cloudevents_packages_records_exactly() -> None:
    from cloudevents.core.bindings import kafka as ce_kafka

    original = network_created()
    message = ce_kafka.to_binary_event(original.to_cloudevent())
    assert from_kafka(message.key, dict(message.headers), message.value) == original
