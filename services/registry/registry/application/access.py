"""Access: organisation API keys, participant sign-in by one-time code, and tokens.

Keys and codes are stored only as hashes. A key is shown once, when it is created; a
code is sent to the person and is good for ten minutes and five tries. The answer to a
code request never says whether the address is registered.
"""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select, update

from chorus.auth import Forbidden, Principal, Role, TokenIssuer, Unauthenticated
from chorus.contracts.vocabulary import ParticipantStatus
from chorus.crypto import KeyRing
from chorus.errors import NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from registry.domain import EVENT_TYPES, Organisation, Participant
from registry.tables import api_keys, email_claims, sign_in_codes

log = logging.getLogger(__name__)

KEY_PREFIX = "chorus_"
CODE_LIFETIME = timedelta(minutes=10)
CODE_ATTEMPTS = 5

CodeSender = Callable[[UUID, str], Awaitable[None]]
"""Delivers a sign-in code to a participant (by id; the sender looks up how to reach them)."""


async def print_code(participant_id: UUID, code: str) -> None:
    """The embedded default's sender: the code goes to the console, never the address."""
    print(f"Sign-in code for participant {participant_id}: {code}", flush=True)


@dataclass(frozen=True)
class NewApiKey:
    key_id: UUID
    organisation_id: UUID
    label: str
    secret: str
    created_at: datetime


