"""What the notifications service's composition root hands its routes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from notifications.people.state import People
from notifications.settings import NotificationSettings
from notifications.webhooks.state import WebhooksState


@dataclass(frozen=True)
class NotificationsState:
    webhooks: WebhooksState
    people: People
    settings: NotificationSettings
    clock: Callable[[], datetime]
