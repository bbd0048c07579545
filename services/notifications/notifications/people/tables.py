"""The people half's tables, beside the event store. Every name starts with `people_`: the
partner webhooks half shares the database.

The directory, written by the consumer in the inbox's transaction from other services'
public events (no names, no e-mail addresses: contact details are fetched from the registry
at send time and never stored):
- `people_participants`: network, status, whether e-mail contact is allowed, consent scope
  and the organisations named, the kinds of involvement wanted;
- `people_organisations`: each organisation's public name;
- `people_opportunities`, `people_sessions`: opportunity titles and their scheduled sessions;
- `people_seats`: who holds a seat on which opportunity;
- `people_invitations`: invitations and whether they are still open.

What people are told:
- `people_preferences`: channel, frequency and quiet hours;
- `people_notices`: one row per (participant, event, channel), its words as sent, and where
  it stands; the unique key is what keeps a notice from going twice.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
)

from chorus.store.types import UtcDateTime

metadata = MetaData()

participants = Table(
    "people_participants", metadata,
    Column("participant_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("contact_channels", JSON, nullable=False),
    Column("scope", String(20), nullable=False),
    Column("organisation_ids", JSON, nullable=False),
    Column("kinds_wanted", JSON, nullable=False),
)

organisations = Table(
    "people_organisations", metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
)

opportunities = Table(
    "people_opportunities", metadata,
    Column("opportunity_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False),
    Column("network_id", Uuid, nullable=False),
    Column("title", String(200), nullable=False),
)

sessions = Table(
    "people_sessions", metadata,
    Column("session_id", Uuid, primary_key=True),
    Column("opportunity_id", Uuid, nullable=False, index=True),
    Column("starts_at", UtcDateTime(), nullable=False, index=True),
)

seats = Table(
    "people_seats", metadata,
    Column("opportunity_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, primary_key=True, index=True),
    Column("event_id", String(200), nullable=False),
)

invitations = Table(
    "people_invitations", metadata,
    Column("invitation_id", Uuid, primary_key=True),
    Column("opportunity_id", Uuid, nullable=False),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("open", Boolean, nullable=False),
    Column("invited_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Column("event_id", String(200), nullable=False),
)

preferences = Table(
    "people_preferences", metadata,
    Column("participant_id", Uuid, primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("frequency", String(20), nullable=False),
    Column("quiet_start", Time, nullable=True),
    Column("quiet_end", Time, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

notices = Table(
    "people_notices", metadata,
    Column("notice_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=True),
    Column("event_key", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("event_id", String(200), nullable=True),
    Column("event_type", String(200), nullable=True),
    Column("digestible", Boolean, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("title", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("due_at", UtcDateTime(), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("digest_id", Uuid, nullable=True, index=True),
    Column("reason", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),  # while `sending`: the lease
    UniqueConstraint("participant_id", "event_key", "channel", name="uq_people_notices_once"),
)
