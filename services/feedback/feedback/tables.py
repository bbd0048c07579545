"""The feedback service's tables beside its event store.

Written in the same transaction as the events (write side), because a command needs them
to be exact:
- `consultation_index`: each consultation's status and closing time, locked while a response
  is taken so that none slips in after it closed; the schedule closes the due ones;
- `responses`: every response, scrubbed, with its tags, to summarise at close and to check a
  change's links;
- `story_index`, `story_organisations`: each story's status and the organisations it names;
- `change_index`, `change_parts`, `change_links`, `change_voices`: "you said, we did" as
  people browse it, and each participant's own "what happened because of my input".

Written by the consumer of registry events, in the inbox's transaction:
- `organisations`: the member organisations of each network;
- `participants`: each participant's network and status, and, only while they opt in to
  equality monitoring, the deprivation decile of their area.

The read models (`projections.py`) are rebuilt from the store.
"""

from sqlalchemy import JSON, Boolean, Column, Date, Integer, MetaData, String, Table, Uuid

from chorus.store.types import UtcDateTime

metadata = MetaData()

consultation_index = Table(
    "consultation_index", metadata,
    Column("consultation_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("audience", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=False, index=True),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("outcome_at", UtcDateTime(), nullable=True),
)

responses = Table(
    "responses", metadata,
    Column("feedback_id", Uuid, primary_key=True),
    Column("consultation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False),
    Column("participant_id", Uuid, nullable=True, index=True),
    Column("channel", String(20), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
)

story_index = Table(
    "story_index", metadata,
    Column("story_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("participant_id", Uuid, nullable=True, index=True),
    Column("status", String(30), nullable=False),
    Column("service_area", String(100), nullable=False),
    Column("title", String(200), nullable=False),
    Column("published_text", String(), nullable=True),
    Column("shared_at", UtcDateTime(), nullable=False, index=True),
)

story_organisations = Table(
    "story_organisations", metadata,
    Column("story_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, primary_key=True, index=True),
)

change_index = Table(
    "change_index", metadata,
    Column("change_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("service_area", String(100), nullable=False),
    Column("changed_on", Date, nullable=False),
    Column("made_at", UtcDateTime(), nullable=False, index=True),
)

change_parts = Table(
    "change_parts", metadata,
    Column("change_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, primary_key=True, index=True),
    Column("owner", String(100), nullable=False),
    Column("status", String(20), nullable=False),
)

change_links = Table(
    "change_links", metadata,
    Column("change_id", Uuid, primary_key=True),
    Column("kind", String(20), primary_key=True),  # consultation, feedback or story
    Column("linked_id", Uuid, primary_key=True, index=True),
)

change_voices = Table(
    "change_voices", metadata,
    Column("change_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, primary_key=True, index=True),
)

organisations = Table(
    "organisations", metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("member", Boolean, nullable=False),
)

participants = Table(
    "participants", metadata,
    Column("participant_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("deprivation_decile", Integer, nullable=True),
)
