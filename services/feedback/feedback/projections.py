"""Read models rebuilt from the feedback service's own store.

- `Accountability`: the facts behind every organisation's and network's accountability
  metrics: consultations and their outcomes, stories, what led to a change, the stage of
  each opportunity, who was involved, invitations declined and how long expenses took. The
  opportunities service's facts are in the store too, noted as they arrived, so the whole
  read model is rebuilt from one log.
- `LearningLibrary`: learning, searchable by its words and tags across the region.
"""

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
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


class Accountability(_Projection):
    """The facts behind the accountability metrics."""

    name = "accountability"
    tables = (m_consultations, m_feedback, m_stories, m_story_organisations, m_changed,
              m_opportunities, m_involvement, m_invitations, m_expenses)
    handles = frozenset(t.stored_name for t in (
        k.ConsultationOpened, k.ConsultationClosed, k.OutcomePublished, f.FeedbackSubmitted,
        f.FeedbackWithdrawn, s.StoryShared, s.StoryModerated, c.ChangeMade))
    handles |= frozenset(t.stored_name for t in n.NOTED_EVENTS)

    async def project(self, tx: Transaction, event: DomainEvent) -> None:
        run = tx.conn.execute
        match event:
            case k.ConsultationOpened():
                await run(m_consultations.insert().values(
                    consultation_id=event.consultation_id, organisation_id=event.organisation_id,
                    network_id=event.network_id))
            case k.ConsultationClosed():
                await run(update(m_consultations).where(
                    m_consultations.c.consultation_id == event.consultation_id)
                    .values(closed_at=event.closed_at))
            case k.OutcomePublished():
                await run(update(m_consultations).where(
                    m_consultations.c.consultation_id == event.consultation_id)
                    .values(days_to_outcome=event.days_from_close))
            case f.FeedbackSubmitted():
                await run(m_feedback.insert().values(feedback_id=event.feedback_id,
                                                     consultation_id=event.consultation_id))
                if event.participant_id is not None:
                    await run(m_involvement.insert().values(
                        source_id=event.feedback_id, participant_id=event.participant_id,
                        organisation_id=event.organisation_id, network_id=event.network_id))
            case f.FeedbackWithdrawn():
                await run(delete(m_involvement).where(
                    m_involvement.c.source_id == event.feedback_id))
            case s.StoryShared():
                await run(m_stories.insert().values(story_id=event.story_id,
                                                    network_id=event.network_id, published=False))
                if event.organisation_ids:
                    await run(m_story_organisations.insert(), [
                        {"story_id": event.story_id, "organisation_id": o}
                        for o in event.organisation_ids])
            case s.StoryModerated():
                await run(update(m_stories).where(m_stories.c.story_id == event.story_id)
                          .values(published=event.published_text is not None))
            case c.ChangeMade():
                await self._changed(tx, event)
            case _:
                await _noted(tx, event)

    async def _changed(self, tx: Transaction, event: c.ChangeMade) -> None:
        links = event.links
        through_feedback = (await tx.conn.execute(select(m_feedback.c.consultation_id).where(
            m_feedback.c.feedback_id.in_(links.feedback_ids)))).scalars().all()
        led = {*links.consultation_ids, *links.story_ids, *through_feedback}
        if led:
            await tx.conn.execute(_insert_ignoring(tx, m_changed),
                                  [{"linked_id": i} for i in led])


async def _noted(tx: Transaction, event: DomainEvent) -> None:
    run = tx.conn.execute
    match event:
        case n.OpportunityNoted():
            await run(delete(m_opportunities).where(
                m_opportunities.c.opportunity_id == event.opportunity_id))
            await run(m_opportunities.insert().values(
                opportunity_id=event.opportunity_id, organisation_id=event.organisation_id,
                network_id=event.network_id, stage=event.stage, withdrawn=False))
        case n.OpportunityWithdrawalNoted():
            await run(update(m_opportunities).where(
                m_opportunities.c.opportunity_id == event.opportunity_id).values(withdrawn=True))
        case n.AttendanceNoted() if event.participant_ids:
            await run(_insert_ignoring(tx, m_involvement), [
                {"source_id": event.session_id, "participant_id": p,
                 "organisation_id": event.organisation_id, "network_id": event.network_id}
                for p in event.participant_ids])
        case n.InvitationNoted():
            await _count_invitation(tx, event)
        case n.ExpensePaymentNoted():
            await run(_insert_ignoring(tx, m_expenses).values(
                expense_id=event.expense_id, organisation_id=event.organisation_id,
                network_id=event.network_id, days_to_payment=event.days_to_payment))


async def _count_invitation(tx: Transaction, event: n.InvitationNoted) -> None:
    await tx.conn.execute(_insert_ignoring(tx, m_invitations).values(
        network_id=event.network_id, sent=0, declined=0))
    column = m_invitations.c.declined if event.declined else m_invitations.c.sent
    await tx.conn.execute(update(m_invitations).where(
        m_invitations.c.network_id == event.network_id).values({column: column + 1}))


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
