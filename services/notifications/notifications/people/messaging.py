"""The people half's stored events -> public contracts.

Left behind: what the person was told (the kind of notice, its words) and anything about
how they were reached; the person appears only by id.
"""

from collections.abc import Callable
from typing import Any

from chorus.contracts import Contract
from chorus.contracts import notifications as contracts
from chorus.contracts.vocabulary import DeliveryChannel
from chorus.publishing import Data, picked

DELIVERY = ("delivery_id", "network_id", "participant_id", "event_id", "delivered_type",
            "attempt", "latency_ms")
BY_EMAIL = {"channel": DeliveryChannel.EMAIL, "subscription_id": None, "status_code": None}


def _succeeded(data: Data) -> dict[str, Any]:
    return picked(data, *DELIVERY, "delivered_at") | BY_EMAIL


def _failed(data: Data) -> dict[str, Any]:
    return picked(data, *DELIVERY, "reason", "next_attempt_at", "failed_at") | BY_EMAIL


def _digest(data: Data) -> dict[str, Any]:
    return picked(data, "digest_id", "participant_id", "network_id", "frequency", "notices",
                  "sent_at") | {"channel": DeliveryChannel.EMAIL}


MAPPINGS: dict[str, tuple[type[Contract], Callable[[Data], dict[str, Any]]]] = {
    "ParticipantEmailed": (contracts.DeliverySucceeded, _succeeded),
    "ParticipantEmailFailed": (contracts.DeliveryFailed, _failed),
    "ParticipantDigestEmailed": (contracts.DigestSent, _digest),
}
"""Stored event name -> (public contract, the facts it publishes)."""
