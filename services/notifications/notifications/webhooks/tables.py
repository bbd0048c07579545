"""The partner webhooks' tables beside the event store.

Written in the same transaction as the events they follow:
- `webhook_subscriptions`: each subscription as the fan-out and the dispatcher need it
  (network, patterns, endpoint, sealed secrets, status, how long it has been failing);
- `webhook_deliveries`: one row per event per matching subscription, written in the
  inbox's transaction; the dispatcher leases due rows, sends them and records the attempt;
- `webhook_attempts`: every attempt of every delivery, for the delivery log;
- `webhook_organisation_letters`: the e-mail each disabled subscription's organisation is
  owed, written with the disabling, then claimed, sent and recorded by its worker (never
  the address: that is asked of the registry at send time).

Written by the consumer of registry events, in the inbox's transaction:
- `webhook_organisations`: which network each member organisation belongs to.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from chorus.store.types import UtcDateTime

metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
Position = BigInteger().with_variant(Integer(), "sqlite")

subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("subscription_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("secret", Text, nullable=False),  # sealed
    Column("previous_secret", Text, nullable=True),  # sealed; signs until previous_valid_until
    Column("previous_valid_until", UtcDateTime(), nullable=True),
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("disabled_because", String(20), nullable=True),
    Column("disabled_detail", String(200), nullable=True),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_webhook_subscriptions_network_status", "network_id", "status"),
)

deliveries = Table(
    "webhook_deliveries", metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("delivery_id", Uuid, nullable=False, unique=True),
    Column("subscription_id", Uuid, nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),  # every attempt, replays included
    Column("tries", Integer, nullable=False),  # attempts since it was queued or replayed
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("lease_id", Uuid, nullable=True),
    Column("leased_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_in_order", "subscription_id", "subject", "status",
          "position"),
    Index("ix_webhook_deliveries_log", "subscription_id", "position"),
)

attempts = Table(
    "webhook_attempts", metadata,
    Column("delivery_id", Uuid, primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("reason", String(200), nullable=True),
)

organisations = Table(
    "webhook_organisations", metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False),
    Column("member", Boolean, nullable=False),
)

letters = Table(
    "webhook_organisation_letters", metadata,
    Column("subscription_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("next_try_at", UtcDateTime(), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("told_at", UtcDateTime(), nullable=True),
    Column("reason", String(200), nullable=True),  # why not (yet) told
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_webhook_organisation_letters_due", "status", "next_try_at"),
)
