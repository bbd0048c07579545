"""Telling an organisation that one of its webhook endpoints was disabled: the e-mail it is
owed, how far it got, and when to try again if the registry or the mail server is away.

It is told at most once: an e-mail is claimed before it goes, and one whose claim ran out
before it was recorded counts as not told, since it may or may not have gone.
"""

from datetime import datetime, timedelta
from enum import StrEnum

RETRY_AFTER = (60.0, 300.0, 1800.0, 7200.0, 21600.0)
"""Seconds to wait after each try that could not be made (registry or mail server away)."""


class LetterStatus(StrEnum):
    WAITING = "waiting"  # to be sent when due
    SENDING = "sending"  # claimed: being sent now
    TOLD = "told"
    NOT_TOLD = "not_told"  # no address, refused, or it may not have gone: never tried again


def next_try_at(tries: int, now: datetime) -> datetime | None:
    """After `tries` tries that could not be made: when the next goes, or None (give up)."""
    if tries > len(RETRY_AFTER):
        return None
    return now + timedelta(seconds=RETRY_AFTER[max(tries, 1) - 1])


def in_words(length: timedelta) -> str:
    """'five days', 'one hour', '90 seconds': how long an endpoint may keep failing."""
    seconds = int(length.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return _count(seconds // size, unit)
    return _count(seconds, "second")


NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(number: int, unit: str) -> str:
    said = NUMBERS[number] if number < len(NUMBERS) else str(number)
    return f"{said} {unit}" if number == 1 else f"{said} {unit}s"
