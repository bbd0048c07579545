"""Expenses: what it cost someone to take part, claimed after a session or advanced before it.

Mileage is paid at the approved rates: 45p a mile for the first 10,000 miles in a tax year
(6 April to 5 April) and 25p after, counted across every organisation in the network the
person claimed from, so two organisations never both pay the higher rate for the same miles.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from chorus.contracts.vocabulary import ExpenseKind
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import Conflict, DomainRuleBroken

HIGHER_RATE_MILES = 10_000
HIGHER_RATE_PENCE = 45
LOWER_RATE_PENCE = 25
MAX_CLAIM_PENCE = 100_000  # £1,000 in one claim is beyond any session's costs
MAX_CLAIM_MILES = 1_000


class ExpenseStatus(StrEnum):
    CLAIMED = "claimed"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"
    ADVANCED = "advanced"  # paid before the session, for someone who cannot wait


def tax_year(day: date) -> int:
    """The UK tax year a day falls in, named by the year it starts (6 April)."""
    return day.year if (day.month, day.day) >= (4, 6) else day.year - 1


@dataclass(frozen=True)
class Mileage:
    miles: int
    higher_rate_miles: int
    amount_pence: int


def mileage(miles: int, already_this_tax_year: int) -> Mileage:
    """The amount for `miles`, given the miles already claimed in the network this tax year."""
    if not 0 < miles <= MAX_CLAIM_MILES:
        raise DomainRuleBroken(f"miles must be between 1 and {MAX_CLAIM_MILES}")
    higher = max(0, min(miles, HIGHER_RATE_MILES - already_this_tax_year))
    return Mileage(miles, higher, higher * HIGHER_RATE_PENCE + (miles - higher) * LOWER_RATE_PENCE)


@dataclass(frozen=True, kw_only=True)
class ExpenseEvent(DomainEvent):
    """Every event of an expense names it, whose it is, who pays it and the network."""

    expense_id: UUID
    participant_id: UUID
    organisation_id: UUID
    network_id: UUID


@dataclass(frozen=True, kw_only=True)
class ExpenseClaimed(ExpenseEvent):
    opportunity_id: UUID
    session_id: UUID
    kind: ExpenseKind
    amount_pence: int
    miles: int | None
    higher_rate_miles: int | None
    tax_year: int | None
    receipt_reference: str | None
    incurred_on: date
    claimed_by: str
    claimed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExpenseAdvanced(ExpenseEvent):
    opportunity_id: UUID
    session_id: UUID
    kind: ExpenseKind
    amount_pence: int
    advanced_by: str
    advanced_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExpenseApproved(ExpenseEvent):
    approved_by: str
    approved_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExpenseRejected(ExpenseEvent):
    reason: str
    rejected_by: str
    rejected_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExpensePaid(ExpenseEvent):
    amount_pence: int
    days_to_payment: int
    paid_by: str
    paid_at: datetime


def _check_amount(kind: ExpenseKind, amount_pence: int, receipt: str | None) -> None:
    if not 0 < amount_pence <= MAX_CLAIM_PENCE:
        raise DomainRuleBroken(f"an amount must be more than 0 and at most "
                               f"£{MAX_CLAIM_PENCE // 100:,}")
    if kind == ExpenseKind.OTHER and not receipt:
        raise DomainRuleBroken("an 'other' expense needs a receipt_reference")


class Expense(Aggregate):
    stream_type = "expense"

    claimed: ExpenseClaimed | None
    advanced: ExpenseAdvanced | None
    status: ExpenseStatus
    claimed_at: datetime

    @classmethod
    def claim(cls, expense_id: UUID, *, participant_id: UUID, organisation_id: UUID,
              network_id: UUID, opportunity_id: UUID, session_id: UUID, kind: ExpenseKind,
              amount_pence: int | None, miles: Mileage | None, receipt_reference: str | None,
              incurred_on: date, by: str, now: datetime) -> "Expense":
        if (kind == ExpenseKind.MILEAGE) != (miles is not None):
            raise DomainRuleBroken("miles are claimed exactly for a 'mileage' expense")
        if miles is None and amount_pence is None:
            raise DomainRuleBroken("an expense other than mileage needs its amount_pence")
        if miles is not None and amount_pence is not None:
            raise DomainRuleBroken("mileage is worked out from the miles; give no amount_pence")
        amount = miles.amount_pence if miles is not None else amount_pence
        assert amount is not None
        _check_amount(kind, amount, receipt_reference)
        if incurred_on > now.date():
            raise DomainRuleBroken("an expense cannot be claimed before it was incurred")
        expense = cls(str(expense_id))
        expense.record(ExpenseClaimed(
            expense_id=expense_id, participant_id=participant_id,
            organisation_id=organisation_id, network_id=network_id,
            opportunity_id=opportunity_id, session_id=session_id, kind=kind,
            amount_pence=amount, miles=miles.miles if miles else None,
            higher_rate_miles=miles.higher_rate_miles if miles else None,
            tax_year=tax_year(incurred_on) if miles else None,
            receipt_reference=receipt_reference, incurred_on=incurred_on, claimed_by=by,
            claimed_at=now))
        return expense

    @classmethod
    def advance(cls, expense_id: UUID, *, participant_id: UUID, organisation_id: UUID,
                network_id: UUID, opportunity_id: UUID, session_id: UUID, kind: ExpenseKind,
                amount_pence: int, by: str, now: datetime) -> "Expense":
        """Paid before the session, so nobody is kept away by what taking part costs."""
        if kind == ExpenseKind.MILEAGE:
            raise DomainRuleBroken("mileage is claimed after the journey; advance fares, "
                                   "parking, cover or meals instead")
        _check_amount(kind, amount_pence, "advance")
        expense = cls(str(expense_id))
        expense.record(ExpenseAdvanced(
            expense_id=expense_id, participant_id=participant_id,
            organisation_id=organisation_id, network_id=network_id,
            opportunity_id=opportunity_id, session_id=session_id, kind=kind,
            amount_pence=amount_pence, advanced_by=by, advanced_at=now))
        return expense

    @property
    def made(self) -> ExpenseClaimed | ExpenseAdvanced:
        made = self.claimed or self.advanced
        assert made is not None
        return made

    @property
    def organisation_id(self) -> UUID:
        return self.made.organisation_id

    @property
    def amount_pence(self) -> int:
        return self.made.amount_pence

    @property
    def _ids(self) -> dict[str, UUID]:
        made = self.made
        return {"expense_id": made.expense_id, "participant_id": made.participant_id,
                "organisation_id": made.organisation_id, "network_id": made.network_id}

    def approve(self, by: str, now: datetime) -> None:
        self._must_be(ExpenseStatus.CLAIMED, "approved")
        self.record(ExpenseApproved(**self._ids, approved_by=by, approved_at=now))

    def reject(self, reason: str, by: str, now: datetime) -> None:
        self._must_be(ExpenseStatus.CLAIMED, "rejected")
        self.record(ExpenseRejected(**self._ids, reason=reason, rejected_by=by,
                                    rejected_at=now))

    def pay(self, by: str, now: datetime) -> None:
        self._must_be(ExpenseStatus.APPROVED, "paid")
        days = (now.date() - self.claimed_at.date()).days
        self.record(ExpensePaid(**self._ids, amount_pence=self.amount_pence,
                                days_to_payment=days, paid_by=by,
                                paid_at=now))

    def _must_be(self, status: ExpenseStatus, doing: str) -> None:
        if self.status != status:
            raise Conflict(f"this expense is {self.status}; only a {status} expense can be "
                           f"{doing}")

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ExpenseClaimed():
                self.claimed, self.advanced = event, None
                self.status, self.claimed_at = ExpenseStatus.CLAIMED, event.claimed_at
            case ExpenseAdvanced():
                self.claimed, self.advanced = None, event
                self.status, self.claimed_at = ExpenseStatus.ADVANCED, event.advanced_at
            case ExpenseApproved():
                self.status = ExpenseStatus.APPROVED
            case ExpenseRejected():
                self.status = ExpenseStatus.REJECTED
            case ExpensePaid():
                self.status = ExpenseStatus.PAID


EXPENSE_EVENTS: tuple[type[DomainEvent], ...] = (
    ExpenseClaimed, ExpenseAdvanced, ExpenseApproved, ExpenseRejected, ExpensePaid,
)
