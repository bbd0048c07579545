"""Notifications, partner webhooks: subscriptions, deliveries, attempts, and the member
organisations registry published.

Revision ID: notifications_webhooks_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "notifications_webhooks_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notifications_webhooks",)
depends_on: str | Sequence[str] | None = "kernel_0001"

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_valid_until", UtcDateTime(), nullable=True),
        sa.Column("failing_since", UtcDateTime(), nullable=True),
        sa.Column("disabled_because", sa.String(length=20), nullable=True),
        sa.Column("disabled_detail", sa.String(length=200), nullable=True),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index("ix_webhook_subscriptions_network_status", "webhook_subscriptions",
                    ["network_id", "status"], unique=False)
    op.create_index(op.f("ix_webhook_subscriptions_organisation_id"), "webhook_subscriptions",
                    ["organisation_id"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("position", Position, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("lease_id", sa.Uuid(), nullable=True),
        sa.Column("leased_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("delivery_id"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries",
                    ["status", "next_attempt_at"], unique=False)
    op.create_index("ix_webhook_deliveries_in_order", "webhook_deliveries",
                    ["subscription_id", "subject", "status", "position"], unique=False)
    op.create_index("ix_webhook_deliveries_log", "webhook_deliveries",
                    ["subscription_id", "position"], unique=False)
    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", "attempt"),
    )
    op.create_table(
        "webhook_organisations",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )


def downgrade() -> None:
    op.drop_table("webhook_organisations")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_log", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_in_order", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhook_subscriptions_organisation_id"),
                  table_name="webhook_subscriptions")
    op.drop_index("ix_webhook_subscriptions_network_status", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
