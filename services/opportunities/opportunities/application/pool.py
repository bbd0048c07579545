"""The pool as this service knows it: registry's public events about participants (and the
organisations of each network).

Each participant's matching facts (never personal data) are kept in `pool_members`. When
someone pauses, leaves or is erased, their open invitations are withdrawn in the same
transaction; leaving or erasure also gives up their seats. An erased person becomes a
tombstone: no facts, no matching history.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update

from chorus.contracts import UnknownEventType, parse_event
from chorus.contracts import registry as events
from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    ConsentScope,
    DayPart,
    InvolvementKind,
    Method,
    ParticipantRole,
    ParticipantStatus,
    PaymentPreference,
    SupportWanted,
    Topic,
    Weekday,
)
from chorus.envelope import Envelope
from chorus.store import Database
from chorus.store.database import Transaction
from opportunities.application.seats import forget_involvements, next_seq
from opportunities.domain.matching import Candidate
from opportunities.projections import forget_record
from opportunities.tables import organisations, pool_members

SteppedBack = Callable[[Transaction, UUID, str, bool], Awaitable[None]]
"""(tx, participant, reason, give up seats?): what happens when someone steps back."""


@dataclass(frozen=True)
class Member:
    candidate: Candidate
    payment_preference: PaymentPreference


class Pool:
    def __init__(self, db: Database, stepped_back: SteppedBack) -> None:
        self.db = db
        self.stepped_back = stepped_back

    async def member(self, participant_id: UUID) -> Member | None:
        async with self.db.snapshot() as tx:
            row = (await tx.conn.execute(select(pool_members).where(
                pool_members.c.participant_id == participant_id))).mappings().first()
        if row is None or row["status"] == ParticipantStatus.ERASED:
            return None
        return member_from(row)

    async def handle(self, tx: Transaction, envelope: Envelope) -> None:
        """Apply one registry event (in the inbox's transaction)."""
        try:
            event = parse_event(envelope.type, envelope.data)
        except UnknownEventType:
            return  # a kind of event this version does not need
        await self.apply(tx, event)

    async def apply(self, tx: Transaction, event: Any) -> None:
        match event:
            case events.OrganisationJoined():
                await tx.conn.execute(delete(organisations).where(
                    organisations.c.organisation_id == event.organisation_id))
                await tx.conn.execute(insert(organisations).values(
                    organisation_id=event.organisation_id, network_id=event.network_id,
                    name=event.name, kind=event.kind))
            case events.OrganisationLeft():
                await tx.conn.execute(delete(organisations).where(
                    organisations.c.organisation_id == event.organisation_id))
            case events.ParticipantJoined():
                await self._change(tx, event.participant_id, event.network_id,
                                   status=ParticipantStatus.ACTIVE,
                                   facts={"roles": list(event.roles)})
            case events.ProfileUpdated():
                await self._change(tx, event.participant_id, event.network_id,
                                   facts=_profile_facts(event))
            case events.ConsentChanged():
                await self._change(tx, event.participant_id, event.network_id, facts={
                    "consent_scope": event.scope,
                    "consent_org_ids": [str(o) for o in event.organisation_ids],
                    "deprivation_decile": event.deprivation_decile})
            case events.ParticipantPaused():
                await self._change(tx, event.participant_id, event.network_id,
                                   status=ParticipantStatus.PAUSED, paused_until=event.until)
                await self.stepped_back(tx, event.participant_id, "participant_paused", False)
            case events.ParticipantResumed():
                await self._change(tx, event.participant_id, event.network_id,
                                   status=ParticipantStatus.ACTIVE)
            case events.ParticipantLeft():
                await self._change(tx, event.participant_id, event.network_id,
                                   status=ParticipantStatus.LEFT)
                await self.stepped_back(tx, event.participant_id, "participant_left", True)
            case events.ParticipantErased():
                await self.stepped_back(tx, event.participant_id, "participant_erased", True)
                await self._erase(tx, event.participant_id, event.network_id)

    async def _change(self, tx: Transaction, participant_id: UUID, network_id: UUID, *,
                      status: ParticipantStatus | None = None, paused_until: date | None = None,
                      facts: dict[str, Any] | None = None) -> None:
        row = (await tx.conn.execute(select(pool_members).where(
            pool_members.c.participant_id == participant_id))).mappings().first()
        if row is not None and row["status"] == ParticipantStatus.ERASED:
            return  # erasure is final; a late event must not bring facts back
        seq = await next_seq(tx)
        if row is None:
            await tx.conn.execute(insert(pool_members).values(
                participant_id=participant_id, network_id=network_id,
                status=status or ParticipantStatus.ACTIVE, paused_until=paused_until,
                facts=facts or {}, seq=seq))
            return
        values: dict[str, Any] = {"seq": seq, "facts": {**row["facts"], **(facts or {})}}
        if status is not None:
            values |= {"status": status, "paused_until": paused_until}
        await tx.conn.execute(update(pool_members).where(
            pool_members.c.participant_id == participant_id).values(**values))

    async def _erase(self, tx: Transaction, participant_id: UUID, network_id: UUID) -> None:
        await self._change(tx, participant_id, network_id, status=ParticipantStatus.ERASED)
        await tx.conn.execute(update(pool_members).where(
            pool_members.c.participant_id == participant_id).values(facts={}))
        await forget_involvements(tx, participant_id)
        await forget_record(tx, participant_id)


def _profile_facts(event: events.ProfileUpdated) -> dict[str, Any]:
    return {
        "roles": list(event.roles), "topics": list(event.topics),
        "methods": list(event.methods), "kinds_wanted": list(event.kinds_wanted),
        "commitment": event.commitment,
        "availability": [[s.day, s.part] for s in event.availability],
        "postcode_district": event.postcode_district,
        "travel_radius_km": event.travel_radius_km, "online_only": event.online_only,
        "accessibility_needs": list(event.accessibility_needs),
        "languages": list(event.languages), "support_wanted": list(event.support_wanted),
        "payment_preference": event.payment_preference,
    }


def member_from(row: Any) -> Member:
    """A pool row as a matching candidate and their payment preference."""
    facts = row["facts"]
    candidate = Candidate(
        participant_id=UUID(str(row["participant_id"])),
        network_id=UUID(str(row["network_id"])),
        status=ParticipantStatus(row["status"]), paused_until=row["paused_until"],
        consent_scope=ConsentScope(facts.get("consent_scope", ConsentScope.NETWORK)),
        consent_org_ids=frozenset(UUID(o) for o in facts.get("consent_org_ids", ())),
        roles=frozenset(ParticipantRole(r) for r in facts.get("roles", ())),
        topics=frozenset(Topic(t) for t in facts.get("topics", ())),
        methods=frozenset(Method(m) for m in facts.get("methods", ())),
        kinds_wanted=frozenset(InvolvementKind(k) for k in facts.get("kinds_wanted", ())),
        commitment=Commitment(facts["commitment"]) if facts.get("commitment") else None,
        availability=frozenset((Weekday(d), DayPart(p))
                               for d, p in facts.get("availability", ())),
        postcode_district=facts.get("postcode_district"),
        travel_radius_km=facts.get("travel_radius_km"),
        online_only=bool(facts.get("online_only", False)),
        accessibility_needs=frozenset(AccessibilityNeed(a)
                                      for a in facts.get("accessibility_needs", ())),
        languages=frozenset(facts.get("languages", ())),
        support_wanted=frozenset(SupportWanted(s) for s in facts.get("support_wanted", ())),
        deprivation_decile=facts.get("deprivation_decile"),
    )
    preference = facts.get("payment_preference") or PaymentPreference.ACCEPT
    return Member(candidate, PaymentPreference(preference))
