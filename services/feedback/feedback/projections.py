"""Read models rebuilt from the feedback service's own store.

- `Accountability`: the facts behind every organisation's and network's accountability
  metrics: consultations and their outcomes, stories, what led to a change, the stage of
  each opportunity, who was involved, invitations declined and how long expenses took. The
  opportunities service's facts are in the store too, noted as they arrived, so the whole
  read model is rebuilt from one log.
- `LearningLibrary`: learning, searchable by its words and tags across the region.
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chorus.domain import DomainEvent
from chorus.repository import EventCodec
from chorus.store import RecordedEvent
from chorus.store.database import Transaction
from chorus.store.types import UtcDateTime
from feedback.domain import change as c
from feedback.domain import consultation as k
from feedback.domain import feedback as f
from feedback.domain import learning as lr
from feedback.domain import noted as n
from feedback.domain import story as s
from feedback.text.search import terms_of

metadata = MetaData()

m_consultations = Table(
    "m_consultations", metadata,
    Column("consultation_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("days_to_outcome", Integer, nullable=True),
)

m_feedback = Table(
    "m_feedback", metadata,
    Column("feedback_id", Uuid, primary_key=True),
    Column("consultation_id", Uuid, nullable=False),
)

m_stories = Table(
    "m_stories", metadata,
    Column("story_id", Uuid, primary_key=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("published", Boolean, nullable=False),
)

m_story_organisations = Table(
    "m_story_organisations", metadata,
    Column("story_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, primary_key=True, index=True),
)

m_changed = Table(
    "m_changed", metadata,
    Column("linked_id", Uuid, primary_key=True),  # a consultation or a story that led to one
)

m_opportunities = Table(
    "m_opportunities", metadata,
    Column("opportunity_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("stage", String(20), nullable=False),
    Column("withdrawn", Boolean, nullable=False),
)

m_involvement = Table(
    "m_involvement", metadata,
    Column("source_id", Uuid, primary_key=True),  # a session attended, or a response
    Column("participant_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
)

m_invitations = Table(
    "m_invitations", metadata,
    Column("network_id", Uuid, primary_key=True),
    Column("sent", Integer, nullable=False),
    Column("declined", Integer, nullable=False),
)

m_expenses = Table(
    "m_expenses", metadata,
    Column("expense_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("days_to_payment", Integer, nullable=False),
)

learning = Table(
    "learning", metadata,
    Column("learning_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("summary", String(), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("change_ids", JSON, nullable=False),
    Column("consultation_ids", JSON, nullable=False),
    Column("shared_at", UtcDateTime(), nullable=False, index=True),
)

learning_terms = Table(
    "learning_terms", metadata,
    Column("term", String(60), primary_key=True),
    Column("learning_id", Uuid, primary_key=True),
)

learning_tags = Table(
    "learning_tags", metadata,
    Column("tag", String(40), primary_key=True),
    Column("learning_id", Uuid, primary_key=True),
)


class _Projection:
    def __init__(self, codec: EventCodec) -> None:
        self.codec = codec

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None:
        if event.event_type in self.handles:
            await self.project(tx, self.codec.decode(event))

    handles: frozenset[str] = frozenset()

    async def project(self, tx: Transaction, event: DomainEvent) -> None:
        raise NotImplementedError


class Accountability:
    """The facts behind the accountability metrics.

    It applies a batch of events at once: `_Writes` folds the batch in memory (in store
    order) into the rows to insert, update and delete, and writes each kind with one
    statement, so a rebuild costs a few statements per batch rather than several per event.
    """

    name = "accountability"
    tables = (m_consultations, m_feedback, m_stories, m_story_organisations, m_changed,
              m_opportunities, m_involvement, m_invitations, m_expenses)
    handles = frozenset(t.stored_name for t in (
        k.ConsultationOpened, k.ConsultationClosed, k.OutcomePublished, f.FeedbackSubmitted,
        f.FeedbackWithdrawn, s.StoryShared, s.StoryModerated, c.ChangeMade))
    handles |= frozenset(t.stored_name for t in n.NOTED_EVENTS)

    def __init__(self, codec: EventCodec) -> None:
        self.codec = codec

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None:
        await self.apply_batch(tx, [event])

    async def apply_batch(self, tx: Transaction, events: Sequence[RecordedEvent]) -> None:
        writes = _Writes()
        for event in events:
            if event.event_type in self.handles:
                writes.fold(self.codec.decode(event))
        await writes.flush(tx)


class _Writes:
    """One batch's effect on the accountability tables, folded in memory in store order.

    Rows the batch creates are changed in memory; rows from earlier batches are changed by
    one statement per kind of change. `flush` updates and deletes before it inserts, which
    is safe because each id is created once: a row the batch creates is never in the table
    before the flush."""

    def __init__(self) -> None:
        self.consultations: dict[UUID, dict[str, Any]] = {}
        self.closed: dict[UUID, datetime] = {}  # earlier consultations closed in the batch
        self.outcomes: dict[UUID, int] = {}  # ... and their outcomes, days from close
        self.feedback: dict[UUID, UUID] = {}  # feedback id -> consultation id
        self.involvement: dict[tuple[UUID, UUID], dict[str, Any]] = {}
        self.withdrawn: set[UUID] = set()  # involvement of earlier responses to delete
        self.stories: dict[UUID, dict[str, Any]] = {}
        self.moderated: dict[UUID, bool] = {}  # earlier stories: published or not
        self.story_organisations: list[dict[str, Any]] = []
        self.changed: set[UUID] = set()
        self.changed_through: set[UUID] = set()  # earlier responses a change links to
        self.opportunities: dict[UUID, dict[str, Any]] = {}  # noted in the batch: replaced
        self.opportunities_withdrawn: set[UUID] = set()  # earlier opportunities
        self.invitations: dict[UUID, list[int]] = {}  # network id -> [sent, declined]
        self.expenses: dict[UUID, dict[str, Any]] = {}

    def fold(self, event: DomainEvent) -> None:
        match event:
            case k.ConsultationOpened():
                self.consultations[event.consultation_id] = {
                    "consultation_id": event.consultation_id,
                    "organisation_id": event.organisation_id, "network_id": event.network_id,
                    "closed_at": None, "days_to_outcome": None}
            case k.ConsultationClosed():
                self._consultation(event.consultation_id, "closed_at", event.closed_at,
                                   self.closed)
            case k.OutcomePublished():
                self._consultation(event.consultation_id, "days_to_outcome",
                                   event.days_from_close, self.outcomes)
            case f.FeedbackSubmitted():
                self.feedback[event.feedback_id] = event.consultation_id
                if event.participant_id is not None:
                    self._involved(event.feedback_id, event.participant_id,
                                   event.organisation_id, event.network_id)
            case f.FeedbackWithdrawn():
                for key in [key for key in self.involvement if key[0] == event.feedback_id]:
                    del self.involvement[key]
                self.withdrawn.add(event.feedback_id)
            case s.StoryShared():
                self.stories[event.story_id] = {
                    "story_id": event.story_id, "network_id": event.network_id,
                    "published": False}
                self.story_organisations += [
                    {"story_id": event.story_id, "organisation_id": o}
                    for o in event.organisation_ids]
            case s.StoryModerated():
                published = event.published_text is not None
                if event.story_id in self.stories:
                    self.stories[event.story_id]["published"] = published
                else:
                    self.moderated[event.story_id] = published
            case c.ChangeMade():
                links = event.links
                self.changed.update(links.consultation_ids, links.story_ids)
                for feedback_id in links.feedback_ids:
                    if feedback_id in self.feedback:
                        self.changed.add(self.feedback[feedback_id])
                    else:
                        self.changed_through.add(feedback_id)
            case _:
                self._noted(event)

    def _noted(self, event: DomainEvent) -> None:
        match event:
            case n.OpportunityNoted():
                self.opportunities[event.opportunity_id] = {
                    "opportunity_id": event.opportunity_id,
                    "organisation_id": event.organisation_id, "network_id": event.network_id,
                    "stage": event.stage, "withdrawn": False}
            case n.OpportunityWithdrawalNoted():
                if event.opportunity_id in self.opportunities:
                    self.opportunities[event.opportunity_id]["withdrawn"] = True
                else:
                    self.opportunities_withdrawn.add(event.opportunity_id)
            case n.AttendanceNoted():
                for participant_id in event.participant_ids:
                    self._involved(event.session_id, participant_id, event.organisation_id,
                                   event.network_id)
            case n.InvitationNoted():
                counts = self.invitations.setdefault(event.network_id, [0, 0])
                counts[event.declined] += 1
            case n.ExpensePaymentNoted():
                self.expenses.setdefault(event.expense_id, {
                    "expense_id": event.expense_id, "organisation_id": event.organisation_id,
                    "network_id": event.network_id, "days_to_payment": event.days_to_payment})

    def _consultation(self, consultation_id: UUID, column: str, value: Any,
                      earlier: dict[UUID, Any]) -> None:
        if consultation_id in self.consultations:
            self.consultations[consultation_id][column] = value
        else:
            earlier[consultation_id] = value

    def _involved(self, source_id: UUID, participant_id: UUID, organisation_id: UUID,
                  network_id: UUID) -> None:
        self.involvement.setdefault((source_id, participant_id), {
            "source_id": source_id, "participant_id": participant_id,
            "organisation_id": organisation_id, "network_id": network_id})

    async def flush(self, tx: Transaction) -> None:
        run = tx.conn.execute
        await _update(tx, m_consultations.c.consultation_id, m_consultations.c.closed_at,
                      self.closed)
        await _update(tx, m_consultations.c.consultation_id,
                      m_consultations.c.days_to_outcome, self.outcomes)
        await _update(tx, m_stories.c.story_id, m_stories.c.published, self.moderated)
        await _update(tx, m_opportunities.c.opportunity_id, m_opportunities.c.withdrawn,
                      dict.fromkeys(self.opportunities_withdrawn, True))
        for ids in _chunks(self.withdrawn):
            await run(delete(m_involvement).where(m_involvement.c.source_id.in_(ids)))
        for ids in _chunks(self.opportunities):
            await run(delete(m_opportunities).where(m_opportunities.c.opportunity_id.in_(ids)))
        for ids in _chunks(self.changed_through):
            self.changed.update((await run(select(m_feedback.c.consultation_id).where(
                m_feedback.c.feedback_id.in_(ids)))).scalars())
        await _insert(tx, m_consultations, self.consultations.values())
        await _insert(tx, m_feedback, [{"feedback_id": i, "consultation_id": c}
                                       for i, c in self.feedback.items()])
        await _insert(tx, m_involvement, self.involvement.values(), ignoring=True)
        await _insert(tx, m_stories, self.stories.values())
        await _insert(tx, m_story_organisations, self.story_organisations)
        await _insert(tx, m_changed, [{"linked_id": i} for i in self.changed], ignoring=True)
        await _insert(tx, m_opportunities, self.opportunities.values())
        await _insert(tx, m_expenses, self.expenses.values(), ignoring=True)
        await _insert(tx, m_invitations, [
            {"network_id": network_id, "sent": 0, "declined": 0}
            for network_id in self.invitations], ignoring=True)
        if self.invitations:
            await run(update(m_invitations)
                      .where(m_invitations.c.network_id == bindparam("b_network_id"))
                      .values(sent=m_invitations.c.sent + bindparam("b_sent"),
                              declined=m_invitations.c.declined + bindparam("b_declined")),
                      [{"b_network_id": network_id, "b_sent": sent, "b_declined": declined}
                       for network_id, (sent, declined) in self.invitations.items()])


async def _update(tx: Transaction, key: Column[Any], column: Column[Any],
                  values: dict[UUID, Any]) -> None:
    """Set `column` of each row whose `key` is in `values`, in one statement."""
    if values:
        await tx.conn.execute(
            update(key.table).where(key == bindparam("b_key"))
            .values({column: bindparam("b_value")}),
            [{"b_key": k, "b_value": v} for k, v in values.items()])


async def _insert(tx: Transaction, table: Table, rows: Iterable[dict[str, Any]], *,
                  ignoring: bool = False) -> None:
    rows = list(rows)
    if rows:
        await tx.conn.execute(_insert_ignoring(tx, table) if ignoring else table.insert(),
                              rows)


def _chunks(ids: Iterable[UUID], size: int = 500) -> Iterator[list[UUID]]:
    """`ids` in lists short enough for one IN (...) each."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _insert_ignoring(tx: Transaction, table: Table) -> Any:
    insert = pg_insert if tx.conn.dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()


class LearningLibrary(_Projection):
    """Learning as the region searches it: by the stems of its words, and by its tags."""

    name = "learning"
    tables = (learning, learning_terms, learning_tags)
    handles = frozenset({lr.LearningShared.stored_name})

    async def project(self, tx: Transaction, event: DomainEvent) -> None:
        assert isinstance(event, lr.LearningShared)
        run = tx.conn.execute
        await run(learning.insert().values(
            learning_id=event.learning_id, organisation_id=event.organisation_id,
            network_id=event.network_id, title=event.title, summary=event.summary,
            tags=list(event.tags), change_ids=[str(i) for i in event.change_ids],
            consultation_ids=[str(i) for i in event.consultation_ids],
            shared_at=event.shared_at))
        terms = terms_of(" ".join((event.title, event.summary, *event.tags)))
        if terms:
            await run(learning_terms.insert(), [
                {"term": t, "learning_id": event.learning_id} for t in terms])
        if event.tags:
            await run(learning_tags.insert(), [
                {"tag": t, "learning_id": event.learning_id} for t in event.tags])
