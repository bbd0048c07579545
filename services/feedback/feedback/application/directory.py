"""The region as this service knows it, from registry's public events: which organisations
belong to which network, and each participant's network and status.

A participant's deprivation decile is kept only while they opt in to equality monitoring,
and only to count reach. When someone is erased, the key that sealed their stories is
shredded, their id is taken off their responses and stories, and nothing else about them
is kept here.
"""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, insert, select, update

from chorus.contracts import UnknownEventType, parse_event
from chorus.contracts import registry as events
from chorus.contracts.vocabulary import ParticipantStatus
from chorus.crypto import KeyRing
from chorus.envelope import Envelope
from chorus.errors import DomainRuleBroken
from chorus.store.database import Transaction
from feedback.tables import change_voices, organisations, participants, responses, story_index


class Directory:
    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    async def handle(self, tx: Transaction, envelope: Envelope) -> None:
        """Apply one registry event (in the inbox's transaction)."""
        try:
            event = parse_event(envelope.type, envelope.data)
        except UnknownEventType:
            return  # a kind of event this version does not need
        await self.apply(tx, event)

    async def apply(self, tx: Transaction, event: object) -> None:
        match event:
            case events.OrganisationJoined():
                await tx.conn.execute(delete(organisations).where(
                    organisations.c.organisation_id == event.organisation_id))
                await tx.conn.execute(insert(organisations).values(
                    organisation_id=event.organisation_id, network_id=event.network_id,
                    name=event.name, kind=event.kind, member=True))
            case events.OrganisationLeft():
                await tx.conn.execute(update(organisations).where(
                    organisations.c.organisation_id == event.organisation_id).values(
                    member=False))
            case events.ParticipantJoined():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.ACTIVE)
            case events.ConsentChanged():
                await self._set(tx, event.participant_id, event.network_id,
                                deprivation_decile=event.deprivation_decile)
            case events.ParticipantPaused():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.PAUSED)
            case events.ParticipantResumed():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.ACTIVE)
            case events.ParticipantLeft():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.LEFT)
            case events.ParticipantErased():
                await self._erase(tx, event.participant_id, event.network_id)

    async def _set(self, tx: Transaction, participant_id: UUID, network_id: UUID,
                   **values: object) -> None:
        status = (await tx.conn.execute(select(participants.c.status).where(
            participants.c.participant_id == participant_id))).scalar()
        if status == ParticipantStatus.ERASED:
            return  # erasure is final; a late event must not bring anything back
        if status is None:
            await tx.conn.execute(insert(participants).values(
                participant_id=participant_id, network_id=network_id,
                status=ParticipantStatus.ACTIVE, deprivation_decile=None))
        await tx.conn.execute(update(participants).where(
            participants.c.participant_id == participant_id).values(**values))

    async def _erase(self, tx: Transaction, participant_id: UUID, network_id: UUID) -> None:
        await self._set(tx, participant_id, network_id, status=ParticipantStatus.ERASED,
                        deprivation_decile=None)
        await self.keys.shred(tx.conn, str(participant_id))
        for table in (responses, story_index):
            await tx.conn.execute(update(table).where(
                table.c.participant_id == participant_id).values(participant_id=None))
        await tx.conn.execute(delete(change_voices).where(
            change_voices.c.participant_id == participant_id))


async def check_members(tx: Transaction, network_id: UUID,
                        organisation_ids: Sequence[UUID]) -> None:
    """Every organisation named is a current member of the network."""
    if not organisation_ids:
        return
    known = set((await tx.conn.execute(select(organisations.c.organisation_id).where(
        organisations.c.organisation_id.in_(organisation_ids),
        organisations.c.network_id == network_id, organisations.c.member.is_(True)))).scalars())
    unknown = [o for o in organisation_ids if o not in known]
    if unknown:
        raise DomainRuleBroken(f"organisation {unknown[0]} is not a member of this network")
