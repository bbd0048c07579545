"""Handlers for opportunities: publish and change them, invite people, seats, sessions, pay.

Each handler is one transaction: load the opportunity, let it decide, save its events and
keep the write-side tables in step. Only the owning organisation's staff change an
opportunity; only the invited person answers an invitation.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import select

from chorus.auth import Forbidden, Principal, Role
from chorus.contracts.vocabulary import PaymentPreference
from chorus.errors import ConcurrencyError, DomainRuleBroken, NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from opportunities.application.matching import Matcher, wanted_for
from opportunities.application.seats import keep_in_step
from opportunities.domain import EVENT_TYPES
from opportunities.domain.details import Details
from opportunities.domain.opportunity import (
    LIVE_INVITATIONS,
    Attendance,
    Invitation,
    InvolvementPaymentMade,
    Opportunity,
    SessionHeld,
)
from opportunities.domain.payments import RateCard, Rates
from opportunities.tables import invitation_index

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Opportunities:
    def __init__(self, db: Database, store: EventStore, matcher: Matcher,
                 clock: Clock = _utc_now) -> None:
        self.db = db
        self.matcher = matcher
        self.clock = clock
        codec = EventCodec(EVENT_TYPES)
        self.opportunities = Repository(store, codec, Opportunity)
        self.rate_cards = Repository(store, codec, RateCard)

    # -- the owning organisation -------------------------------------------------------

    async def publish(self, details: Details, actor: Principal) -> Opportunity:
        organisation_id, network_id = _staff(actor)
        async with self.db.transaction() as tx:
            opportunity = Opportunity.publish(uuid4(), organisation_id, network_id, details,
                                              actor.subject, self.clock())
            await self._save(tx, opportunity)
            return opportunity

    async def get(self, opportunity_id: UUID) -> Opportunity:
        async with self.db.snapshot() as tx:
            return await self._load(tx, opportunity_id)

    async def update(self, opportunity_id: UUID, details: Details, actor: Principal,
                     expected_version: int | None = None) -> Opportunity:
        return await self._as_owner(opportunity_id, actor,
                                    lambda o: o.update(details, self.clock()), expected_version)

    async def withdraw(self, opportunity_id: UUID, actor: Principal) -> Opportunity:
        return await self._as_owner(opportunity_id, actor, lambda o: o.withdraw(self.clock()))

    async def close(self, opportunity_id: UUID, actor: Principal) -> Opportunity:
        return await self._as_owner(opportunity_id, actor, lambda o: o.close(self.clock()))

    async def invite(self, opportunity_id: UUID, participant_ids: Sequence[UUID] | None,
                     top: int | None, actor: Principal) -> list[Invitation]:
        """Invite chosen people, or the top `top` of the matches not yet invited."""
        async with self.db.transaction() as tx:
            opportunity = await self._owned(tx, opportunity_id, actor)
            now = self.clock()
            if participant_ids is None:
                assert top is not None
                participant_ids = await self._top_uninvited(opportunity, top, now)
            for participant_id in participant_ids:
                await self._check_eligible(opportunity, participant_id, now)
            invitations = [opportunity.invite(uuid4(), p, actor.subject, now)
                           for p in participant_ids]
            await self._save(tx, opportunity)
            return invitations

    async def stand_down(self, opportunity_id: UUID, participant_id: UUID,
                         actor: Principal) -> Opportunity:
        """The person gives up their seat, or the owning staff stand them down."""
        async with self.db.transaction() as tx:
            opportunity = _seen_by(actor, await self._load(tx, opportunity_id))
            if not (actor.is_participant(participant_id)
                    or actor.is_staff_of(opportunity.organisation_id)):
                raise Forbidden("only the person or the organisation's staff can do this")
            opportunity.stand_down(participant_id, self.clock())
            await self._save(tx, opportunity)
            return opportunity

    async def record_session(self, opportunity_id: UUID, scheduled: UUID | None,
                             starts_at: datetime, ends_at: datetime,
                             attendance: tuple[Attendance, ...], actor: Principal) -> SessionHeld:
        async with self.db.transaction() as tx:
            opportunity = await self._owned(tx, opportunity_id, actor)
            held = opportunity.record_session(uuid4(), scheduled, starts_at, ends_at,
                                              attendance, actor.subject, self.clock())
            await self._save(tx, opportunity)
            return held

    async def pay(self, opportunity_id: UUID, session_id: UUID, participant_id: UUID,
                  reduced_to_pence: int | None, actor: Principal) -> InvolvementPaymentMade:
        async with self.db.transaction() as tx:
            opportunity = await self._owned(tx, opportunity_id, actor)
            rates = await self.rates(tx, opportunity.organisation_id)
            payment = opportunity.pay(uuid4(), session_id, participant_id, rates,
                                      await self._preference(participant_id),
                                      reduced_to_pence, actor.subject, self.clock())
            await self._save(tx, opportunity)
            return payment

    async def set_rates(self, organisation_id: UUID, rates: Rates, actor: Principal) -> Rates:
        if not actor.is_staff_of(organisation_id):
            raise Forbidden("only the organisation's own staff set its rate card")
        async with self.db.transaction() as tx:
            card = await self._rate_card(tx, organisation_id)
            card.set(organisation_id, rates, actor.subject, self.clock())
            await self.rate_cards.save(tx, card)
            return card.rates

    async def rates(self, tx: Transaction, organisation_id: UUID) -> Rates:
        return (await self._rate_card(tx, organisation_id)).rates

    # -- the invited person --------------------------------------------------------------

    async def accept(self, invitation_id: UUID, actor: Principal) -> Invitation:
        return await self._answer(invitation_id, actor, accept=True)

    async def decline(self, invitation_id: UUID, actor: Principal) -> Invitation:
        return await self._answer(invitation_id, actor, accept=False)

    # -- policies ----------------------------------------------------------------------

    async def when_participant_stepped_back(self, tx: Transaction, participant_id: UUID,
                                            reason: str, *, give_up_seat: bool) -> None:
        """Withdraw a person's open invitations (and give up their seats if they left)."""
        rows = await tx.conn.execute(
            select(invitation_index.c.opportunity_id).distinct()
            .where(invitation_index.c.participant_id == participant_id,
                   invitation_index.c.status.in_([str(s) for s in LIVE_INVITATIONS])))
        for opportunity_id in sorted(rows.scalars()):
            opportunity = await self._load(tx, opportunity_id)
            opportunity.when_participant_stepped_back(participant_id, reason, self.clock(),
                                                      give_up_seat=give_up_seat)
            await self._save(tx, opportunity)

    async def expire_lapsed_invitations(self) -> int:
        """Record the expiry of every invitation whose time ran out; how many expired."""
        now = self.clock()
        async with self.db.snapshot() as tx:
            rows = await tx.conn.execute(
                select(invitation_index.c.opportunity_id).distinct()
                .where(invitation_index.c.status == "invited",
                       invitation_index.c.expires_at <= now))
            due = sorted(rows.scalars())
        expired = 0
        for opportunity_id in due:
            async with self.db.transaction() as tx:
                opportunity = await self._load(tx, opportunity_id)
                expired += len(opportunity.expire_invitations(now))
                await self._save(tx, opportunity)
        return expired

    # -- inside ------------------------------------------------------------------------

    async def _answer(self, invitation_id: UUID, actor: Principal, *, accept: bool) -> Invitation:
        if actor.role != Role.PARTICIPANT or actor.participant_id is None:
            raise Forbidden("only the person invited can answer an invitation")
        async with self.db.transaction() as tx:
            opportunity_id = await self._opportunity_of(tx, invitation_id)
            opportunity = await self._load(tx, opportunity_id)
            now = self.clock()
            answer = opportunity.accept if accept else opportunity.decline
            invitation = answer(invitation_id, actor.participant_id, now)
            await self._save(tx, opportunity)
            return invitation

    async def _opportunity_of(self, tx: Transaction, invitation_id: UUID) -> UUID:
        row = await tx.conn.execute(select(invitation_index.c.opportunity_id)
                                    .where(invitation_index.c.invitation_id == invitation_id))
        opportunity_id = row.scalar_one_or_none()
        if opportunity_id is None:
            raise NotFound(f"invitation {invitation_id} does not exist")
        return UUID(str(opportunity_id))

    async def _top_uninvited(self, opportunity: Opportunity, top: int,
                             now: datetime) -> list[UUID]:
        weights = await self.matcher.weights(opportunity.network_id)
        ranking = await self.matcher.rank(wanted_for(opportunity), weights, now,
                                          limit=top + len(opportunity.invitations))
        invited = {i.participant_id for i in opportunity.invitations}
        return [m.participant_id for m in ranking.matches
                if m.participant_id not in invited][:top]

    async def _check_eligible(self, opportunity: Opportunity, participant_id: UUID,
                              now: datetime) -> None:
        unmet = await self.matcher.unmet_need(wanted_for(opportunity), participant_id, now)
        if unmet is not None:
            raise DomainRuleBroken(f"participant {participant_id} cannot be invited: {unmet}")

    async def _preference(self, participant_id: UUID) -> PaymentPreference:
        member = await self.matcher.pool.member(participant_id)
        if member is None:
            raise NotFound(f"participant {participant_id} is not in the pool")
        return member.payment_preference

    async def _as_owner(self, opportunity_id: UUID, actor: Principal,
                        change: Callable[[Opportunity], None],
                        expected_version: int | None = None) -> Opportunity:
        async with self.db.transaction() as tx:
            opportunity = await self._owned(tx, opportunity_id, actor)
            if expected_version is not None and expected_version != opportunity.version:
                raise ConcurrencyError(opportunity.id, expected_version, opportunity.version)
            change(opportunity)
            await self._save(tx, opportunity)
            return opportunity

    async def _owned(self, tx: Transaction, opportunity_id: UUID,
                     actor: Principal) -> Opportunity:
        opportunity = _seen_by(actor, await self._load(tx, opportunity_id))
        if not actor.is_staff_of(opportunity.organisation_id):
            raise Forbidden("only the organisation that offers this opportunity can do this")
        return opportunity

    async def _load(self, tx: Transaction, opportunity_id: UUID) -> Opportunity:
        return await self.opportunities.get(tx, str(opportunity_id))

    async def _save(self, tx: Transaction, opportunity: Opportunity) -> None:
        events = list(opportunity.pending)
        await self.opportunities.save(tx, opportunity)
        await keep_in_step(tx, events)

    async def _rate_card(self, tx: Transaction, organisation_id: UUID) -> RateCard:
        try:
            return await self.rate_cards.get(tx, RateCard.stream_for(organisation_id))
        except NotFound:
            return RateCard.start(organisation_id)


def _seen_by(actor: Principal, opportunity: Opportunity) -> Opportunity:
    """Opportunities are their network's shared data: elsewhere they do not exist."""
    if actor.network_id not in (None, opportunity.network_id):
        raise NotFound(f"opportunity {opportunity.id} does not exist")
    return opportunity


def _staff(actor: Principal) -> tuple[UUID, UUID]:
    if actor.role != Role.ORG_STAFF or actor.org_id is None or actor.network_id is None:
        raise Forbidden("only an organisation's staff can publish opportunities")
    return actor.org_id, actor.network_id
