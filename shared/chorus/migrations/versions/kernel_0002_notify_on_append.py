"""PostgreSQL notifies `chorus_events` whenever events are appended.

Revision ID: kernel_0002
Revises: kernel_0001

The trigger fires once per INSERT statement and the notification is delivered at commit,
so relays and projections in other processes wake at once, at no extra round trip.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "kernel_0002"
down_revision: str | Sequence[str] | None = "kernel_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION chorus_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('chorus_events', '');
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER events_appended AFTER INSERT ON events
        FOR EACH STATEMENT EXECUTE FUNCTION chorus_notify_events()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER events_appended ON events")
    op.execute("DROP FUNCTION chorus_notify_events()")
