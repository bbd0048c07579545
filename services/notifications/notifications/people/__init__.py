"""People: preferences, notices, e-mail, digests and their inbox.

Each (participant, event, channel) is told at most once. A notice is claimed (`sending`) in a
committed transaction before its e-mail goes; if the process dies after sending but before
recording, the notice is found still `sending` when the service starts again, marked
`uncertain`, and NOT sent again: telling someone twice is worse than, rarely, not at all.
See `notifications.people.application.sending`.
"""

from collections.abc import Callable
from datetime import datetime

from chorus.service import Kernel
from notifications.part import Part
from notifications.people.state import People
from notifications.settings import NotificationSettings


def compose(kernel: Kernel, settings: NotificationSettings,
            clock: Callable[[], datetime]) -> Part[People]:
    people = People(kernel, settings, clock)
    return Part(state=people, heard=people.heard, workers=[people.work])


__all__ = ["People", "compose"]
