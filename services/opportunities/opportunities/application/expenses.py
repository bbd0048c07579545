"""Handlers for expenses: claims after a session, advances before one, approval and payment.

A claim is for a session the person attended; mileage is priced against the miles they
already claimed in the network this tax year, in the same transaction that adds the new
miles to the ledger, so concurrent claims cannot both take the higher rate.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chorus.auth import Forbidden, Principal, Role
from chorus.contracts.vocabulary import ExpenseKind
from chorus.errors import DomainRuleBroken
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from opportunities.application.opportunities import Clock, Opportunities, _utc_now
from opportunities.domain import EVENT_TYPES
from opportunities.domain.expenses import Expense, ExpenseStatus, Mileage, mileage, tax_year
from opportunities.domain.opportunity import InvitationStatus
from opportunities.projections import record_sessions
from opportunities.tables import mileage_ledger, pool_members


@dataclass(frozen=True)
class MileageQuote:
    """What a mileage claim made today would pay, and the miles it is priced against."""

    priced: Mileage
    already_claimed: int
    tax_year: int


class Expenses:
    def __init__(self, db: Database, store: EventStore, opportunities: Opportunities,
                 clock: Clock = _utc_now) -> None:
        self.db = db
        self.clock = clock
        self.opportunities = opportunities
        self.expenses = Repository(store, EventCodec(EVENT_TYPES), Expense)

    async def claim(self, participant_id: UUID, opportunity_id: UUID, session_id: UUID,
                    kind: ExpenseKind, amount_pence: int | None, miles: int | None,
                    receipt_reference: str | None, actor: Principal) -> Expense:
        """The person claims, or the organisation's staff claim on their behalf."""
        async with self.db.transaction() as tx:
            opportunity = await self.opportunities.opportunities.get(tx, str(opportunity_id))
            _may_act_for(actor, participant_id, opportunity.organisation_id)
            held = opportunity.session(session_id)
            if opportunity.minutes_attended(session_id, participant_id) is None:
                raise DomainRuleBroken(f"participant {participant_id} did not attend session "
                                       f"{session_id}, so cannot claim for it")
            incurred_on = held.starts_at.date()
            priced = None
            if kind == ExpenseKind.MILEAGE and miles is not None:
                already = await self._miles(tx, opportunity.network_id, participant_id,
                                            incurred_on)
                priced = mileage(miles, already)
            elif miles is not None:
                raise DomainRuleBroken("miles are claimed only for a 'mileage' expense")
            expense = Expense.claim(
                uuid4(), participant_id=participant_id,
                organisation_id=opportunity.organisation_id, network_id=opportunity.network_id,
                opportunity_id=opportunity_id, session_id=session_id, kind=kind,
                amount_pence=amount_pence, miles=priced, receipt_reference=receipt_reference,
                incurred_on=incurred_on, by=actor.subject, now=self.clock())
            if priced is not None:
                await self._add_miles(tx, opportunity.network_id, participant_id, incurred_on,
                                      priced.miles)
            await self.expenses.save(tx, expense)
            return expense

    async def quote_mileage(self, participant_id: UUID, miles: int,
                            actor: Principal) -> MileageQuote:
        """What `miles` would pay if claimed today, priced as a claim is: against the miles
        already claimed in the network this tax year. Nothing is written."""
        network_id = await self._network_for(participant_id, actor)
        year = tax_year(self.clock().date())
        async with self.db.snapshot() as tx:
            already = (await tx.conn.execute(select(mileage_ledger.c.miles).where(
                mileage_ledger.c.network_id == network_id,
                mileage_ledger.c.participant_id == participant_id,
                mileage_ledger.c.tax_year == year))).scalar_one_or_none() or 0
        return MileageQuote(mileage(miles, already), already, year)

    async def _network_for(self, participant_id: UUID, actor: Principal) -> UUID:
        """The network whose ledger counts. Whoever may make the claim may ask: the person,
        or staff of an organisation they took part in a session of (never other staff, who
        would learn what the person claimed elsewhere)."""
        async with self.db.snapshot() as tx:
            if actor.is_participant(participant_id):
                network_id = actor.network_id or (await tx.conn.execute(
                    select(pool_members.c.network_id).where(
                        pool_members.c.participant_id == participant_id))).scalar_one_or_none()
            elif actor.role == Role.ORG_STAFF and await _attended_with(
                    tx, participant_id, actor.org_id):
                network_id = actor.network_id
            else:
                network_id = None
        if network_id is None:
            raise Forbidden("only the person, or staff of an organisation they took part "
                            "with, can ask what their mileage would pay")
        return UUID(str(network_id))

    async def advance(self, participant_id: UUID, opportunity_id: UUID, session_id: UUID,
                      kind: ExpenseKind, amount_pence: int, actor: Principal) -> Expense:
        """Staff pay an expense before a scheduled session, for someone who cannot wait."""
        async with self.db.transaction() as tx:
            opportunity = await self.opportunities.opportunities.get(tx, str(opportunity_id))
            if not actor.is_staff_of(opportunity.organisation_id):
                raise Forbidden("only the organisation's staff pay advances")
            scheduled = opportunity.scheduled_session(session_id)
            if scheduled.starts_at <= self.clock():
                raise DomainRuleBroken("an advance is paid before the session; this one has "
                                       "started, so claim the expense instead")
            seat = opportunity.live_invitation_of(participant_id)
            if seat is None or seat.status != InvitationStatus.ASSIGNED:
                raise DomainRuleBroken(f"participant {participant_id} holds no seat on this "
                                       "opportunity")
            expense = Expense.advance(
                uuid4(), participant_id=participant_id,
                organisation_id=opportunity.organisation_id, network_id=opportunity.network_id,
                opportunity_id=opportunity_id, session_id=session_id, kind=kind,
                amount_pence=amount_pence, by=actor.subject, now=self.clock())
            await self.expenses.save(tx, expense)
            return expense

    async def get(self, expense_id: UUID, actor: Principal) -> Expense:
        async with self.db.snapshot() as tx:
            expense = await self.expenses.get(tx, str(expense_id))
        _may_act_for(actor, expense.made.participant_id, expense.organisation_id)
        return expense

    async def approve(self, expense_id: UUID, actor: Principal) -> Expense:
        return await self._decide(expense_id, actor, lambda e, now: e.approve(actor.subject, now))

    async def pay(self, expense_id: UUID, actor: Principal) -> Expense:
        return await self._decide(expense_id, actor, lambda e, now: e.pay(actor.subject, now))

    async def reject(self, expense_id: UUID, reason: str, actor: Principal) -> Expense:
        async with self.db.transaction() as tx:
            expense = await self._as_payer(tx, expense_id, actor)
            expense.reject(reason, actor.subject, self.clock())
            claimed = expense.claimed
            if claimed is not None and claimed.miles is not None:
                await self._add_miles(tx, claimed.network_id, claimed.participant_id,
                                      claimed.incurred_on, -claimed.miles)
            await self.expenses.save(tx, expense)
            return expense

    async def _decide(self, expense_id: UUID, actor: Principal,
                      decide: Callable[[Expense, datetime], None]) -> Expense:
        async with self.db.transaction() as tx:
            expense = await self._as_payer(tx, expense_id, actor)
            decide(expense, self.clock())
            await self.expenses.save(tx, expense)
            return expense

    async def _as_payer(self, tx: Transaction, expense_id: UUID, actor: Principal) -> Expense:
        expense = await self.expenses.get(tx, str(expense_id))
        if not actor.is_staff_of(expense.organisation_id):
            raise Forbidden("only the staff of the organisation that pays it can do this")
        if expense.status == ExpenseStatus.ADVANCED:
            raise DomainRuleBroken("an advance is already paid")
        return expense

    async def _miles(self, tx: Transaction, network_id: UUID, participant_id: UUID,
                     day: date) -> int:
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        key = {"network_id": network_id, "participant_id": participant_id,
               "tax_year": tax_year(day)}
        await tx.conn.execute(insert(mileage_ledger).values(**key, miles=0)
                              .on_conflict_do_nothing())
        row = await tx.conn.execute(select(mileage_ledger.c.miles).where(
            *(mileage_ledger.c[k] == v for k, v in key.items())).with_for_update())
        return int(row.scalar_one())

    async def _add_miles(self, tx: Transaction, network_id: UUID, participant_id: UUID,
                         day: date, miles: int) -> None:
        await tx.conn.execute(update(mileage_ledger).where(
            mileage_ledger.c.network_id == network_id,
            mileage_ledger.c.participant_id == participant_id,
            mileage_ledger.c.tax_year == tax_year(day)).values(
            miles=mileage_ledger.c.miles + miles))


async def _attended_with(tx: Transaction, participant_id: UUID,
                         organisation_id: UUID | None) -> bool:
    found = await tx.conn.execute(select(record_sessions.c.session_id).where(
        record_sessions.c.participant_id == participant_id,
        record_sessions.c.organisation_id == organisation_id).limit(1))
    return found.first() is not None


def _may_act_for(actor: Principal, participant_id: UUID, organisation_id: UUID) -> None:
    if not (actor.is_participant(participant_id) or actor.is_staff_of(organisation_id)):
        raise Forbidden("only the person or the paying organisation's staff can see or claim "
                        "this expense")