class Access:
    def __init__(self, db: Database, store: EventStore, keys: KeyRing, issuer: TokenIssuer,
                 *, admin_key: str | None, service_keys: Mapping[str, str] | None = None,
                 send_code: CodeSender = print_code,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.keys = keys
        self.issuer = issuer
        self.admin_key = admin_key
        self.service_keys = dict(service_keys or {})
        self.send_code = send_code
        self.clock = clock
        codec = EventCodec(EVENT_TYPES)
        self.organisations = Repository(store, codec, Organisation)
        self.participants = Repository(store, codec, Participant)

    async def create_api_key(self, organisation_id: UUID, label: str,
                             actor: Principal) -> NewApiKey:
        async with self.db.transaction() as tx:
            organisation = await self._manageable(tx, organisation_id, actor)
            key_id, secret = uuid4(), secrets.token_urlsafe(32)
            now = self.clock()
            await tx.conn.execute(insert(api_keys).values(
                key_id=key_id, organisation_id=organisation_id,
                network_id=organisation.joined.network_id, label=label,
                secret_hash=_hash(secret), created_by=actor.subject, created_at=now))
        return NewApiKey(key_id, organisation_id, label, f"{KEY_PREFIX}{key_id.hex}_{secret}",
                         now)

    async def list_api_keys(self, organisation_id: UUID,
                            actor: Principal) -> list[dict[str, object]]:
        async with self.db.transaction() as tx:
            await self._manageable(tx, organisation_id, actor)
            rows = await tx.conn.execute(
                select(api_keys.c.key_id, api_keys.c.label, api_keys.c.created_at,
                       api_keys.c.revoked_at, api_keys.c.created_by)
                .where(api_keys.c.organisation_id == organisation_id)
                .order_by(api_keys.c.created_at))
            return [dict(row) for row in rows.mappings()]

    async def revoke_api_key(self, organisation_id: UUID, key_id: UUID,
                             actor: Principal) -> None:
        async with self.db.transaction() as tx:
            await self._manageable(tx, organisation_id, actor)
            result = await tx.conn.execute(
                update(api_keys).where(api_keys.c.key_id == key_id,
                                       api_keys.c.organisation_id == organisation_id,
                                       api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self.clock()))
            if result.rowcount == 0:
                raise NotFound(f"no active API key {key_id} for organisation {organisation_id}")

    async def token_for_key(self, presented: str) -> str:
        """Exchange an API key for a short-lived token."""
        if self.admin_key and hmac.compare_digest(presented.encode(), self.admin_key.encode()):
            return self.issuer.issue(Principal(subject="admin", role=Role.NETWORK_ADMIN))
        for name, key in self.service_keys.items():
            if hmac.compare_digest(presented.encode(), key.encode()):
                return self.issuer.issue(Principal(subject=f"service:{name}", role=Role.SERVICE,
                                                   service=name))
        key_id, secret = _parse_key(presented)
        async with self.db.connect() as conn:
            row = (await conn.execute(select(api_keys).where(
                api_keys.c.key_id == key_id))).mappings().first()
        if (row is None or row["revoked_at"] is not None
                or not hmac.compare_digest(row["secret_hash"], _hash(secret))):
            raise Unauthenticated("the API key is not valid")
        async with self.db.transaction() as tx:
            organisation = await self.organisations.get(tx, str(row["organisation_id"]))
        if not organisation.is_member:
            raise Unauthenticated("the organisation has left the network")
        return self.issuer.issue(Principal(
            subject=f"api-key:{key_id}", role=Role.ORG_STAFF,
            org_id=row["organisation_id"], network_id=row["network_id"]))

    async def renew(self, actor: Principal) -> str:
        """A fresh token for someone signed in who is still entitled to one, so that a
        session lasts while it is used: never for an erased participant, a revoked key, an
        organisation that has left, or a caller that holds a key of its own to exchange."""
        if actor.role == Role.PARTICIPANT:
            async with self.db.transaction() as tx:
                participant = await self.participants.get(tx, str(actor.participant_id))
            if participant.status == ParticipantStatus.ERASED:
                raise Unauthenticated("this person's record has been erased")
        elif actor.role == Role.ORG_STAFF:
            await self._key_still_valid(actor)
        elif actor.role != Role.NETWORK_ADMIN or actor.subject != "admin" or not self.admin_key:
            raise Forbidden("services and partners exchange their own key for a new token")
        return self.issuer.issue(actor)

    async def _key_still_valid(self, actor: Principal) -> None:
        try:
            key_id = UUID(actor.subject.removeprefix("api-key:"))
        except ValueError:
            raise Unauthenticated("the token names no API key") from None
        async with self.db.connect() as conn:
            row = (await conn.execute(select(api_keys).where(
                api_keys.c.key_id == key_id))).mappings().first()
        if row is None or row["revoked_at"] is not None:
            raise Unauthenticated("the API key behind this session has been revoked")
        async with self.db.transaction() as tx:
            organisation = await self.organisations.get(tx, str(row["organisation_id"]))
        if not organisation.is_member:
            raise Unauthenticated("the organisation has left the network")

    async def send_sign_in_code(self, email: str) -> None:
        """Send a code if the address belongs to someone who can sign in; say nothing else."""
        participant_id = await self._participant_for(email)
        if participant_id is None:
            return
        code = f"{secrets.randbelow(10**6):06d}"
        async with self.db.transaction() as tx:
            await tx.conn.execute(delete(sign_in_codes)
                                  .where(sign_in_codes.c.participant_id == participant_id))
            await tx.conn.execute(insert(sign_in_codes).values(
                participant_id=participant_id, code_hash=_hash(f"{participant_id}:{code}"),
                expires_at=self.clock() + CODE_LIFETIME, attempts=0))
        await self.send_code(participant_id, code)

    async def token_for_code(self, email: str, code: str) -> str:
        participant_id = await self._participant_for(email)
        if participant_id is None or not await self._code_matches(participant_id, code):
            raise Unauthenticated("the code is wrong or has expired; ask for a new one")
        async with self.db.transaction() as tx:
            participant = await self.participants.get(tx, str(participant_id))
        return self.issuer.issue(Principal(
            subject=f"participant:{participant_id}", role=Role.PARTICIPANT,
            participant_id=participant_id, network_id=participant.network_id))

    async def _code_matches(self, participant_id: UUID, code: str) -> bool:
        async with self.db.transaction() as tx:
            row = (await tx.conn.execute(select(sign_in_codes).where(
                sign_in_codes.c.participant_id == participant_id))).mappings().first()
            if row is None or row["expires_at"] < self.clock() or row["attempts"] >= CODE_ATTEMPTS:
                return False
            if hmac.compare_digest(row["code_hash"], _hash(f"{participant_id}:{code}")):
                await tx.conn.execute(delete(sign_in_codes)
                                      .where(sign_in_codes.c.participant_id == participant_id))
                return True
            await tx.conn.execute(update(sign_in_codes)
                                  .where(sign_in_codes.c.participant_id == participant_id)
                                  .values(attempts=sign_in_codes.c.attempts + 1))
            return False

    async def _participant_for(self, email: str) -> UUID | None:
        index = self.keys.blind_index(email.lower(), purpose="email")
        async with self.db.connect() as conn:
            found = await conn.execute(select(email_claims.c.participant_id)
                                       .where(email_claims.c.email_index == index))
            participant_id: UUID | None = found.scalar_one_or_none()
            return participant_id

    async def _manageable(self, tx: Transaction, organisation_id: UUID,
                          actor: Principal) -> Organisation:
        """Keys are managed by the organisation's own staff or a network admin."""
        organisation = await self.organisations.get(tx, str(organisation_id))
        if actor.role == Role.NETWORK_ADMIN and actor.network_id in (
                None, organisation.joined.network_id):
            return organisation
        if (actor.role == Role.ORG_STAFF and actor.org_id == organisation_id
                and organisation.is_member):
            return organisation
        raise Forbidden("only the organisation's staff or a network admin manage its keys")


def _hash(secret: str) -> bytes:
    # Keys and codes are random and high-entropy, so a plain SHA-256 is enough.
    return hashlib.sha256(secret.encode()).digest()


def _parse_key(presented: str) -> tuple[UUID, str]:
    try:
        key_hex, secret = presented.removeprefix(KEY_PREFIX).split("_", 1)
        return UUID(hex=key_hex), secret
    except ValueError:
        raise Unauthenticated("the API key is not valid") from None
