"""How a participant wants to hear from us, and the clock rules that follow from it.

Quiet hours and digest times are local times (the service's time zone, Europe/London by
default), so they follow the clock change: a digest at 08:00 goes at 08:00 in winter and in
summer. Every instant handed in or out is an aware datetime.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from chorus.contracts.vocabulary import Frequency
from chorus.errors import DomainRuleBroken


class Channel(StrEnum):
    """How a participant wants to be told. Only e-mail is offered so far; the others have
    room here for when they come."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


OFFERED = frozenset({Channel.EMAIL})


@dataclass(frozen=True)
class QuietHours:
    """A stretch of each day, in local time, when nothing is sent. It may run past midnight
    (22:00 to 07:00)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise DomainRuleBroken("quiet_hours: give local times, without a time zone")
        if self.start == self.end:
            raise DomainRuleBroken("quiet_hours: the start and the end must differ")

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def cover(self, local: time) -> bool:
        """Whether this local time of day falls in the quiet hours."""
        if self.crosses_midnight:
            return local >= self.start or local < self.end
        return self.start <= local < self.end


@dataclass(frozen=True)
class Preferences:
    """A participant's choices; the defaults are e-mail, at once, no quiet hours."""

    channel: Channel = Channel.EMAIL
    frequency: Frequency = Frequency.IMMEDIATE
    quiet_hours: QuietHours | None = None

    def __post_init__(self) -> None:
        if self.channel not in OFFERED:
            raise DomainRuleBroken(f"channel: {self.channel} is not offered yet; "
                                   "only email is")

    @property
    def gathers_into_digest(self) -> bool:
        return self.frequency != Frequency.IMMEDIATE


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """That local time on that day as an instant (in UTC, so that comparisons never mistake
    wall-clock order for real order). A time the clock change skips (01:30 on the spring
    morning) falls an hour later; one it repeats takes its first occurrence."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def quiet_until(moment: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around `moment` end, or None if `moment` is not in them."""
    if quiet is None:
        return None
    local = moment.astimezone(zone)
    if not quiet.cover(local.time()):
        return None
    day = local.date()
    if quiet.crosses_midnight and local.time() >= quiet.start:
        day += timedelta(days=1)
    return local_moment(day, quiet.end, zone)


def latest_digest_time(moment: datetime, frequency: Frequency, hour: int,
                       zone: ZoneInfo) -> datetime:
    """The last time a digest of this frequency was due at or before `moment`: each day at
    `hour` (daily), or each Monday at `hour` (weekly)."""
    if frequency == Frequency.IMMEDIATE:
        raise ValueError("immediate notices have no digest")
    step = timedelta(days=7 if frequency == Frequency.WEEKLY else 1)
    day = moment.astimezone(zone).date()
    if frequency == Frequency.WEEKLY:
        day -= timedelta(days=day.weekday())
    due = local_moment(day, time(hour), zone)
    return due if due <= moment else local_moment(day - step, time(hour), zone)


def next_digest_time(moment: datetime, frequency: Frequency, hour: int,
                     zone: ZoneInfo) -> datetime:
    """The first time a digest of this frequency is due after `moment`."""
    step = timedelta(days=7 if frequency == Frequency.WEEKLY else 1)
    latest = latest_digest_time(moment, frequency, hour, zone).astimezone(zone)
    return local_moment(latest.date() + step, time(hour), zone)
