"""Participants: joining, profile, consent, pause, resume, leave and erasure.

Personal details are sealed under the person's own key before anything is stored, and
opened only for the person themselves or staff their consent allows. Erasure shreds the
key in the same transaction as the ParticipantErased event, so every stored copy of
their details becomes unreadable at once.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.auth import Forbidden, Principal, Role
from chorus.crypto import KeyRing
from chorus.errors import ConcurrencyError, Conflict, Gone, NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from registry.domain import EVENT_TYPES, Consent, Network, Organisation, Participant, Profile
from registry.domain.participant import PersonalDetails
from registry.tables import email_claims

PERSONAL_FIELDS = ("name", "email", "phone", "postcode", "date_of_birth", "notes")
EQUALITY_FIELDS = ("age_band", "ethnicity", "disability")


@dataclass(frozen=True, kw_only=True)
class Details:
    """Personal details in the clear, as a person or staff typed them (already validated)."""

    name: str
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    date_of_birth: date | None = None
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class Equality:
    age_band: str | None = None
    ethnicity: str | None = None
    disability: str | None = None


@dataclass(frozen=True, kw_only=True)
class JoinParticipant:
    network_id: UUID
    details: Details
    profile: Profile
    consent: Consent
    equality: Equality = Equality()


@dataclass(frozen=True)
class ParticipantView:
    """A participant as the caller may see them, details opened."""

    participant: Participant
    details: dict[str, Any]
    equality: dict[str, Any]


class Participants:
    def __init__(self, db: Database, store: EventStore, keys: KeyRing,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock
        codec = EventCodec(EVENT_TYPES)
        self.participants = Repository(store, codec, Participant)
        self.networks = Repository(store, codec, Network)
        self.organisations = Repository(store, codec, Organisation)

    async def join(self, command: JoinParticipant, actor: Principal | None) -> ParticipantView:
        """Self sign-up (no actor) or assisted sign-up by organisation staff."""
        participant_id = uuid4()
        async with self.db.transaction() as tx:
            await self.networks.get(tx, str(command.network_id))
            assisting = await self._assisting_org(tx, actor, command.network_id)
            await self._claim_email(tx, participant_id, command.details.email)
            personal, consent = await self._seal(tx.conn, participant_id, command.details,
                                                 command.consent, command.equality)
            participant = Participant.join(
                participant_id, command.network_id, personal, command.profile, consent,
                self.clock(), assisted_by_org_id=assisting,
                assisted_by=actor.subject if actor else None)
            await self.participants.save(tx, participant)
            return await self._view(tx.conn, participant)

    async def get(self, participant_id: UUID, actor: Principal) -> ParticipantView:
        async with self.db.transaction() as tx:
            participant = await self._visible(tx, participant_id, actor)
            return await self._view(tx.conn, participant)

    async def contact(self, participant_id: UUID, *, sign_in: bool = False) -> ParticipantView:
        """Contact details for a service about to send something, if the person is reachable.
        A sign-in code reaches someone paused or gone too (they asked for it, to come back);
        nothing reaches someone erased."""
        async with self.db.transaction() as tx:
            participant = await self.participants.get(tx, str(participant_id))
            if participant.status == "erased":
                raise NotFound(f"participant {participant_id} does not exist")
            if not sign_in and not participant.active_on(self.clock().date()):
                raise Gone(f"participant {participant_id} is {participant.status}: "
                           "they must not be contacted")
            return await self._view(tx.conn, participant)

    async def update_profile(self, participant_id: UUID, profile: Profile, actor: Principal,
                             expected_version: int | None = None) -> ParticipantView:
        async with self.db.transaction() as tx:
            participant = await self._visible(tx, participant_id, actor)
            _check_version(participant, expected_version)
            participant.update_profile(profile, self.clock())
            await self.participants.save(tx, participant)
            return await self._view(tx.conn, participant)

    async def change_consent(self, participant_id: UUID, consent: Consent, equality: Equality,
                             actor: Principal,
                             expected_version: int | None = None) -> ParticipantView:
        async with self.db.transaction() as tx:
            participant = await self._own(tx, participant_id, actor)
            _check_version(participant, expected_version)
            sealed = await self._seal_equality(tx.conn, participant_id, consent, equality)
            participant.change_consent(sealed, self.clock())
            await self.participants.save(tx, participant)
            return await self._view(tx.conn, participant)

    async def pause(self, participant_id: UUID, until: date | None,
                    actor: Principal) -> ParticipantView:
        return await self._act(participant_id, actor, lambda p: p.pause(until, self.clock()))

    async def resume(self, participant_id: UUID, actor: Principal) -> ParticipantView:
        return await self._act(participant_id, actor, lambda p: p.resume(self.clock()))

    async def leave(self, participant_id: UUID, actor: Principal) -> ParticipantView:
        return await self._act(participant_id, actor, lambda p: p.leave(self.clock()))

    async def erase(self, participant_id: UUID, actor: Principal) -> None:
        """Forget the person: shred their key and release their e-mail, with the event."""
        async with self.db.transaction() as tx:
            participant = await self._own(tx, participant_id, actor)
            participant.erase(self.clock())
            await self.participants.save(tx, participant)
            await self.keys.shred(tx.conn, str(participant_id))
            await tx.conn.execute(delete(email_claims)
                                  .where(email_claims.c.participant_id == participant_id))
        await self.db.forget_old_pages()

    async def history(self, participant_id: UUID) -> list[dict[str, Any]]:
        """Every stored event of a participant, with personal details opened where the key
        still exists and shown as redacted where it does not."""
        async with self.db.transaction() as tx:
            events = await self.participants.store.read_stream(tx, str(participant_id))
            return [await self._opened(tx.conn, participant_id, dict(e.data)) | {
                "event_type": e.event_type, "version": e.version} for e in events]

    async def _act(self, participant_id: UUID, actor: Principal,
                   change: Callable[[Participant], None]) -> ParticipantView:
        async with self.db.transaction() as tx:
            participant = await self._own(tx, participant_id, actor)
            change(participant)
            await self.participants.save(tx, participant)
            return await self._view(tx.conn, participant)

    async def _own(self, tx: Transaction, participant_id: UUID,
                   actor: Principal) -> Participant:
        """Only the person themselves may decide about consent, pausing, leaving, erasure."""
        participant = await self._visible(tx, participant_id, actor)
        if actor.role != Role.PARTICIPANT:
            raise Forbidden("only the participant themselves can do this")
        return participant

    async def _visible(self, tx: Transaction, participant_id: UUID,
                       actor: Principal) -> Participant:
        """The participant, if the caller may see them; otherwise they do not exist."""
        participant = await self.participants.get(tx, str(participant_id))
        if participant.status == "erased" or not await self._may_see(tx, participant, actor):
            raise NotFound(f"participant {participant_id} does not exist")
        return participant

    async def _may_see(self, tx: Transaction, participant: Participant,
                       actor: Principal) -> bool:
        if actor.role == Role.PARTICIPANT:
            return actor.participant_id == UUID(participant.id)
        if actor.role != Role.ORG_STAFF or actor.org_id is None:
            return False  # network admins manage organisations, not people's records
        organisation = await self.organisations.get(tx, str(actor.org_id))
        return (organisation.is_member
                and organisation.joined.network_id == participant.network_id
                and participant.consent.shares_with(actor.org_id))

    async def _assisting_org(self, tx: Transaction, actor: Principal | None,
                             network_id: UUID) -> UUID | None:
        if actor is None:
            return None
        if actor.role != Role.ORG_STAFF or actor.org_id is None:
            raise Forbidden("only organisation staff can sign someone up on their behalf")
        organisation = await self.organisations.get(tx, str(actor.org_id))
        if not organisation.is_member or organisation.joined.network_id != network_id:
            raise Forbidden("staff can sign people up only to their own network")
        return actor.org_id

    async def _claim_email(self, tx: Transaction, participant_id: UUID,
                           email: str | None) -> None:
        if email is None:
            return
        index = self.keys.blind_index(email.lower(), purpose="email")
        try:
            await tx.conn.execute(insert(email_claims).values(
                email_index=index, participant_id=participant_id))
        except IntegrityError:
            raise Conflict("a participant with this e-mail address is already registered; "
                           "sign in with a one-time code instead") from None

    async def _seal(self, conn: AsyncConnection, participant_id: UUID, details: Details,
                    consent: Consent, equality: Equality) -> tuple[PersonalDetails, Consent]:
        """A newcomer's details and equality answers, sealed under their key at once."""
        given = _given_details(details) | _given_equality(equality)
        sealed = await self.keys.encrypt_many(conn, str(participant_id), given)
        return (PersonalDetails(**{n: sealed[n] for n in PERSONAL_FIELDS if n in sealed}),
                _with_equality(consent, sealed))

    async def _seal_equality(self, conn: AsyncConnection, participant_id: UUID,
                             consent: Consent, equality: Equality) -> Consent:
        sealed = await self.keys.encrypt_many(conn, str(participant_id),
                                              _given_equality(equality))
        return _with_equality(consent, sealed)

    async def _view(self, conn: AsyncConnection, participant: Participant) -> ParticipantView:
        """The participant with their sealed fields opened (their key read once)."""
        personal, consent = participant.personal.__dict__, participant.consent.__dict__
        opened = await self.keys.decrypt_many(conn, participant.id, {
            **{n: personal.get(n) for n in PERSONAL_FIELDS},
            **{n: consent.get(n) for n in EQUALITY_FIELDS}})
        return ParticipantView(participant, {n: opened[n] for n in PERSONAL_FIELDS},
                               {n: opened[n] for n in EQUALITY_FIELDS})

    async def _open_all(self, conn: AsyncConnection, subject: str, sealed: dict[str, Any],
                        names: tuple[str, ...]) -> dict[str, Any]:
        return await self.keys.decrypt_many(conn, subject, {n: sealed.get(n) for n in names})

    async def _opened(self, conn: AsyncConnection, participant_id: UUID,
                      data: dict[str, Any]) -> dict[str, Any]:
        for holder in ("personal", "consent"):
            if isinstance(data.get(holder), dict):
                names = PERSONAL_FIELDS if holder == "personal" else EQUALITY_FIELDS
                opened = await self._open_all(conn, str(participant_id), data[holder], names)
                data[holder] = {**data[holder], **{
                    k: ("[erased]" if data[holder].get(k) and v is None else v)
                    for k, v in opened.items()}}
        return data


def _given_details(details: Details) -> dict[str, str]:
    return {n: str(getattr(details, n)) for n in PERSONAL_FIELDS
            if getattr(details, n) is not None}


def _given_equality(equality: Equality) -> dict[str, str]:
    return {n: getattr(equality, n) for n in EQUALITY_FIELDS
            if getattr(equality, n) is not None}


def _with_equality(consent: Consent, sealed: dict[str, str]) -> Consent:
    return replace(consent, age_band=sealed.get("age_band"),
                   ethnicity=sealed.get("ethnicity"), disability=sealed.get("disability"))


def _check_version(participant: Participant, expected: int | None) -> None:
    """A client that read version N and sends If-Match: N must not overwrite a newer change."""
    if expected is not None and expected != participant.version:
        raise ConcurrencyError(participant.id, expected, participant.version)
