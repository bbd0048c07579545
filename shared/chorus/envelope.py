"""The CloudEvents 1.0 envelope every public Chorus event travels in.

On Kafka it is binary content mode (attributes in `ce_*` headers, JSON data as the
value, the aggregate id as the key); over HTTP it is structured mode (one JSON object).
The `cloudevents` package does the wire mapping; this module only fixes Chorus's choices.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from cloudevents.core.bindings import http as ce_http
from cloudevents.core.v1.event import CloudEvent

JSON_CONTENT_TYPE = "application/json"


class MalformedEnvelope(ValueError):
    """A message is not a Chorus CloudEvent: the text says what is missing or wrong."""


@dataclass(frozen=True)
class Envelope:
    """One public event: CloudEvents attributes, Chorus extensions and the JSON data."""

    type: str
    source: str
    subject: str
    data: Mapping[str, Any]
    id: str = field(default_factory=lambda: str(uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    sequence: int | None = None
    traceparent: str | None = None
    tracestate: str | None = None

    @property
    def partitionkey(self) -> str:
        """The Kafka key: the aggregate id, so one aggregate's events stay in order."""
        return self.subject

    def to_cloudevent(self) -> CloudEvent:
        attributes: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "specversion": "1.0",
            "subject": self.subject,
            "time": self.time,
            "datacontenttype": JSON_CONTENT_TYPE,
            "partitionkey": self.partitionkey,
        }
        optional = {
            "sequence": None if self.sequence is None else str(self.sequence),
            "traceparent": self.traceparent,
            "tracestate": self.tracestate,
        }
        attributes.update({k: v for k, v in optional.items() if v is not None})
        return CloudEvent(attributes=attributes, data=dict(self.data))


@dataclass(frozen=True)
class KafkaRecord:
    """What goes on a Kafka topic: key, headers and value, as bytes."""

    key: bytes
    headers: list[tuple[str, bytes]]
    value: bytes


def to_kafka(envelope: Envelope) -> KafkaRecord:
    """Binary content mode: `ce_*` headers, `content-type`, JSON value, key = subject.

    Written directly rather than through the `cloudevents` package because it runs once per
    event on the append path; tests check that the package reads it back exactly.
    """
    attributes = [
        ("ce_specversion", "1.0"), ("ce_id", envelope.id), ("ce_source", envelope.source),
        ("ce_type", envelope.type), ("ce_subject", envelope.subject),
        ("ce_time", _timestamp(envelope.time)), ("content-type", JSON_CONTENT_TYPE),
        ("ce_partitionkey", envelope.partitionkey),
        ("ce_sequence", None if envelope.sequence is None else str(envelope.sequence)),
        ("ce_traceparent", envelope.traceparent), ("ce_tracestate", envelope.tracestate),
    ]
    return KafkaRecord(
        key=envelope.partitionkey.encode(),
        headers=[(name, value.encode()) for name, value in attributes if value is not None],
        value=json.dumps(envelope.data, separators=(",", ":")).encode(),
    )


def from_kafka(
    key: bytes | None, headers: Mapping[str, bytes] | list[tuple[str, bytes]], value: bytes
) -> Envelope:
    """Read a binary-mode record back; raises MalformedEnvelope naming the problem."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    attributes = {name.lower().removeprefix("ce_"): raw.decode("utf-8", "replace")
                  for name, raw in pairs if name.lower().startswith("ce_")}
    if attributes.get("specversion") != "1.0":
        raise MalformedEnvelope("not a CloudEvent in binary mode: no ce_specversion 1.0 header")
    try:
        data = json.loads(value)
        time = datetime.fromisoformat(attributes["time"]) if "time" in attributes else None
    except ValueError as error:
        raise MalformedEnvelope(f"not a CloudEvent in binary mode: {error}") from error
    return _from_cloudevent({**attributes, "time": time}, data)


def _timestamp(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_structured_json(envelope: Envelope) -> bytes:
    """Structured content mode, for HTTP deliveries (webhooks)."""
    return ce_http.to_structured_event(envelope.to_cloudevent()).body


def from_structured_json(body: bytes) -> Envelope:
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise MalformedEnvelope(f"body is not JSON: {error.msg}") from error
    if not isinstance(document, dict):
        raise MalformedEnvelope("body is not a JSON object")
    data = document.pop("data", None)
    return _from_cloudevent(document, data)


def _from_cloudevent(attributes: Mapping[str, Any], data: object) -> Envelope:
    missing = [a for a in ("id", "source", "type", "subject") if not attributes.get(a)]
    if missing:
        raise MalformedEnvelope(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    if not isinstance(data, Mapping):
        raise MalformedEnvelope("data is not a JSON object")
    sequence = attributes.get("sequence")
    time = attributes.get("time") or datetime.now(UTC)
    return Envelope(
        id=str(attributes["id"]),
        source=str(attributes["source"]),
        type=str(attributes["type"]),
        subject=str(attributes["subject"]),
        time=time if isinstance(time, datetime) else datetime.fromisoformat(str(time)),
        data=data,
        sequence=int(sequence) if sequence is not None else None,
        traceparent=attributes.get("traceparent"),
        tracestate=attributes.get("tracestate"),
    )
