"""The opportunities service's tables beside its event store.

Written in the same transaction as the events (write side):
- `invitation_index`: which opportunity an invitation belongs to, its status and expiry, so
  an invitation can be found by id, a person's open invitations withdrawn, and lapsed ones
  swept;
- `mileage_ledger`: the miles each person claimed in a network per tax year, so the 45p
  rate stops at 10,000 miles across every organisation, even for claims made at once;
- `involvements`: when each person was given a seat, for fair matching;
- `matching_weights`: each network's weights for matching.

Written by the consumer of registry events, in the inbox's transaction:
- `pool_members`: each participant's non-personal matching facts, as registry published
  them; an erased person is a tombstone with no facts;
- `organisations`: the member organisations of each network, as registry published them.

`pool_clock` numbers every change to `pool_members` and `involvements`: its one row is
updated in each such transaction, so changes are numbered in commit order and the matching
index in each process reads only what is new.

The read models (`projections.py`) are rebuilt from the store.
"""

from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table, Uuid

from chorus.store.types import UtcDateTime

metadata = MetaData()

invitation_index = Table(
    "invitation_index", metadata,
    Column("invitation_id", Uuid, primary_key=True),
    Column("opportunity_id", Uuid, nullable=False),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)

mileage_ledger = Table(
    "mileage_ledger", metadata,
    Column("network_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, primary_key=True),
    Column("tax_year", Integer, primary_key=True),
    Column("miles", Integer, nullable=False),
)

involvements = Table(
    "involvements", metadata,
    Column("invitation_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False),
    Column("assigned_at", UtcDateTime(), nullable=False),
    Column("seq", Integer, nullable=False, index=True),
)

pool_members = Table(
    "pool_members", metadata,
    Column("participant_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False),
    Column("paused_until", Date, nullable=True),
    Column("facts", JSON, nullable=False),
    Column("seq", Integer, nullable=False, index=True),
)

pool_clock = Table(
    "pool_clock", metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
)

matching_weights = Table(
    "matching_weights", metadata,
    Column("network_id", Uuid, primary_key=True),
    Column("weights", JSON, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
)

organisations = Table(
    "organisations", metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
)
