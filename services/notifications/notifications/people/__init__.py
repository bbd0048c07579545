"""People: preferences, notices, e-mail, digests and their inbox."""

from collections.abc import Callable
from datetime import datetime

from chorus.envelope import Envelope
from chorus.service import Kernel
from chorus.store.database import Transaction
from notifications.part import Part
from notifications.settings import NotificationSettings


def compose(kernel: Kernel, settings: NotificationSettings,
            clock: Callable[[], datetime]) -> Part:
    async def heard(tx: Transaction, envelope: Envelope) -> None:
        return None

    return Part(state=None, heard=heard)
