"""The mapping from the partner webhooks' stored events to public contracts.

Left behind: a subscription's endpoint, the event types it asked for and its secrets
(sealed, but still nobody else's business), who created, rotated or deleted it, and the
detail of why an endpoint was disabled beyond the reason's name.
"""

from collections.abc import Callable
from typing import Any

from chorus.contracts import Contract
from chorus.contracts import notifications as contracts
from chorus.contracts.vocabulary import DeliveryChannel
from chorus.publishing import Data, picked

ATTEMPT = ("delivery_id", "network_id", "subscription_id", "event_id", "delivered_type",
           "attempt", "status_code", "latency_ms")


def _attempt(*names: str) -> Callable[[Data], dict[str, Any]]:
    def facts(data: Data) -> dict[str, Any]:
        return picked(data, *ATTEMPT, *names) | {
            "channel": DeliveryChannel.WEBHOOK, "participant_id": None}

    return facts


def _disabled(data: Data) -> dict[str, Any]:
    return picked(data, "subscription_id", "organisation_id", "network_id", "because",
                  "disabled_at")


MAPPINGS: dict[str, tuple[type[Contract], Callable[[Data], dict[str, Any]]]] = {
    "WebhookDelivered": (contracts.DeliverySucceeded, _attempt("delivered_at")),
    "WebhookAttemptFailed": (contracts.DeliveryFailed,
                             _attempt("reason", "next_attempt_at", "failed_at")),
    "EndpointDisabled": (contracts.EndpointDisabled, _disabled),
}
"""Stored event name -> (public contract, the facts it publishes). SubscriptionCreated,
SubscriptionSecretRotated, EndpointEnabled and SubscriptionDeleted publish nothing."""
