"""Handlers for consultations and their responses.

Staff of the owning organisation open, close and answer for a consultation. Anyone the
consultation asks responds: a signed-in participant, a member of the public anonymously
(for a public consultation), or staff entering a paper, phone or event response. Each
response is one transaction that locks the consultation's index row, so none is taken after
the consultation closed and every one taken is in the summary.
"""

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import insert, select, update

from chorus.auth import Forbidden, Principal, Role
from chorus.contracts.vocabulary import Audience, Channel, ClosedBy, Stage
from chorus.errors import Conflict, DomainRuleBroken, NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from feedback.domain import EVENT_TYPES
from feedback.domain.consultation import Consultation
from feedback.domain.feedback import Feedback
from feedback.domain.questions import GivenAnswer, Question
from feedback.domain.summary import Asked, Counting, summarise
from feedback.tables import consultation_index, responses
from feedback.text.scrubbing import scrub
from feedback.text.themes import suggest_keywords

Clock = Callable[[], datetime]
STAFF_CHANNELS = (Channel.PAPER, Channel.PHONE, Channel.EVENT)


@dataclass(frozen=True)
class Draft:
    """A consultation as staff describe it."""

    title: str
    purpose: str
    stage: Stage
    audience: Audience
    questions: tuple[Question, ...]
    invited: tuple[UUID, ...]
    closes_at: datetime


@dataclass(frozen=True)
class Submitted:
    feedback: Feedback
    withdrawal_code: str | None  # for an anonymous response: the one way to withdraw it


