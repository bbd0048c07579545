"""The published language of Chorus: versioned public event schemas and topic names.

Each publishing service has one module here declaring its `Contract` classes;
importing this package registers them all. Contracts never carry personal data.
"""

# Every module of contracts is imported here so that importing the package
# registers the whole published language. Add each new service's module.
from chorus.contracts import feedback as feedback
from chorus.contracts import notifications as notifications
from chorus.contracts import opportunities as opportunities
from chorus.contracts import registry as registry
from chorus.contracts.base import Contract
from chorus.contracts.catalogue import (
    CatalogueError,
    UnknownEventType,
    Upcaster,
    all_contracts,
    contract_for,
    missing_upcasters,
    parse_event,
    register_upcaster,
    upcast,
)
from chorus.contracts.compatibility import check_compatibility
from chorus.contracts.topics import SERVICES, dlq_topic, events_topic, source

__all__ = [
    "SERVICES",
    "CatalogueError",
    "Contract",
    "UnknownEventType",
    "Upcaster",
    "all_contracts",
    "check_compatibility",
    "contract_for",
    "dlq_topic",
    "events_topic",
    "missing_upcasters",
    "parse_event",
    "register_upcaster",
    "source",
    "upcast",
]
