"""What the partner webhooks hand their routes."""

from dataclasses import dataclass

from notifications.webhooks.application.deliveries import Deliveries
from notifications.webhooks.application.subscriptions import Subscriptions
from notifications.webhooks.application.telling import Telling


@dataclass(frozen=True)
class WebhooksState:
    subscriptions: Subscriptions
    deliveries: Deliveries
    telling: Telling  # e-mails organisations whose endpoint was disabled
