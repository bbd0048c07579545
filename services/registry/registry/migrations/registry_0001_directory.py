"""Registry read models: the directory of networks and organisations.

Revision ID: registry_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("registry",)
depends_on: str | Sequence[str] | None = "kernel_0001"

moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("network_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(32)),
        sa.Column("created_at", moment, nullable=False),
    )
    op.create_table(
        "organisations",
        sa.Column("organisation_id", sa.Uuid, primary_key=True),
        sa.Column("network_id", sa.Uuid, sa.ForeignKey("networks.network_id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ods_code", sa.String(10)),
        sa.Column("joined_at", moment, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("organisations")
    op.drop_table("networks")
