"""The registry's write-side tables, changed in the same transaction as the events.

They hold what must be checked at once rather than eventually: which e-mail addresses
are taken (as keyed hashes, never the address), organisation API keys (hashed), and
pending one-time sign-in codes (hashed); and each organisation's contact address, which
is kept here only and never put in an event.
"""

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, Uuid

from chorus.store.types import UtcDateTime

metadata = MetaData()

email_claims = Table(
    "email_claims", metadata,
    Column("email_index", String(100), primary_key=True),
    Column("participant_id", Uuid, nullable=False, unique=True),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False),
    Column("label", String(100), nullable=False),
    Column("secret_hash", LargeBinary, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

sign_in_codes = Table(
    "sign_in_codes", metadata,
    Column("participant_id", Uuid, primary_key=True),
    Column("code_hash", LargeBinary, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
)

organisation_contacts = Table(
    "organisation_contacts", metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)
