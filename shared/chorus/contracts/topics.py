"""Where events travel: topic names and the CloudEvents ``source`` of each service."""

import re
from typing import Final

SERVICES: Final = ("registry", "opportunities", "feedback", "notifications")
"""The services that publish events, one topic each."""

_SERVICE = re.compile(r"[a-z][a-z0-9_]*")


def events_topic(service: str) -> str:
    """The one topic a service publishes all its events to: ``chorus.<service>.events``."""
    return f"chorus.{_checked(service)}.events"


def dlq_topic(consumer: str) -> str:
    """Where a consumer parks events it could not handle: ``chorus.<consumer>.dlq``."""
    return f"chorus.{_checked(consumer)}.dlq"


def source(service: str) -> str:
    """The CloudEvents ``source`` attribute of a service's events: ``/chorus/<service>``."""
    return f"/chorus/{_checked(service)}"


def _checked(service: str) -> str:
    # A dot or a slash would make names ambiguous; a typo would silently create a stray
    # topic, which is why callers should pass a contract's `event_service` or SERVICES.
    if not _SERVICE.fullmatch(service):
        raise ValueError(f"service {service!r} must be a lower-case identifier")
    return service