class Consultations:
    def __init__(self, db: Database, store: EventStore, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        codec = EventCodec(EVENT_TYPES)
        self.consultations = Repository(store, codec, Consultation)
        self.feedback = Repository(store, codec, Feedback)

    # -- the owning organisation -------------------------------------------------------

    async def open(self, draft: Draft, actor: Principal) -> Consultation:
        organisation_id, network_id = staff_of(actor, "open a consultation")
        questions = tuple(replace(q, prompt=scrub(q.prompt).text) for q in draft.questions)
        consultation = Consultation.open(
            uuid4(), organisation_id=organisation_id, network_id=network_id,
            title=scrub(draft.title).text, purpose=scrub(draft.purpose).text,
            stage=draft.stage, audience=draft.audience,
            questions=questions, invited=draft.invited, closes_at=draft.closes_at,
            by=actor.subject, now=self.clock())
        async with self.db.transaction() as tx:
            await self._save(tx, consultation)
        return consultation

    async def close(self, consultation_id: UUID, actor: Principal) -> Consultation:
        async with self.db.transaction() as tx:
            consultation = await self._owned(tx, consultation_id, actor)
            await self._close(tx, consultation, ClosedBy.STAFF, actor.subject)
            return consultation

    async def close_due(self) -> int:
        """Close every consultation whose closing time has passed (the schedule)."""
        now = self.clock()
        async with self.db.snapshot() as tx:
            due = (await tx.conn.execute(select(consultation_index.c.consultation_id).where(
                consultation_index.c.status == "open",
                consultation_index.c.closes_at <= now).limit(100))).scalars().all()
        for consultation_id in due:
            async with self.db.transaction() as tx:
                consultation = await self._locked(tx, consultation_id)
                if consultation.is_open:
                    await self._close(tx, consultation, ClosedBy.SCHEDULE, None)
        return len(due)

    async def publish_outcome(self, consultation_id: UUID, you_said: str, we_did: str,
                              actor: Principal) -> Consultation:
        async with self.db.transaction() as tx:
            consultation = await self._owned(tx, consultation_id, actor)
            consultation.publish_outcome(scrub(you_said).text, scrub(we_did).text,
                                         actor.subject, self.clock())
            await self._save(tx, consultation)
            return consultation

    async def tag(self, feedback_id: UUID, tags: Sequence[str], actor: Principal) -> Feedback:
        async with self.db.transaction() as tx:
            feedback = await self.feedback.get(tx, str(feedback_id))
            if not actor.is_staff_of(feedback.submitted.organisation_id):
                raise Forbidden("only the consultation's organisation tags its responses")
            feedback.tag(tags, actor.subject, self.clock())
            await self._save_feedback(tx, feedback)
            return feedback

    # -- the people asked ----------------------------------------------------------------

    async def get(self, consultation_id: UUID) -> Consultation:
        async with self.db.snapshot() as tx:
            return await self.consultations.get(tx, str(consultation_id))

    async def submit(self, consultation_id: UUID, answers: Sequence[GivenAnswer],
                     channel: Channel | None, actor: Principal | None) -> Submitted:
        """Take one response; free text is scrubbed before it is stored."""
        scrubbed = [replace(a, text=scrub(a.text).text) if a.text else a for a in answers]
        async with self.db.transaction() as tx:
            consultation = await self._locked(tx, consultation_id)
            channel = _channel(consultation, channel, actor)
            participant_id = (actor.participant_id if actor and channel == Channel.ONLINE
                              else None)
            if participant_id is not None:
                await self._check_once(tx, consultation_id, participant_id)
            code = secrets.token_urlsafe(24) if channel == Channel.ANONYMOUS else None
            feedback = Feedback.submit(
                uuid4(), consultation, participant_id=participant_id, channel=channel,
                answers=scrubbed, withdrawal_code_hash=_hashed(code) if code else None,
                entered_by=actor.subject if channel in STAFF_CHANNELS and actor else None,
                now=self.clock())
            await self._save_feedback(tx, feedback)
            return Submitted(feedback, code)

    async def withdraw(self, feedback_id: UUID, actor: Principal | None,
                       withdrawal_code: str | None) -> Feedback:
        async with self.db.transaction() as tx:
            feedback = await self.feedback.get(tx, str(feedback_id))
            by = _may_withdraw(feedback, actor, withdrawal_code)
            consultation = await self._locked(tx, feedback.submitted.consultation_id)
            feedback.withdraw(consultation, by, self.clock())
            await self._save_feedback(tx, feedback)
            return feedback

    async def response(self, feedback_id: UUID) -> Feedback:
        async with self.db.snapshot() as tx:
            return await self.feedback.get(tx, str(feedback_id))

    # -- helpers -------------------------------------------------------------------------

    async def _close(self, tx: Transaction, consultation: Consultation, closed_by: ClosedBy,
                     by: str | None) -> None:
        asked = [Asked(q.question_id, q.kind, q.options) for q in consultation.opened.questions]
        rows = (await tx.conn.execute(select(responses).where(
            responses.c.consultation_id == consultation.opened.consultation_id,
            responses.c.withdrawn.is_(False)))).mappings().all()
        counted = [Counting(Channel(r["channel"]), _answers(r["answers"]), tuple(r["tags"]))
                   for r in rows]
        summary = summarise(asked, counted, lambda texts, n: suggest_keywords(texts, limit=n))
        consultation.close(summary, closed_by, by, self.clock())
        await self._save(tx, consultation)

    async def _owned(self, tx: Transaction, consultation_id: UUID,
                     actor: Principal) -> Consultation:
        consultation = await self._locked(tx, consultation_id)
        if not actor.is_staff_of(consultation.opened.organisation_id):
            raise Forbidden("only the organisation that runs the consultation can do this")
        return consultation

    async def _locked(self, tx: Transaction, consultation_id: UUID) -> Consultation:
        # The index row is the lock that orders responses against closing (on PostgreSQL;
        # SQLite serialises every writing transaction anyway).
        found = (await tx.conn.execute(select(consultation_index.c.status).where(
            consultation_index.c.consultation_id == consultation_id).with_for_update())).first()
        if found is None:
            raise NotFound(f"consultation {consultation_id} does not exist")
        return await self.consultations.get(tx, str(consultation_id))

    async def _check_once(self, tx: Transaction, consultation_id: UUID,
                          participant_id: UUID) -> None:
        earlier = (await tx.conn.execute(select(responses.c.feedback_id).where(
            responses.c.consultation_id == consultation_id,
            responses.c.participant_id == participant_id,
            responses.c.withdrawn.is_(False)))).first()
        if earlier is not None:
            raise Conflict(f"you have already responded (feedback {earlier[0]}); withdraw "
                           "that response to give another")

    async def _save(self, tx: Transaction, consultation: Consultation) -> None:
        new = list(consultation.pending)
        await self.consultations.save(tx, consultation)
        o = consultation.opened
        for event in new:
            if event is o:
                await tx.conn.execute(insert(consultation_index).values(
                    consultation_id=o.consultation_id, organisation_id=o.organisation_id,
                    network_id=o.network_id, title=o.title, stage=o.stage, audience=o.audience,
                    status="open", closes_at=o.closes_at, opened_at=o.opened_at))
        values = {"status": "open" if consultation.is_open else "closed",
                  "closed_at": consultation.closed.closed_at if consultation.closed else None,
                  "outcome_at": (consultation.outcome.published_at
                                 if consultation.outcome else None)}
        await tx.conn.execute(update(consultation_index).where(
            consultation_index.c.consultation_id == o.consultation_id).values(values))

    async def _save_feedback(self, tx: Transaction, feedback: Feedback) -> None:
        first = feedback.version == 0
        await self.feedback.save(tx, feedback)
        s = feedback.submitted
        if first:
            await tx.conn.execute(insert(responses).values(
                feedback_id=s.feedback_id, consultation_id=s.consultation_id,
                network_id=s.network_id, participant_id=s.participant_id, channel=s.channel,
                answers=[_stored(a) for a in s.answers], tags=[], withdrawn=False,
                submitted_at=s.submitted_at))
        else:
            await tx.conn.execute(update(responses).where(
                responses.c.feedback_id == s.feedback_id).values(
                tags=list(feedback.tags), withdrawn=feedback.withdrawn))


def staff_of(actor: Principal, doing: str) -> tuple[UUID, UUID]:
    if actor.role != Role.ORG_STAFF or actor.org_id is None or actor.network_id is None:
        raise Forbidden(f"only an organisation's staff can {doing}")
    return actor.org_id, actor.network_id


def _channel(consultation: Consultation, wanted: Channel | None,
             actor: Principal | None) -> Channel:
    """How this caller may respond: the rules of the consultation's audience."""
    o = consultation.opened
    if wanted in STAFF_CHANNELS:
        if actor is None or not actor.is_staff_of(o.organisation_id):
            raise Forbidden("only the consultation's own staff enter paper, phone or event "
                            "responses")
        return wanted
    if actor is not None and actor.role == Role.PARTICIPANT and actor.participant_id:
        _check_asked(consultation, actor.participant_id, actor.network_id)
        return Channel.ONLINE
    if actor is None and o.audience == Audience.PUBLIC:
        return Channel.ANONYMOUS
    if actor is None:
        raise Forbidden("sign in to respond: this consultation is not open to the public")
    raise DomainRuleBroken("staff respond for someone else with channel 'paper', 'phone' or "
                           "'event'")


def _check_asked(consultation: Consultation, participant_id: UUID,
                 network_id: UUID | None) -> None:
    o = consultation.opened
    if o.audience == Audience.INVITED and participant_id not in o.invited_participant_ids:
        raise Forbidden("this consultation asks invited participants only")
    if o.audience == Audience.NETWORK and network_id != o.network_id:
        raise Forbidden("this consultation asks its own network's participants")


def _may_withdraw(feedback: Feedback, actor: Principal | None, code: str | None) -> str:
    s = feedback.submitted
    if s.participant_id is not None and actor is not None and actor.is_participant(
            s.participant_id):
        return actor.subject
    if s.withdrawal_code_hash and code and secrets.compare_digest(
            _hashed(code), s.withdrawal_code_hash):
        return "anonymous"
    if s.entered_by is not None and actor is not None and actor.is_staff_of(s.organisation_id):
        return actor.subject
    raise Forbidden("only the person who gave a response can withdraw it (an anonymous one "
                    "with its withdrawal_code)")


def _hashed(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _stored(answer: GivenAnswer) -> dict[str, object]:
    return {"question_id": str(answer.question_id), "text": answer.text,
            "choices": list(answer.choices), "rating": answer.rating}


def _answers(stored: list[dict[str, object]]) -> tuple[GivenAnswer, ...]:
    return tuple(GivenAnswer(UUID(str(a["question_id"])), a["text"],  # type: ignore[arg-type]
                             tuple(a["choices"]), a["rating"])  # type: ignore[arg-type]
                 for a in stored)
