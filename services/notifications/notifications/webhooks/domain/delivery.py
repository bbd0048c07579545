"""Delivering one event to one subscription: what an attempt came to, when the next one
goes, when to give up, and which deliveries may go now.

Deliveries of one subscription about one aggregate go in order: a delivery waits while an
earlier one about the same aggregate is still pending (being tried, or waiting for its
next try). Different aggregates, and different subscriptions, never wait for each other.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from chorus.domain import DomainEvent
from chorus.errors import DomainRuleBroken

JITTER = 0.1  # each wait is stretched or shrunk by up to a tenth, so retries do not herd
MAX_ATTEMPTS = 100  # including replays
MAX_REASON = 200

Random = Callable[[], float]
"""A source of numbers in [0, 1)."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt, or being sent
    DELIVERED = "delivered"
    FAILED = "failed"  # the schedule ran out, or the endpoint was disabled meanwhile
    STOPPED = "stopped"  # not sent: its subscription was disabled (until enabled) or deleted


@dataclass(frozen=True, kw_only=True)
class WebhookAttempt(DomainEvent):
    delivery_id: UUID
    subscription_id: UUID
    network_id: UUID
    event_id: str
    delivered_type: str
    attempt: int
    status_code: int | None
    latency_ms: int


@dataclass(frozen=True, kw_only=True)
class WebhookDelivered(WebhookAttempt):
    delivered_at: datetime


@dataclass(frozen=True, kw_only=True)
class WebhookAttemptFailed(WebhookAttempt):
    reason: str
    next_attempt_at: datetime | None  # None: given up
    failed_at: datetime


DELIVERY_EVENTS: tuple[type[DomainEvent], ...] = (WebhookDelivered, WebhookAttemptFailed)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the endpoint's status, or why there was none."""

    status_code: int | None
    latency_ms: int
    error: str | None = None  # no usable answer: timed out, refused, not allowed, ...

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and (
            200 <= self.status_code < 300)

    @property
    def gone(self) -> bool:
        """The endpoint said it is gone for good (HTTP 410): stop sending to it."""
        return self.error is None and self.status_code == 410

    @property
    def reason(self) -> str:
        if self.error is not None:
            text = self.error
        elif self.status_code is not None and 300 <= self.status_code < 400:
            text = f"HTTP {self.status_code} (redirects are not followed)"
        else:
            text = f"HTTP {self.status_code}"
        return (text.strip() or "failed")[:MAX_REASON]


@dataclass(frozen=True)
class RetrySchedule:
    """Seconds to wait before each attempt (the first is usually 0: at once)."""

    delays: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.delays or any(d < 0 for d in self.delays):
            raise ValueError("a retry schedule is one or more waits of 0 seconds or more")

    def first_attempt_at(self, now: datetime, random: Random) -> datetime:
        return now + timedelta(seconds=jittered(self.delays[0], random))

    def next_attempt_at(self, tries: int, now: datetime, random: Random) -> datetime | None:
        """After `tries` attempts have failed: when the next one goes, or None once the
        schedule is spent."""
        if tries >= len(self.delays):
            return None
        return now + timedelta(seconds=jittered(self.delays[tries], random))


def jittered(seconds: float, random: Random) -> float:
    """`seconds`, give or take up to a tenth; never negative."""
    return max(0.0, seconds * (1 + JITTER * (2 * random() - 1)))


def failing_too_long(failing_since: datetime | None, now: datetime,
                     limit: timedelta) -> bool:
    """Whether an endpoint has failed, with no success since, for `limit` or longer."""
    return failing_since is not None and now - failing_since >= limit


def check_replayable(attempts: int) -> None:
    if attempts >= MAX_ATTEMPTS:
        raise DomainRuleBroken(f"a delivery is attempted at most {MAX_ATTEMPTS} times")


@dataclass(frozen=True)
class Queued:
    """A pending delivery as the ordering rule sees it."""

    position: int  # the order in which the service heard the events
    subscription_id: UUID
    subject: str  # the aggregate the event is about
    due_at: datetime
    in_flight: bool = False


def next_in_line(pending: Iterable[Queued], now: datetime) -> list[Queued]:
    """The pending deliveries that may go now: per subscription and aggregate, only the
    earliest pending one, once it is due and not already being sent.

    The dispatcher's claim asks the database the same question in one query."""
    first: dict[tuple[UUID, str], Queued] = {}
    for queued in sorted(pending, key=lambda q: q.position):
        first.setdefault((queued.subscription_id, queued.subject), queued)
    return [q for q in first.values() if q.due_at <= now and not q.in_flight]
