"""Per-person data keys: personal data is encrypted under its person's own key, and erasing
the person deletes that key (crypto-shredding).

Each person (subject) gets a random 256-bit AES-GCM data key, stored only wrapped by the
master key, in `data_keys`. A value becomes a text token (`enc:v1:...`) whose associated
data names the subject and the purpose (the field), so a token copied to another person or
field does not decrypt. Once the key is shredded, every copy of the person's tokens, in the
event store, the outbox or a backup, is unreadable. Blind indexes (keyed HMACs) answer
"is this value already known" without storing the value.
"""

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.errors import ChorusError, SettingsError
from chorus.secretfiles import read_or_create
from chorus.settings import Settings
from chorus.store.schema import data_keys

TOKEN_PREFIX = "enc:v1:"
KEY_FILE = "master.key"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_SUBJECT_ID_MAX = 100


class TamperedToken(ChorusError):
    """A token is malformed, was altered, or belongs to another person or field."""


class MasterKey:
    """The process's root secret. Only the sub-keys derived from it are ever used."""

    def __init__(self, secret: bytes) -> None:
        """Derive the sub-keys from 32 secret bytes."""
        if len(secret) != _KEY_BYTES:
            raise ValueError(f"a master key is {_KEY_BYTES} bytes, not {len(secret)}")
        self.wrapping_key = _derive(secret, "wrap data keys")
        self.index_key = _derive(secret, "blind index")

    def __repr__(self) -> str:
        return "MasterKey(...)"

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The key in CHORUS_MASTER_KEY; in development without one, the data directory's
        key file, created on first use. Raise SettingsError if it is missing or malformed."""
        if settings.master_key is not None:
            value = settings.master_key.get_secret_value()
            return cls(_decode_master_key(value, "CHORUS_MASTER_KEY"))
        if settings.environment == "production":
            raise SettingsError(
                "CHORUS_MASTER_KEY is required in production "
                "(32 random bytes, base64-encoded: `openssl rand -base64 32`)"
            )
        return cls(_load_or_create_key_file(settings.data_dir / KEY_FILE))


class KeyRing:
    """Encrypts each person's data under their own key, and forgets the key on erasure.

    Every method takes the connection to use; writers pass their transaction's `tx.conn`,
    so a key created for a write commits, or not, with the write. Unwrapped keys are never
    kept beyond one call: once shredded, a key survives nowhere.
    """

    def __init__(self, master: MasterKey) -> None:
        self._wrapper = AESGCM(master.wrapping_key)
        self._index_key = master.index_key

    async def encrypt(
        self, conn: AsyncConnection, subject_id: str, plaintext: str, *, purpose: str
    ) -> str:
        """Encrypt one value of this person's `purpose` (the field, e.g. "email") into a
        token. The person's key is created on first use."""
        tokens = await self.encrypt_many(conn, subject_id, {purpose: plaintext})
        return tokens[purpose]

    async def encrypt_many(
        self, conn: AsyncConnection, subject_id: str, values: Mapping[str, str]
    ) -> dict[str, str]:
        """Encrypt several values of one person's, given and returned by purpose."""
        cipher = AESGCM(await self._key_for_writing(conn, subject_id))
        return {
            purpose: _seal(cipher, subject_id, purpose, plaintext)
            for purpose, plaintext in values.items()
        }

    async def decrypt(
        self, conn: AsyncConnection, subject_id: str, token: str, *, purpose: str
    ) -> str | None:
        """The value in `token`, or None once the person's key is shredded.

        Raise TamperedToken if the token was altered or is another person's or field's.
        """
        values = await self.decrypt_many(conn, subject_id, {purpose: token})
        return values[purpose]

    async def decrypt_many(
        self, conn: AsyncConnection, subject_id: str, tokens: Mapping[str, str | None]
    ) -> dict[str, str | None]:
        """Decrypt several of one person's tokens, given and returned by purpose, reading
        their key once. A missing token stays None; all are None once the key is shredded."""
        key = await self._stored_key(conn, subject_id)
        if key is None:
            return dict.fromkeys(tokens)
        cipher = AESGCM(key)
        return {
            purpose: None if token is None else _open(cipher, subject_id, purpose, token)
            for purpose, token in tokens.items()
        }

    async def shred(self, conn: AsyncConnection, subject_id: str) -> bool:
        """Delete this person's key, so every copy of their encrypted data becomes
        unreadable. Return whether there was a key to delete."""
        async with _overwriting_deleted_rows(conn):
            result = await conn.execute(
                delete(data_keys).where(data_keys.c.subject_id == subject_id)
            )
        return result.rowcount > 0

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed fingerprint of `value` (64 hex digits) for equality lookups, such as
        "is this e-mail address registered", without storing the value.

        The caller normalises the value first (e.g. trims and lower-cases an address).
        """
        message = _bind("blind index", purpose, value)
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    async def _key_for_writing(self, conn: AsyncConnection, subject_id: str) -> bytes:
        if len(subject_id) > _SUBJECT_ID_MAX:
            raise ValueError(f"subject ids are at most {_SUBJECT_ID_MAX} characters")
        key = await self._stored_key(conn, subject_id)
        if key is not None:
            return key
        # Another transaction may be creating this person's first key right now: insert
        # only if absent, then use whichever key was stored, so the person has one key.
        key = AESGCM.generate_key(bit_length=256)
        inserting = _insert_if_absent(conn, subject_id, self._wrap(subject_id, key))
        if await conn.scalar(inserting.returning(data_keys.c.subject_id)) is not None:
            return key
        key = await self._stored_key(conn, subject_id)
        if key is None:
            raise ChorusError(f"the data key of {subject_id} was shredded while in use")
        return key

    async def _stored_key(self, conn: AsyncConnection, subject_id: str) -> bytes | None:
        wrapped = await conn.scalar(
            select(data_keys.c.wrapped_key).where(data_keys.c.subject_id == subject_id)
        )
        return None if wrapped is None else self._unwrap(subject_id, wrapped)

    def _wrap(self, subject_id: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._wrapper.encrypt(nonce, key, _bind("data key", subject_id))

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        nonce, sealed = wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:]
        try:
            return self._wrapper.decrypt(nonce, sealed, _bind("data key", subject_id))
        except InvalidTag:
            raise SettingsError(
                f"the data key of {subject_id} does not open with this master key: "
                "is CHORUS_MASTER_KEY the key it was stored with?"
            ) from None


def _seal(cipher: AESGCM, subject_id: str, purpose: str, plaintext: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode(), _bind("value", subject_id, purpose))
    return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def _open(cipher: AESGCM, subject_id: str, purpose: str, token: str) -> str:
    raw = _token_bytes(token)
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    try:
        plaintext = cipher.decrypt(nonce, sealed, _bind("value", subject_id, purpose))
    except InvalidTag:
        raise TamperedToken(f"this {purpose} token was altered or is not {subject_id}'s") from None
    return plaintext.decode()


def _token_bytes(token: str) -> bytes:
    if not token.startswith(TOKEN_PREFIX):
        raise TamperedToken(f"not an encrypted value: tokens start with {TOKEN_PREFIX!r}")
    body = token.removeprefix(TOKEN_PREFIX)
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except ValueError:
        raise TamperedToken("the token is not valid base64url") from None
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise TamperedToken("the token is too short")
    return raw


def _bind(*parts: str) -> bytes:
    """Unambiguous associated data: a version label, then each part after its length."""
    encoded = [part.encode() for part in ("chorus v1", *parts)]
    return b"".join(len(part).to_bytes(4, "big") + part for part in encoded)


def _insert_if_absent(
    conn: AsyncConnection, subject_id: str, wrapped: bytes
) -> postgresql.Insert | sqlite.Insert:
    row = {"subject_id": subject_id, "wrapped_key": wrapped, "created_at": datetime.now(UTC)}
    if conn.dialect.name == "postgresql":
        return (
            postgresql.insert(data_keys)
            .values(row)
            .on_conflict_do_nothing(index_elements=[data_keys.c.subject_id])
        )
    return (
        sqlite.insert(data_keys)
        .values(row)
        .on_conflict_do_nothing(index_elements=[data_keys.c.subject_id])
    )


@asynccontextmanager
async def _overwriting_deleted_rows(conn: AsyncConnection) -> AsyncIterator[None]:
    # SQLite otherwise leaves a deleted row's bytes in the freed page, where the wrapped
    # key would outlive its erasure. Restored after, as other deletes need not pay for it.
    if conn.dialect.name != "sqlite":
        yield
        return
    before = await conn.scalar(text("PRAGMA secure_delete"))
    await conn.execute(text("PRAGMA secure_delete = 1"))
    try:
        yield
    finally:
        await conn.execute(text(f"PRAGMA secure_delete = {int(before)}"))


def _derive(secret: bytes, purpose: str) -> bytes:
    info = _bind("master key", purpose)
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=info).derive(secret)


def _decode_master_key(value: str, source: str) -> bytes:
    try:
        secret = base64.b64decode(value.strip(), validate=True)
    except ValueError:
        secret = b""
    if len(secret) != _KEY_BYTES:
        raise SettingsError(f"{source}: must be {_KEY_BYTES} random bytes, base64-encoded")
    return secret


def _load_or_create_key_file(path: Path) -> bytes:
    text = read_or_create(
        path, lambda: base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode() + "\n")
    return _decode_master_key(text, str(path))
