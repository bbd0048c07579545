"""Registry write-side tables: e-mail claims, organisation API keys, sign-in codes.

Revision ID: registry_0002
Revises: registry_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "registry_0002"
down_revision: str | Sequence[str] | None = "registry_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_claims",
        sa.Column("email_index", sa.String(100), primary_key=True),
        sa.Column("participant_id", sa.Uuid, nullable=False, unique=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Uuid, primary_key=True),
        sa.Column("organisation_id", sa.Uuid, nullable=False, index=True),
        sa.Column("network_id", sa.Uuid, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "sign_in_codes",
        sa.Column("participant_id", sa.Uuid, primary_key=True),
        sa.Column("code_hash", sa.LargeBinary, nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("sign_in_codes", "api_keys", "email_claims"):
        op.drop_table(table)
