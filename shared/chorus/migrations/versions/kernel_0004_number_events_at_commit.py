"""Events get their global position when their transaction commits, not when inserted.

A reader follows `position`, so positions must become visible in order. Until now each
append locked the events table until commit, holding every other writer of the service
for the client's round trips in between. Now a row is inserted with a provisional
(negative, never read) position, and a deferred trigger numbers the transaction's rows
at commit, one transaction at a time: the lock is held only for that last step, inside
the server. PostgreSQL only; SQLite has one writer at a time anyway.

Revision ID: kernel_0004
Revises: kernel_0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "kernel_0004"
down_revision: str | Sequence[str] | None = "kernel_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERING_LOCK = 7_305_412_002  # one numbering transaction at a time, per database


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE events_provisional_position")
    op.execute("ALTER TABLE events ALTER COLUMN position "
               "SET DEFAULT -nextval('events_provisional_position')")
    # Row triggers deferred to commit fire in the order the rows were inserted, so a
    # transaction's events keep their order; the advisory lock is released only after
    # the commit is visible, so the next transaction's numbers come after these.
    op.execute(f"""
        CREATE FUNCTION chorus_number_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({NUMBERING_LOCK});
            UPDATE events
               SET position = nextval(pg_get_serial_sequence('events', 'position'))
             WHERE position = NEW.position;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE CONSTRAINT TRIGGER events_numbered AFTER INSERT ON events
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION chorus_number_event()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER events_numbered ON events")
    op.execute("DROP FUNCTION chorus_number_event()")
    op.execute("ALTER TABLE events ALTER COLUMN position "
               "SET DEFAULT nextval(pg_get_serial_sequence('events', 'position'))")
    op.execute("DROP SEQUENCE events_provisional_position")
