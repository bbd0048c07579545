"""The bus: a port with two adapters, Kafka (production) and embedded (one machine)."""

from chorus.transport.base import (
    BatchHandler,
    Bus,
    IncomingMessage,
    OutgoingMessage,
    Subscription,
)

__all__ = ["BatchHandler", "Bus", "IncomingMessage", "OutgoingMessage", "Subscription"]
