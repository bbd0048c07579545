"""Notifications, people: a notice being e-mailed is claimed until a time, so that several
instances can send from one database and a claim cut off by a crash can be told apart from
one still running.

Revision ID: notifications_people_0002
Revises: notifications_people_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "notifications_people_0002"
down_revision: str | Sequence[str] | None = "notifications_people_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people_notices", sa.Column("claimed_until", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("people_notices", "claimed_until")
