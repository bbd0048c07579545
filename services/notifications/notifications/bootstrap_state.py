"""What the notifications service's composition root hands its routes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from notifications.settings import NotificationSettings


@dataclass(frozen=True)
class NotificationsState:
    webhooks: object  # the webhook half's state (see notifications.webhooks)
    people: object  # the people half's state (see notifications.people)
    settings: NotificationSettings
    clock: Callable[[], datetime]
