"""Opportunities: write-side tables (invitation index, mileage ledger, involvements, the
pool and its clock, matching weights) and read models (listing, involvement record).

Revision ID: opportunities_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "opportunities_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("opportunities",)
depends_on: str | Sequence[str] | None = "kernel_0001"


def upgrade() -> None:
    op.create_table(
        "invitation_index",
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("invitation_id"),
    )
    op.create_index(
        op.f("ix_invitation_index_expires_at"), "invitation_index", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_invitation_index_participant_id"),
        "invitation_index",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "involvements",
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("invitation_id"),
    )
    op.create_index(
        op.f("ix_involvements_participant_id"), "involvements", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_involvements_seq"), "involvements", ["seq"], unique=False)
    op.create_table(
        "matching_weights",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("network_id"),
    )
    op.create_table(
        "mileage_ledger",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("miles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("network_id", "participant_id", "tax_year"),
    )
    op.create_table(
        "opportunity_listing",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closing_date", sa.Date(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id"),
    )
    op.create_index(
        op.f("ix_opportunity_listing_network_id"),
        "opportunity_listing",
        ["network_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opportunity_listing_organisation_id"),
        "opportunity_listing",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opportunity_listing_published_at"),
        "opportunity_listing",
        ["published_at"],
        unique=False,
    )
    op.create_table(
        "opportunity_listing_topics",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id", "topic"),
    )
    op.create_index(
        op.f("ix_opportunity_listing_topics_topic"),
        "opportunity_listing_topics",
        ["topic"],
        unique=False,
    )
    op.create_table(
        "pool_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pool_members",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index(op.f("ix_pool_members_seq"), "pool_members", ["seq"], unique=False)
    op.create_table(
        "record_expenses",
        sa.Column("expense_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("miles", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("days_to_payment", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("expense_id"),
    )
    op.create_index(
        op.f("ix_record_expenses_organisation_id"),
        "record_expenses",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_record_expenses_participant_id"),
        "record_expenses",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "record_invitations",
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invited_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("invitation_id"),
    )
    op.create_index(
        op.f("ix_record_invitations_participant_id"),
        "record_invitations",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "record_payments",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("amount_due_pence", sa.Integer(), nullable=False),
        sa.Column("amount_paid_pence", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("made_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("payment_id"),
    )
    op.create_index(
        op.f("ix_record_payments_participant_id"),
        "record_payments",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "record_sessions",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "participant_id"),
    )
    op.create_index(
        op.f("ix_record_sessions_participant_id"),
        "record_sessions",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "organisations",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_index(
        op.f("ix_organisations_network_id"), "organisations", ["network_id"], unique=False
    )
    op.bulk_insert(
        sa.table("pool_clock", sa.column("id", sa.Integer), sa.column("seq", sa.Integer)),
        [{"id": 1, "seq": 0}],
    )
