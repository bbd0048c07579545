"""What the partner webhooks hand their routes."""

from dataclasses import dataclass

from notifications.webhooks.application.deliveries import Deliveries
from notifications.webhooks.application.subscriptions import Subscriptions


@dataclass(frozen=True)
class WebhooksState:
    subscriptions: Subscriptions
    deliveries: Deliveries
