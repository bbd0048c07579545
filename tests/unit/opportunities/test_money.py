"""Expenses and involvement payments: the rules, with no database."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from chorus.contracts.vocabulary import ExpenseKind, PaymentPreference
from chorus.errors import Conflict, DomainRuleBroken
from opportunities.domain.details import PaymentBasis
from opportunities.domain.expenses import Expense, ExpenseStatus, mileage, tax_year
from opportunities.domain.payments import DEFAULT_RATES, Rates, amount_due, honour

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(("day", "year"), [
    (date(2026, 4, 5), 2025), (date(2026, 4, 6), 2026), (date(2027, 1, 1), 2026),
    (date(2026, 12, 31), 2026)])
def test_the_tax_year_starts_on_6_april(day: date, year: int) -> None:
    assert tax_year(day) == year


@pytest.mark.parametrize(("miles", "already", "higher", "pence"), [
    (10, 0, 10, 450),
    (20, 9_990, 10, 10 * 45 + 10 * 25),
    (20, 10_000, 0, 500),
    (20, 12_000, 0, 500),
    (1_000, 9_000, 1_000, 45_000),
])
def test_mileage_is_45p_for_the_first_10000_miles_then_25p(miles: int, already: int,
                                                           higher: int, pence: int) -> None:
    priced = mileage(miles, already)
    assert (priced.higher_rate_miles, priced.amount_pence) == (higher, pence)


@pytest.mark.parametrize("miles", [0, -5, 1_001])
def test_absurd_miles_are_refused(miles: int) -> None:
    with pytest.raises(DomainRuleBroken, match="miles"):
        mileage(miles, 0)


def _claim(**changes: object) -> Expense:
    values: dict[str, object] = dict(
        participant_id=uuid4(), organisation_id=uuid4(), network_id=uuid4(),
        opportunity_id=uuid4(), session_id=uuid4(), kind=ExpenseKind.PARKING,
        amount_pence=450, miles=None, receipt_reference=None, incurred_on=date(2026, 11, 18),
        by="staff", now=NOW)
    return Expense.claim(uuid4(), **(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "problem"), [
    ({"amount_pence": 0}, "more than 0"),
    ({"amount_pence": -100}, "more than 0"),
    ({"amount_pence": 100_001}, "at most"),
    ({"kind": ExpenseKind.OTHER}, "receipt_reference"),
    ({"kind": ExpenseKind.MILEAGE}, "miles"),
    ({"amount_pence": None}, "amount_pence"),
    ({"incurred_on": date(2026, 11, 21)}, "before it was incurred"),
])
def test_bad_claims_are_refused_naming_the_problem(changes: dict[str, object],
                                                   problem: str) -> None:
    with pytest.raises(DomainRuleBroken, match=problem):
        _claim(**changes)


def test_a_claim_is_approved_then_paid_and_the_days_to_payment_are_kept() -> None:
    expense = _claim()
    with pytest.raises(Conflict):
        expense.pay("staff", NOW)
    expense.approve("staff", NOW)
    expense.pay("staff", datetime(2026, 11, 27, 9, tzinfo=UTC))
    assert expense.status == ExpenseStatus.PAID
    assert expense.pending[-1].days_to_payment == 7  # type: ignore[attr-defined]


def test_a_rejected_claim_cannot_be_paid() -> None:
    expense = _claim()
    expense.reject("no receipt", "staff", NOW)
    with pytest.raises(Conflict, match="rejected"):
        expense.approve("staff", NOW)


def test_mileage_cannot_be_advanced() -> None:
    with pytest.raises(DomainRuleBroken, match="after the journey"):
        Expense.advance(uuid4(), participant_id=uuid4(), organisation_id=uuid4(),
                        network_id=uuid4(), opportunity_id=uuid4(), session_id=uuid4(),
                        kind=ExpenseKind.MILEAGE, amount_pence=900, by="staff", now=NOW)


@pytest.mark.parametrize(("basis", "minutes", "rate", "pence"), [
    (PaymentBasis.SESSIONAL, 90, "half_day", 7_500),
    (PaymentBasis.SESSIONAL, 239, "half_day", 7_500),
    (PaymentBasis.SESSIONAL, 240, "full_day", 15_000),
    (PaymentBasis.HOURLY, 90, "hourly", 3_750),
    (PaymentBasis.HOURLY, 60, "hourly", 2_500),
])
def test_the_rate_card_prices_a_session(basis: PaymentBasis, minutes: int, rate: str,
                                        pence: int) -> None:
    due = amount_due(DEFAULT_RATES, basis, minutes)
    assert (due.rate, due.amount_pence) == (rate, pence)


@pytest.mark.parametrize(("preference", "reduced", "outcome", "paid"), [
    (PaymentPreference.ACCEPT, None, "paid", 7_500),
    (PaymentPreference.REDUCE, 2_000, "reduced", 2_000),
    (PaymentPreference.DECLINE, None, "declined", 0),
    (PaymentPreference.DONATE, None, "donated", 0),
])
def test_payments_honour_the_persons_choice(preference: PaymentPreference, reduced: int | None,
                                            outcome: str, paid: int) -> None:
    honoured = honour(preference, 7_500, reduced)
    assert (honoured.outcome, honoured.amount_paid_pence) == (outcome, paid)


@pytest.mark.parametrize(("preference", "reduced", "problem"), [
    (PaymentPreference.EXPENSES_ONLY, None, "volunteers"),
    (PaymentPreference.REDUCE, None, "reduced_to_pence"),
    (PaymentPreference.REDUCE, 9_000, "between 0 and the amount due"),
    (PaymentPreference.ACCEPT, 1_000, "only for people who reduce"),
])
def test_payments_refuse_what_the_person_did_not_ask_for(preference: PaymentPreference,
                                                         reduced: int | None,
                                                         problem: str) -> None:
    with pytest.raises(DomainRuleBroken, match=problem):
        honour(preference, 7_500, reduced)


def test_a_rate_card_is_sane() -> None:
    with pytest.raises(DomainRuleBroken, match="half day"):
        Rates(hourly_pence=2_500, half_day_pence=20_000, full_day_pence=15_000)
    with pytest.raises(DomainRuleBroken, match="hourly_pence"):
        Rates(hourly_pence=0, half_day_pence=7_500, full_day_pence=15_000)
