"""The people half of notifications: the directory kept from other services' events
(participants, organisation names, opportunities, sessions, seats, invitations), participants'
preferences, and the notices told to them.

Revision ID: notifications_people_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "notifications_people_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notifications_people",)
depends_on: str | Sequence[str] | None = "kernel_0001"


def upgrade() -> None:
    op.create_table(
        "people_invitations",
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("invited_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("invitation_id"),
    )
    op.create_index(
        op.f("ix_people_invitations_expires_at"), "people_invitations", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_people_invitations_participant_id"),
        "people_invitations",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "people_notices",
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("event_type", sa.String(length=200), nullable=True),
        sa.Column("digestible", sa.Boolean(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("notice_id"),
        sa.UniqueConstraint(
            "participant_id", "event_key", "channel", name="uq_people_notices_once"
        ),
    )
    op.create_index(
        op.f("ix_people_notices_digest_id"), "people_notices", ["digest_id"], unique=False
    )
    op.create_index(op.f("ix_people_notices_due_at"), "people_notices", ["due_at"], unique=False)
    op.create_index(
        op.f("ix_people_notices_participant_id"), "people_notices", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_people_notices_status"), "people_notices", ["status"], unique=False)
    op.create_table(
        "people_opportunities",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id"),
    )
    op.create_table(
        "people_organisations",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_table(
        "people_participants",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("contact_channels", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("organisation_ids", sa.JSON(), nullable=False),
        sa.Column("kinds_wanted", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index(
        op.f("ix_people_participants_network_id"),
        "people_participants",
        ["network_id"],
        unique=False,
    )
    op.create_table(
        "people_preferences",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_table(
        "people_seats",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id", "participant_id"),
    )
    op.create_index(
        op.f("ix_people_seats_participant_id"), "people_seats", ["participant_id"], unique=False
    )
    op.create_table(
        "people_sessions",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index(
        op.f("ix_people_sessions_opportunity_id"),
        "people_sessions",
        ["opportunity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_people_sessions_starts_at"), "people_sessions", ["starts_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_people_sessions_starts_at"), table_name="people_sessions")
    op.drop_index(op.f("ix_people_sessions_opportunity_id"), table_name="people_sessions")
    op.drop_table("people_sessions")
    op.drop_index(op.f("ix_people_seats_participant_id"), table_name="people_seats")
    op.drop_table("people_seats")
    op.drop_table("people_preferences")
    op.drop_index(op.f("ix_people_participants_network_id"), table_name="people_participants")
    op.drop_table("people_participants")
    op.drop_table("people_organisations")
    op.drop_table("people_opportunities")
    op.drop_index(op.f("ix_people_notices_status"), table_name="people_notices")
    op.drop_index(op.f("ix_people_notices_participant_id"), table_name="people_notices")
    op.drop_index(op.f("ix_people_notices_due_at"), table_name="people_notices")
    op.drop_index(op.f("ix_people_notices_digest_id"), table_name="people_notices")
    op.drop_table("people_notices")
    op.drop_index(op.f("ix_people_invitations_participant_id"), table_name="people_invitations")
    op.drop_index(op.f("ix_people_invitations_expires_at"), table_name="people_invitations")
    op.drop_table("people_invitations")
