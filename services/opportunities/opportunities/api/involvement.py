"""Routes for involvement: sessions held, expenses, involvement payments and each person's
record across every organisation."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import Table, select

from chorus.auth import Forbidden
from opportunities.api.deps import Caller, State
from opportunities.api.opportunities import visible
from opportunities.api.schemas import (
    AdvanceIn,
    AttendedOut,
    ClaimIn,
    ExpenseOut,
    InvolvementOut,
    MileageQuoteOut,
    PaymentIn,
    PaymentOut,
    RatesIn,
    RatesOut,
    RejectIn,
    SessionHeldIn,
    SessionHeldOut,
)
from opportunities.domain.expenses import MAX_CLAIM_MILES
from opportunities.domain.opportunity import Attendance
from opportunities.projections import (
    record_expenses,
    record_invitations,
    record_payments,
    record_sessions,
)

router = APIRouter(prefix="/v1", tags=["involvement, expenses and payments"])


@router.post("/opportunities/{opportunity_id}/sessions", status_code=status.HTTP_201_CREATED,
             response_model=SessionHeldOut)
async def session_held(opportunity_id: UUID, body: SessionHeldIn, state: State,
                       caller: Caller) -> SessionHeldOut:
    """Record a session that took place: who attended, and for how long."""
    attendance = tuple(Attendance(participant_id=a.participant_id, minutes=round(a.hours * 60))
                       for a in body.attendance)
    held = await state.opportunities.record_session(
        opportunity_id, body.scheduled_session_id, body.starts_at, body.ends_at, attendance,
        caller)
    return SessionHeldOut(session_id=held.session_id, opportunity_id=opportunity_id,
                          stage=held.stage, starts_at=held.starts_at, ends_at=held.ends_at,
                          attendance=[AttendedOut(participant_id=a.participant_id,
                                                  minutes=a.minutes) for a in held.attendance])


@router.get("/opportunities/{opportunity_id}/sessions", response_model=list[SessionHeldOut])
async def sessions_held(opportunity_id: UUID, state: State,
                        caller: Caller) -> list[SessionHeldOut]:
    """The sessions held, newest first: who attended, for how long, and whether their time
    has been paid (the organisation's staff)."""
    opportunity = visible(await state.opportunities.get(opportunity_id), caller)
    if not caller.is_staff_of(opportunity.organisation_id):
        raise Forbidden("only the organisation that offers this opportunity sees its sessions")
    held = sorted(opportunity.sessions_held, key=lambda s: s.starts_at, reverse=True)
    return [SessionHeldOut(
        session_id=s.session_id, opportunity_id=opportunity_id, stage=s.stage,
        starts_at=s.starts_at, ends_at=s.ends_at,
        attendance=[AttendedOut(participant_id=a.participant_id, minutes=a.minutes,
                                paid=opportunity.time_paid(s.session_id, a.participant_id))
                    for a in s.attendance]) for s in held]


@router.post("/opportunities/{opportunity_id}/payments", status_code=status.HTTP_201_CREATED,
             response_model=PaymentOut)
async def pay_for_involvement(opportunity_id: UUID, body: PaymentIn, state: State,
                              caller: Caller) -> PaymentOut:
    """Pay one person's time at one session under your rate card, as they chose: paid in
    full, reduced to the amount they asked for, declined, or donated. Volunteers are only
    reimbursed expenses."""
    made = await state.opportunities.pay(opportunity_id, body.session_id, body.participant_id,
                                         body.reduced_to_pence, caller)
    return PaymentOut(payment_id=made.payment_id, opportunity_id=opportunity_id,
                      session_id=made.session_id, participant_id=made.participant_id,
                      minutes=made.minutes, rate=made.rate,
                      amount_due_pence=made.amount_due_pence,
                      amount_paid_pence=made.amount_paid_pence, outcome=made.outcome)


@router.get("/organisations/{organisation_id}/rate-card", response_model=RatesOut)
async def rate_card(organisation_id: UUID, state: State, caller: Caller) -> RatesOut:
    """The organisation's rates for paid involvement."""
    if not caller.is_staff_of(organisation_id):
        raise Forbidden("only the organisation's own staff see its rate card")
    async with state.opportunities.db.snapshot() as tx:
        rates = await state.opportunities.rates(tx, organisation_id)
    return RatesOut(organisation_id=organisation_id, **rates.__dict__)


@router.put("/organisations/{organisation_id}/rate-card", response_model=RatesOut)
async def set_rate_card(organisation_id: UUID, body: RatesIn, state: State,
                        caller: Caller) -> RatesOut:
    """Set the organisation's rates: per hour, a half day (under 4 hours), a full day."""
    rates = await state.opportunities.set_rates(organisation_id, body.to_domain(), caller)
    return RatesOut(organisation_id=organisation_id, **rates.__dict__)


@router.post("/expenses", status_code=status.HTTP_201_CREATED, response_model=ExpenseOut)
async def claim(body: ClaimIn, state: State, caller: Caller) -> ExpenseOut:
    """Claim an expense for a session the person attended (the person, or staff for them).

    Mileage is worked out: 45p a mile for the first 10,000 miles in the tax year, counted
    across every organisation in the network, then 25p.
    """
    expense = await state.expenses.claim(
        body.participant_id, body.opportunity_id, body.session_id, body.kind,
        body.amount_pence, body.miles, body.receipt_reference, caller)
    return ExpenseOut.of(expense)


@router.post("/expenses/advances", status_code=status.HTTP_201_CREATED,
             response_model=ExpenseOut)
async def advance(body: AdvanceIn, state: State, caller: Caller) -> ExpenseOut:
    """Pay an expense before a session, for someone who cannot wait to be reimbursed."""
    expense = await state.expenses.advance(body.participant_id, body.opportunity_id,
                                           body.session_id, body.kind, body.amount_pence,
                                           caller)
    return ExpenseOut.of(expense)


@router.get("/expenses", response_model=list[dict[str, Any]])
async def expenses_to_handle(
    organisation_id: UUID, state: State, caller: Caller,
    expense_status: Annotated[str | None, Query(alias="status", pattern=(
        "^(claimed|approved|rejected|paid|advanced)$"))] = None,
) -> list[dict[str, Any]]:
    """Your organisation's expenses, oldest first, e.g. `status=claimed` to approve."""
    if not caller.is_staff_of(organisation_id):
        raise Forbidden("only the organisation's own staff see its expenses")
    conditions = [record_expenses.c.organisation_id == organisation_id]
    if expense_status is not None:
        conditions.append(record_expenses.c.status == expense_status)
    return await _rows(state, record_expenses, *conditions,
                       order=record_expenses.c.claimed_at)


# `:uuid`, so that `/expenses/advances` is never taken for an expense id: a GET there is a 405,
# not a 422 for a malformed id.
@router.get("/expenses/{expense_id:uuid}", response_model=ExpenseOut)
async def read_expense(expense_id: UUID, state: State, caller: Caller) -> ExpenseOut:
    """One expense (the person, or the paying organisation's staff)."""
    return ExpenseOut.of(await state.expenses.get(expense_id, caller))


@router.post("/expenses/{expense_id}/approve", response_model=ExpenseOut)
async def approve(expense_id: UUID, state: State, caller: Caller) -> ExpenseOut:
    """Approve a claim for payment."""
    return ExpenseOut.of(await state.expenses.approve(expense_id, caller))


@router.post("/expenses/{expense_id}/reject", response_model=ExpenseOut)
async def reject(expense_id: UUID, body: RejectIn, state: State, caller: Caller) -> ExpenseOut:
    """Refuse a claim, saying why; rejected miles no longer count towards the 10,000."""
    return ExpenseOut.of(await state.expenses.reject(expense_id, body.reason, caller))


@router.post("/expenses/{expense_id}/pay", response_model=ExpenseOut)
async def pay(expense_id: UUID, state: State, caller: Caller) -> ExpenseOut:
    """Record an approved claim as paid; the days from claim to payment are kept."""
    return ExpenseOut.of(await state.expenses.pay(expense_id, caller))


@router.get("/participants/{participant_id}/involvement", response_model=InvolvementOut)
async def involvement(participant_id: UUID, state: State, caller: Caller) -> InvolvementOut:
    """Your own involvement across every organisation: invitations, sessions and hours,
    expenses and payments."""
    if not caller.is_participant(participant_id):
        raise Forbidden("only the person themselves sees their whole involvement record")
    mine = {table: await _rows(state, table, table.c.participant_id == participant_id)
            for table in (record_invitations, record_sessions, record_expenses, record_payments)}
    expenses = mine[record_expenses]
    totals = {
        "sessions": len(mine[record_sessions]),
        "minutes": sum(s["minutes"] for s in mine[record_sessions]),
        "expenses_paid_pence": sum(e["amount_pence"] for e in expenses
                                   if e["status"] in ("paid", "advanced")),
        "payments_received_pence": sum(p["amount_paid_pence"] for p in mine[record_payments]),
    }
    return InvolvementOut(participant_id=participant_id, invitations=mine[record_invitations],
                          sessions=mine[record_sessions], expenses=expenses,
                          payments=mine[record_payments], totals=totals)


@router.get("/participants/{participant_id}/mileage-quote", response_model=MileageQuoteOut)
async def mileage_quote(
    participant_id: UUID, state: State, caller: Caller,
    miles: Annotated[int, Query(ge=1, le=MAX_CLAIM_MILES, description="The miles to claim.")],
) -> MileageQuoteOut:
    """What a mileage claim made today would pay (the person, or staff of an organisation in
    their network): 45p a mile for the first 10,000 miles in the tax year, counted across
    every organisation in the network, then 25p. Nothing is claimed."""
    quote = await state.expenses.quote_mileage(participant_id, miles, caller)
    return MileageQuoteOut.of(participant_id, quote)


async def _rows(state: State, table: Table, *conditions: Any,
                order: Any = None) -> list[dict[str, Any]]:
    query = select(table).where(*conditions)
    query = query.order_by(order if order is not None else next(iter(table.primary_key)))
    async with state.opportunities.db.snapshot() as tx:
        return [dict(r) for r in (await tx.conn.execute(query)).mappings()]
