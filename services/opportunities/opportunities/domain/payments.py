"""Involvement payments: an organisation's rate card, and a payment that honours the person.

People choose what happens to a payment: take it, reduce it to an amount (often to protect
their benefits), decline it, or donate it. Volunteers are only ever reimbursed expenses.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chorus.contracts.vocabulary import PaymentPreference
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import DomainRuleBroken
from opportunities.domain.details import PaymentBasis

HALF_DAY_UNDER_MINUTES = 4 * 60
MAX_RATE_PENCE = 200_000


@dataclass(frozen=True, kw_only=True)
class Rates:
    hourly_pence: int
    half_day_pence: int
    full_day_pence: int

    def __post_init__(self) -> None:
        for name in ("hourly_pence", "half_day_pence", "full_day_pence"):
            if not 0 < getattr(self, name) <= MAX_RATE_PENCE:
                raise DomainRuleBroken(f"{name} must be more than 0 and at most "
                                       f"£{MAX_RATE_PENCE // 100:,}")
        if self.half_day_pence > self.full_day_pence:
            raise DomainRuleBroken("a half day cannot pay more than a full day")


DEFAULT_RATES = Rates(hourly_pence=2_500, half_day_pence=7_500, full_day_pence=15_000)
"""£25 an hour, £75 a half day and £150 a full day: a common NHS rate for lay partners."""


@dataclass(frozen=True, kw_only=True)
class RateCardSet(DomainEvent):
    organisation_id: UUID
    rates: Rates
    set_by: str
    set_at: datetime


class RateCard(Aggregate):
    """One organisation's rates for paid involvement."""

    stream_type = "rate_card"
    rates: Rates

    @staticmethod
    def stream_for(organisation_id: UUID) -> str:
        return f"rate-card-{organisation_id}"

    @classmethod
    def start(cls, organisation_id: UUID) -> "RateCard":
        card = cls(cls.stream_for(organisation_id))
        card.rates = DEFAULT_RATES
        return card

    def set(self, organisation_id: UUID, rates: Rates, by: str, now: datetime) -> None:
        self.record(RateCardSet(organisation_id=organisation_id, rates=rates, set_by=by,
                                set_at=now))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, RateCardSet):
            self.rates = event.rates


@dataclass(frozen=True)
class Due:
    rate: str
    amount_pence: int


def amount_due(rates: Rates, basis: PaymentBasis, minutes: int) -> Due:
    """What a session's attendance earns under the rate card."""
    if basis == PaymentBasis.HOURLY:
        return Due("hourly", rates.hourly_pence * minutes // 60)
    if minutes < HALF_DAY_UNDER_MINUTES:
        return Due("half_day", rates.half_day_pence)
    return Due("full_day", rates.full_day_pence)


@dataclass(frozen=True)
class Honoured:
    outcome: str
    amount_paid_pence: int


def honour(preference: PaymentPreference, due_pence: int,
           reduced_to_pence: int | None) -> Honoured:
    """What is paid to the person, as they asked. `reduced_to_pence` is the amount the person
    asked for when they reduce; staff give it from the person's own instruction."""
    if preference == PaymentPreference.EXPENSES_ONLY:
        raise DomainRuleBroken("this participant volunteers: they are reimbursed expenses only, "
                               "never paid for involvement")
    if preference == PaymentPreference.REDUCE:
        if reduced_to_pence is None:
            raise DomainRuleBroken("this participant reduces their payments: give "
                                   "reduced_to_pence, the amount they asked for")
        if not 0 <= reduced_to_pence <= due_pence:
            raise DomainRuleBroken("reduced_to_pence must be between 0 and the amount due")
        return Honoured("reduced", reduced_to_pence)
    if reduced_to_pence is not None:
        raise DomainRuleBroken(f"reduced_to_pence is only for people who reduce payments; this "
                               f"participant's preference is '{preference}'")
    if preference == PaymentPreference.DECLINE:
        return Honoured("declined", 0)
    if preference == PaymentPreference.DONATE:
        return Honoured("donated", 0)
    return Honoured("paid", due_pence)


PAYMENT_EVENTS: tuple[type[DomainEvent], ...] = (RateCardSet,)
