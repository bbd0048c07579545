"""Tracing, metrics and structured logs, shared by every service.

A trace follows a command from the HTTP request through the append (its context is stored
with the event), the relay and Kafka (`traceparent` header) into every consumer.
"""

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter

tracer = trace.get_tracer("chorus")

EVENTS_APPENDED = Counter(
    "chorus_events_appended", "Events appended to the store", ["service"]
)
OUTBOX_LAG = Gauge("chorus_outbox_lag", "Outbox messages not yet published", ["service"])
EVENTS_PUBLISHED = Counter(
    "chorus_events_published", "Outbox messages acknowledged by the bus", ["service"]
)
EVENTS_CONSUMED = Counter(
    "chorus_events_consumed", "Events applied by a consumer", ["consumer"]
)
CONSUMER_LAG = Gauge("chorus_consumer_lag", "Messages not yet consumed", ["consumer"])
DLQ_EVENTS = Counter(
    "chorus_dlq_events", "Events sent to a dead-letter queue", ["consumer"]
)
REQUEST_LATENCY = Histogram(
    "chorus_request_seconds", "HTTP request latency", ["service", "method", "route", "status"]
)


def setup_tracing(service: str, *processors: SpanProcessor) -> TracerProvider:
    """Install a tracer provider; export over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"chorus-{service}"}))
    for processor in processors:
        provider.add_span_processor(processor)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, to store with an event."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


def context_from(headers: Mapping[str, str | None]) -> otel_context.Context:
    """The trace context carried in `traceparent`/`tracestate` headers or metadata."""
    return extract({k: v for k, v in headers.items() if v is not None})


class _TraceIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        return True


def setup_logging(level: str = "INFO", *, service: str = "chorus") -> None:
    """Structured JSON logs on stderr, each line carrying the trace and span ids."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_TraceIds())
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}", style="{",
        rename_fields={"levelname": "level", "asctime": "time"},
        static_fields={"service": service},
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def span_attributes(**attributes: Any) -> dict[str, Any]:
    return {f"chorus.{k}": v for k, v in attributes.items() if v is not None}
