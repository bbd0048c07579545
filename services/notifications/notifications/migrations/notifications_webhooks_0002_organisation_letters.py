"""Notifications, partner webhooks: the e-mail each disabled subscription's organisation is
owed.

Revision ID: notifications_webhooks_0002
Revises: notifications_webhooks_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "notifications_webhooks_0002"
down_revision: str | Sequence[str] | None = "notifications_webhooks_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_organisation_letters",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", UtcDateTime(), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("told_at", UtcDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index("ix_webhook_organisation_letters_due", "webhook_organisation_letters",
                    ["status", "next_try_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_organisation_letters_due",
                  table_name="webhook_organisation_letters")
    op.drop_table("webhook_organisation_letters")
