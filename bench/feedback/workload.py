"""A region's feedback store, generated: the events the feedback service would have stored.

Two networks of 12 and 8 organisations (20 in all) and 20,000 participants (12,000 and
8,000), over three years of simulated time. Each step of the simulation is one stored
event: either something due (a consultation closing, an outcome, a withdrawal, a
moderation, an invitation declined...) or a new activity drawn by `WEIGHTS`. A few
organisations and a few participants do most of the work (skewed draws), as in life.

* Consultations open (3 to 6 questions), take responses while open (14 to 84 days) and
  close on schedule with a summary; 70% publish an outcome 7 to 150 days after closing.
* A response is signed in 75% of the time (a participant of the network, drawn with a skew
  so that the most involved tenth holds a large share), anonymous 10%, and entered by staff
  from paper, a phone call or an event 15% (half of those for a known participant). 1% of
  signed-in responses are withdrawn a few days later, while the consultation is still
  open; 10% of responses are tagged by staff.
* Stories are shared (most naming one or two organisations), 97% moderated within a week
  (publish 70%, redact 20%, reject 10%); a quarter of published stories naming an
  organisation get its answer.
* Changes link recently closed consultations, responses to them and published stories;
  each part moves on later (in progress, done).
* Noted from the opportunities service: opportunities published (by stage), 40% moving on
  a stage and 8% withdrawn later; sessions attended (3 to 15 people); invitations sent,
  25% declined; expenses paid (days to payment).
* Learning is shared now and then (not read by `Accountability`).

The counts of what was generated are reported beside the figures (`Region.counts`). Ids
come from a seeded generator, so a run is reproducible; event ids (`NewEvent`) are random.
"""

import heapq
import random
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import insert

from chorus.contracts.vocabulary import (
    Audience,
    ChangeStatus,
    Channel,
    ClosedBy,
    Decision,
    ParticipantStatus,
    QuestionKind,
    Stage,
)
from chorus.domain import DomainEvent
from chorus.store.database import Transaction
from feedback.domain import change as c
from feedback.domain import consultation as k
from feedback.domain import feedback as f
from feedback.domain import learning as lr
from feedback.domain import noted as n
from feedback.domain import story as s
from feedback.domain.questions import GivenAnswer, Question
from feedback.domain.summary import Counted, QuestionSummary, Summary
from feedback.tables import organisations, participants

NETWORKS = (("North and Coast", 12, 12_000), ("Southvale", 8, 8_000))
SPAN_DAYS = 3 * 365
START = datetime(2023, 1, 2, 9, tzinfo=UTC)

# New activities, drawn in these proportions (percent of the steps that are not due events).
WEIGHTS: dict[str, float] = {
    "respond": 60.0,
    "open_consultation": 0.6,
    "share_story": 3.0,
    "make_change": 0.4,
    "publish_opportunity": 0.6,
    "hold_session": 4.0,
    "invite": 12.0,
    "pay_expense": 4.0,
    "share_learning": 0.1,
}

PARAMETERS: dict[str, Any] = {
    "networks": {name: {"organisations": orgs, "participants": people}
                 for name, orgs, people in NETWORKS},
    "simulated_days": SPAN_DAYS,
    "activity_weights": WEIGHTS,
    "consultation_open_days": [14, 84],
    "consultation_questions": [3, 6],
    "response_channels": {"online, signed in": 0.75, "anonymous": 0.10,
                          "paper, phone or event (staff), half for a known participant": 0.15},
    "signed_in_responses_withdrawn": 0.01,
    "responses_tagged": 0.10,
    "outcomes_published": 0.70,
    "outcome_days_from_close": [7, 150],
    "stories_moderated": 0.97,
    "moderation": {"publish": 0.7, "redact": 0.2, "reject": 0.1},
    "opportunities_moving_on_a_stage": 0.40,
    "opportunities_withdrawn": 0.08,
    "session_attendees": [3, 15],
    "invitations_declined": 0.25,
    "participants_opted_in_to_equality_monitoring": 0.40,
    "participant_skew": "index = pool size x U(0,1)^2.5 (the busiest tenth: about 40% of picks)",
    "organisation_skew": "weight 1 / rank^0.8 within the network",
}

_WORDS = (
    "waiting", "appointment", "nurse", "doctor", "parking", "kind", "rushed", "discharge",
    "medication", "ward", "phone", "letter", "clinic", "reception", "booking", "online", "test",
    "results", "referral", "pharmacy", "carer", "home", "visit", "transport", "evening",
    "weekend", "language", "interpreter", "accessible", "ramp", "hearing", "loop", "leaflet",
    "explained", "listened", "ignored", "helpful", "friendly", "cold", "food", "clean", "noisy",
    "late", "early", "cancelled", "moved", "again", "weeks", "months", "hours", "staff", "team",
    "support", "mental", "health", "child", "school", "housing", "money", "travel", "bus",
    "train", "walk", "stairs", "lift", "toilet", "quiet", "room", "privacy", "dignity", "respect",
    "information", "choice", "decision", "plan", "review", "follow", "up", "continuity", "same",
    "person", "named", "contact")
_SERVICE_AREAS = ("primary care", "urgent care", "maternity", "mental health", "community "
                  "nursing", "outpatients", "social care", "pharmacy", "dentistry")
_TAGS = ("access", "waiting", "communication", "staff attitude", "environment", "parking",
         "discharge", "medication", "digital", "continuity")
_STAGES = (Stage.STRATEGY, Stage.DESIGN, Stage.DELIVERY, Stage.MONITORING, Stage.EVALUATION)
_STAGE_WEIGHTS = (15, 25, 30, 15, 15)
_OPTIONS = ("Very good", "Good", "Neither", "Poor", "Very poor")


@dataclass(frozen=True)
class Stored:
    """One event to append: its stream, the version it follows, and the domain event."""

    stream_id: str
    stream_type: str
    expected_version: int
    event: DomainEvent


@dataclass(eq=False)
class Organisation:
    organisation_id: UUID
    network: "Network"
    name: str


@dataclass(eq=False)
class Network:
    network_id: UUID
    name: str
    organisations: list[Organisation] = field(default_factory=list)
    organisation_weights: list[float] = field(default_factory=list)
    participants: list[UUID] = field(default_factory=list)
    closed_consultations: deque[UUID] = field(default_factory=lambda: deque(maxlen=300))
    responses: deque[tuple[UUID, UUID | None]] = field(default_factory=lambda: deque(maxlen=3000))
    published_stories: deque[UUID] = field(default_factory=lambda: deque(maxlen=300))


@dataclass(eq=False)
class OpenConsultation:
    opened: k.ConsultationOpened
    network: Network
    index: int  # in Region._open
    responses: int = 0
    channels: Counter[Channel] = field(default_factory=Counter)
    sample: list[tuple[UUID, UUID | None]] = field(default_factory=list)


@dataclass(eq=False)
class Opportunity:
    opportunity_id: UUID
    organisation: Organisation
    stage: Stage
    index: int  # in Region._live


class Region:
    """The simulated region: its organisations and participants, and its event stream."""

    def __init__(self, events: int, seed: int = 20240601) -> None:
        self.total = events
        self.seed = seed
        self.rng = random.Random(seed)
        self.networks = [self._network(name, orgs, people) for name, orgs, people in NETWORKS]
        self.network_weights = [len(nw.organisations) for nw in self.networks]
        self.counts: Counter[str] = Counter()
        self._ticks_per_day = max(events / SPAN_DAYS, 1e-9)
        self._tick = 0
        self._due: list[tuple[int, int, Callable[[], Iterator[Stored]]]] = []
        self._sequence = 0
        self._versions: dict[str, int] = {}
        self._open: list[OpenConsultation] = []
        self._live: list[Opportunity] = []
        self._activities = list(WEIGHTS)
        self._activity_weights = list(WEIGHTS.values())

    # --- the region ---------------------------------------------------------------------

    def _network(self, name: str, orgs: int, people: int) -> Network:
        network = Network(self._uuid(), name)
        for rank in range(1, orgs + 1):
            network.organisations.append(
                Organisation(self._uuid(), network, f"{name} organisation {rank}"))
            network.organisation_weights.append(1 / rank**0.8)
        network.participants = [self._uuid() for _ in range(people)]
        return network

    @property
    def busiest_organisation(self) -> Organisation:
        return self.networks[0].organisations[0]

    @property
    def busiest_network(self) -> Network:
        return self.networks[0]

    async def record_directory(self, tx: Transaction) -> None:
        """What the registry's events would have told the service: organisations and
        participants (40% opted in to equality monitoring, with their area's decile)."""
        rng = random.Random(f"{self.seed}-directory")  # the same for every database
        await tx.conn.execute(insert(organisations), [
            {"organisation_id": o.organisation_id, "network_id": nw.network_id, "name": o.name,
             "kind": "nhs_trust", "member": True}
            for nw in self.networks for o in nw.organisations])
        rows = [{"participant_id": p, "network_id": nw.network_id,
                 "status": ParticipantStatus.ACTIVE.value,
                 "deprivation_decile": rng.randint(1, 10) if rng.random() < 0.4 else None}
                for nw in self.networks for p in nw.participants]
        for start in range(0, len(rows), 5000):
            await tx.conn.execute(insert(participants), rows[start:start + 5000])

    # --- the stream ---------------------------------------------------------------------

    def events(self) -> Iterator[Stored]:
        """`total` events in the order they were stored."""
        emitted = 0
        while emitted < self.total:
            if self._due and self._due[0][0] <= self._tick:
                produced = heapq.heappop(self._due)[2]()
            else:
                activity = self.rng.choices(self._activities, self._activity_weights)[0]
                produced = getattr(self, f"_{activity}")()
            for stored in produced:
                if emitted == self.total:
                    return
                self.counts[stored.event.stored_name] += 1
                emitted += 1
                self._tick += 1
                yield stored

    def _later(self, days: float, step: Callable[[], Iterator[Stored]]) -> None:
        self._sequence += 1
        due = self._tick + max(1, round(days * self._ticks_per_day))
        heapq.heappush(self._due, (due, self._sequence, step))

    def _stored(self, stream_id: UUID | str, stream_type: str, event: DomainEvent) -> Stored:
        stream = str(stream_id)
        version = self._versions.get(stream, 0)
        self._versions[stream] = version + 1
        return Stored(stream, stream_type, version, event)

    def _now(self) -> datetime:
        return START + timedelta(days=self._tick / self._ticks_per_day)

    # --- consultations and responses ----------------------------------------------------

    def _open_consultation(self) -> Iterator[Stored]:
        network = self._pick_network()
        organisation = self._pick_organisation(network)
        now = self._now()
        questions = self._questions()
        opened = k.ConsultationOpened(
            consultation_id=self._uuid(), organisation_id=organisation.organisation_id,
            network_id=network.network_id, title=self._text(4, 9).capitalize(),
            purpose=self._text(20, 45).capitalize() + ".", stage=self._stage(),
            audience=Audience.NETWORK, questions=questions, invited_participant_ids=(),
            closes_at=now + timedelta(days=self.rng.randint(14, 84)),
            opened_by=f"staff-{organisation.organisation_id.hex[:8]}", opened_at=now)
        consultation = OpenConsultation(opened, network, len(self._open))
        self._open.append(consultation)
        days_open = (opened.closes_at - now).total_seconds() / 86400
        self._later(days_open, lambda: self._close(consultation))
        yield self._stored(opened.consultation_id, "consultation", opened)

    def _questions(self) -> tuple[Question, ...]:
        kinds = [QuestionKind.RATING, QuestionKind.SINGLE_CHOICE, QuestionKind.FREE_TEXT]
        kinds += self.rng.choices(list(QuestionKind), k=self.rng.randint(0, 3))
        return tuple(
            Question(self._uuid(), kind, self._text(5, 14).capitalize() + "?",
                     _OPTIONS if kind in (QuestionKind.SINGLE_CHOICE,
                                          QuestionKind.MULTIPLE_CHOICE) else (),
                     required=number == 0)
            for number, kind in enumerate(kinds))

    def _respond(self) -> Iterator[Stored]:
        if not self._open:
            yield from self._open_consultation()
            return
        consultation = self._open[int(len(self._open) * self.rng.random())]
        opened, network = consultation.opened, consultation.network
        roll = self.rng.random()
        participant: UUID | None = None
        code_hash = entered_by = None
        if roll < 0.75:
            channel, participant = Channel.ONLINE, self._participant(network)
        elif roll < 0.85:
            channel, code_hash = Channel.ANONYMOUS, f"{self.rng.getrandbits(256):064x}"
        else:
            channel = self.rng.choice((Channel.PAPER, Channel.PHONE, Channel.EVENT))
            entered_by = f"staff-{opened.organisation_id.hex[:8]}"
            participant = self._participant(network) if self.rng.random() < 0.5 else None
        submitted = f.FeedbackSubmitted(
            feedback_id=self._uuid(), consultation_id=opened.consultation_id,
            organisation_id=opened.organisation_id, network_id=opened.network_id,
            participant_id=participant, channel=channel, answers=self._answers(opened),
            withdrawal_code_hash=code_hash, entered_by=entered_by, submitted_at=self._now())
        consultation.responses += 1
        consultation.channels[channel] += 1
        if len(consultation.sample) < 20:
            consultation.sample.append((submitted.feedback_id, participant))
        if channel == Channel.ONLINE and self.rng.random() < 0.01:
            self._later(self.rng.uniform(0.1, 5), lambda: self._withdraw(consultation, submitted))
        elif self.rng.random() < 0.10:
            self._later(self.rng.uniform(0.5, 10), lambda: self._tag(submitted))
        yield self._stored(submitted.feedback_id, "feedback", submitted)

    def _answers(self, opened: k.ConsultationOpened) -> tuple[GivenAnswer, ...]:
        answers = []
        for question in opened.questions:
            if not question.required and self.rng.random() < 0.25:
                continue
            match question.kind:
                case QuestionKind.RATING:
                    answers.append(GivenAnswer(question.question_id,
                                               rating=self.rng.randint(1, 5)))
                case QuestionKind.SINGLE_CHOICE:
                    answers.append(GivenAnswer(question.question_id,
                                               choices=(self.rng.choice(_OPTIONS),)))
                case QuestionKind.MULTIPLE_CHOICE:
                    chosen = tuple(self.rng.sample(_OPTIONS, self.rng.randint(1, 3)))
                    answers.append(GivenAnswer(question.question_id, choices=chosen))
                case QuestionKind.FREE_TEXT:
                    answers.append(GivenAnswer(question.question_id,
                                               text=self._text(8, 40).capitalize() + "."))
        return tuple(answers)

    def _withdraw(self, consultation: OpenConsultation,
                  submitted: f.FeedbackSubmitted) -> Iterator[Stored]:
        if not _holds(self._open, consultation.index, consultation):
            return  # closed meanwhile: too late to withdraw
        withdrawn = f.FeedbackWithdrawn(
            **_feedback_ids(submitted), withdrawn_by=f"participant-{submitted.participant_id}",
            withdrawn_at=self._now())
        yield self._stored(submitted.feedback_id, "feedback", withdrawn)

    def _tag(self, submitted: f.FeedbackSubmitted) -> Iterator[Stored]:
        tags = tuple(self.rng.sample(_TAGS, self.rng.randint(1, 3)))
        tagged = f.FeedbackTagged(**_feedback_ids(submitted), tags=tags,
                                  tagged_by=f"staff-{submitted.organisation_id.hex[:8]}",
                                  tagged_at=self._now())
        yield self._stored(submitted.feedback_id, "feedback", tagged)

    def _close(self, consultation: OpenConsultation) -> Iterator[Stored]:
        last = self._open.pop()
        if last is not consultation:
            self._open[consultation.index] = last
            last.index = consultation.index
        opened, network = consultation.opened, consultation.network
        network.closed_consultations.append(opened.consultation_id)
        network.responses.extend(consultation.sample)
        closed = k.ConsultationClosed(
            **_consultation_ids(opened), closed_by=ClosedBy.SCHEDULE,
            summary=self._summary(consultation), closed_by_whom=None, closed_at=self._now())
        if self.rng.random() < 0.70:
            days = self.rng.randint(7, 150)
            self._later(days, lambda: self._publish_outcome(opened, days))
        yield self._stored(opened.consultation_id, "consultation", closed)

    def _summary(self, consultation: OpenConsultation) -> Summary:
        total = consultation.responses
        questions = []
        for question in consultation.opened.questions:
            answered = total if question.required else round(total * 0.75)
            if question.options:
                split = [self.rng.random() for _ in question.options]
                tallies = tuple(Counted(o, round(answered * w / sum(split)))
                                for o, w in zip(question.options, split, strict=True))
                questions.append(QuestionSummary(question.question_id, answered, tallies))
            elif question.kind == QuestionKind.RATING:
                questions.append(QuestionSummary(question.question_id, answered,
                                                 rating_average=round(self.rng.uniform(2, 4.5),
                                                                      2)))
            else:
                questions.append(QuestionSummary(question.question_id, answered))
        return Summary(
            responses=total,
            by_channel=tuple(Counted(ch.value, consultation.channels[ch]) for ch in Channel
                             if consultation.channels[ch]),
            questions=tuple(questions),
            tags=tuple(Counted(t, self.rng.randint(1, max(1, total // 5)))
                       for t in self.rng.sample(_TAGS, 3)),
            suggested_keywords=tuple(Counted(w, self.rng.randint(2, max(2, total // 3)))
                                     for w in self.rng.sample(_WORDS, 8)))

    def _publish_outcome(self, opened: k.ConsultationOpened, days: int) -> Iterator[Stored]:
        outcome = k.OutcomePublished(
            **_consultation_ids(opened), you_said=self._text(20, 60).capitalize() + ".",
            we_did=self._text(20, 60).capitalize() + ".", days_from_close=days,
            published_by=f"staff-{opened.organisation_id.hex[:8]}", published_at=self._now())
        yield self._stored(opened.consultation_id, "consultation", outcome)

    # --- stories ------------------------------------------------------------------------

    def _share_story(self) -> Iterator[Stored]:
        network = self._pick_network()
        named = self.rng.choices((0, 1, 2), (10, 65, 25))[0]
        organisation_ids = tuple(dict.fromkeys(
            self._pick_organisation(network).organisation_id for _ in range(named)))
        signed_in = self.rng.random() < 0.85
        shared = s.StoryShared(
            story_id=self._uuid(), network_id=network.network_id,
            organisation_ids=organisation_ids,
            participant_id=self._participant(network) if signed_in else None,
            service_area=self.rng.choice(_SERVICE_AREAS), title=self._text(4, 10).capitalize(),
            sealed_text=f"{self.rng.getrandbits(1600):0400x}",
            scrubbed_text=self._text(40, 120).capitalize() + ".",
            sealed_under="participant" if signed_in else "story", shared_at=self._now())
        if self.rng.random() < 0.97:
            self._later(self.rng.uniform(0.2, 7), lambda: self._moderate(network, shared))
        yield self._stored(shared.story_id, "story", shared)

    def _moderate(self, network: Network, shared: s.StoryShared) -> Iterator[Stored]:
        decision = self.rng.choices((Decision.PUBLISH, Decision.REDACT, Decision.REJECT),
                                    (70, 20, 10))[0]
        published = decision != Decision.REJECT
        text = self._text(30, 100) + "." if decision == Decision.REDACT else shared.scrubbed_text
        moderated = s.StoryModerated(
            story_id=shared.story_id, network_id=shared.network_id,
            organisation_ids=shared.organisation_ids, participant_id=shared.participant_id,
            decision=decision, title=shared.title if published else None,
            published_text=text if published else None,
            reason=None if published else "It names a member of staff.",
            moderated_by=f"moderator-{network.network_id.hex[:8]}", moderated_at=self._now())
        if published:
            network.published_stories.append(shared.story_id)
            if shared.organisation_ids and self.rng.random() < 0.25:
                self._later(self.rng.uniform(1, 30), lambda: self._answer_story(shared))
        yield self._stored(shared.story_id, "story", moderated)

    def _answer_story(self, shared: s.StoryShared) -> Iterator[Stored]:
        organisation_id = self.rng.choice(shared.organisation_ids)
        responded = s.StoryResponded(
            story_id=shared.story_id, network_id=shared.network_id,
            organisation_ids=shared.organisation_ids, response_id=self._uuid(),
            organisation_id=organisation_id, response=self._text(20, 60).capitalize() + ".",
            responded_by=f"staff-{organisation_id.hex[:8]}", responded_at=self._now())
        yield self._stored(shared.story_id, "story", responded)

    # --- changes and learning -----------------------------------------------------------

    def _make_change(self) -> Iterator[Stored]:
        network = self._pick_network()
        consultation_ids = self._some(network.closed_consultations, 0, 2)
        responses = self._some(network.responses, 0, 5)
        story_ids = self._some(network.published_stories, 0, 2)
        if not (consultation_ids or responses or story_ids):
            if not network.closed_consultations:
                return  # nothing has closed yet: no voice to link a change to
            consultation_ids = (network.closed_consultations[-1],)
        parts = tuple(c.Part(o.organisation_id, f"Lead {rank}", ChangeStatus.PLANNED)
                      for rank, o in enumerate({self._pick_organisation(network): None
                                                for _ in range(self.rng.randint(1, 3))}))
        now = self._now()
        made = c.ChangeMade(
            change_id=self._uuid(), network_id=network.network_id,
            title=self._text(4, 10).capitalize(), what_changed=self._text(20, 60) + ".",
            service_area=self.rng.choice(_SERVICE_AREAS), changed_on=now.date(), parts=parts,
            recorded_by=parts[0].organisation_id,
            links=c.Links(consultation_ids=consultation_ids,
                          feedback_ids=tuple(i for i, _ in responses), story_ids=story_ids),
            participant_ids=tuple(dict.fromkeys(p for _, p in responses if p is not None)),
            made_by=f"staff-{parts[0].organisation_id.hex[:8]}", made_at=now)
        for part in parts:
            if self.rng.random() < 0.6:
                self._later(self.rng.uniform(20, 200), partial(self._move_on, made, part))
        yield self._stored(made.change_id, "change", made)

    def _move_on(self, made: c.ChangeMade, part: c.Part) -> Iterator[Stored]:
        moved = c.ChangeStatusChanged(
            change_id=made.change_id, network_id=made.network_id,
            organisation_id=part.organisation_id, owner=part.owner,
            status=self.rng.choice((ChangeStatus.IN_PROGRESS, ChangeStatus.DONE)),
            changed_by=f"staff-{part.organisation_id.hex[:8]}", changed_at=self._now())
        yield self._stored(made.change_id, "change", moved)

    def _share_learning(self) -> Iterator[Stored]:
        network = self._pick_network()
        organisation = self._pick_organisation(network)
        shared = lr.LearningShared(
            learning_id=self._uuid(), organisation_id=organisation.organisation_id,
            network_id=network.network_id, title=self._text(4, 10).capitalize(),
            summary=self._text(60, 200).capitalize() + ".",
            tags=tuple(self.rng.sample(_TAGS, 3)), change_ids=(),
            consultation_ids=self._some(network.closed_consultations, 1, 3),
            shared_by=f"staff-{organisation.organisation_id.hex[:8]}", shared_at=self._now())
        yield self._stored(shared.learning_id, "learning", shared)

    # --- noted from the opportunities service -------------------------------------------

    def _publish_opportunity(self) -> Iterator[Stored]:
        network = self._pick_network()
        organisation = self._pick_organisation(network)
        opportunity = Opportunity(self._uuid(), organisation, self._stage(), len(self._live))
        self._live.append(opportunity)
        if self.rng.random() < 0.40:
            self._later(self.rng.uniform(30, 120), lambda: self._move_stage(opportunity))
        if self.rng.random() < 0.08:
            self._later(self.rng.uniform(10, 200), lambda: self._withdraw_opportunity(opportunity))
        yield self._noted_opportunity(opportunity)

    def _noted_opportunity(self, opportunity: Opportunity) -> Stored:
        noted = n.OpportunityNoted(**_org(opportunity), opportunity_id=opportunity.opportunity_id,
                                   stage=opportunity.stage, at=self._now())
        return self._stored(f"noted-{opportunity.opportunity_id}", n.NOTED_STREAM_TYPE, noted)

    def _move_stage(self, opportunity: Opportunity) -> Iterator[Stored]:
        if not _holds(self._live, opportunity.index, opportunity):
            return  # withdrawn meanwhile
        opportunity.stage = _STAGES[min(_STAGES.index(opportunity.stage) + 1, len(_STAGES) - 1)]
        yield self._noted_opportunity(opportunity)

    def _withdraw_opportunity(self, opportunity: Opportunity) -> Iterator[Stored]:
        if not _holds(self._live, opportunity.index, opportunity):
            return
        last = self._live.pop()
        if last is not opportunity:
            self._live[opportunity.index] = last
            last.index = opportunity.index
        noted = n.OpportunityWithdrawalNoted(
            **_org(opportunity), opportunity_id=opportunity.opportunity_id, at=self._now())
        yield self._stored(f"noted-{opportunity.opportunity_id}", n.NOTED_STREAM_TYPE, noted)

    def _live_opportunity(self) -> Opportunity | None:
        if not self._live:
            return None
        return self._live[int(len(self._live) * self.rng.random())]

    def _hold_session(self) -> Iterator[Stored]:
        opportunity = self._live_opportunity()
        if opportunity is None:
            yield from self._publish_opportunity()
            return
        network = opportunity.organisation.network
        attendees = tuple(dict.fromkeys(self._participant(network)
                                        for _ in range(self.rng.randint(3, 15))))
        noted = n.AttendanceNoted(
            **_org(opportunity), opportunity_id=opportunity.opportunity_id,
            session_id=self._uuid(), stage=opportunity.stage, participant_ids=attendees,
            at=self._now())
        yield self._stored(f"noted-{opportunity.opportunity_id}", n.NOTED_STREAM_TYPE, noted)

    def _invite(self) -> Iterator[Stored]:
        opportunity = self._live_opportunity()
        if opportunity is None:
            yield from self._publish_opportunity()
            return
        invitation_id = self._uuid()
        if self.rng.random() < 0.25:
            self._later(self.rng.uniform(0.5, 14),
                        lambda: self._decline(opportunity, invitation_id))
        yield self._invitation(opportunity, invitation_id, declined=False)

    def _decline(self, opportunity: Opportunity, invitation_id: UUID) -> Iterator[Stored]:
        yield self._invitation(opportunity, invitation_id, declined=True)

    def _invitation(self, opportunity: Opportunity, invitation_id: UUID,
                    *, declined: bool) -> Stored:
        noted = n.InvitationNoted(**_org(opportunity), invitation_id=invitation_id,
                                  declined=declined, at=self._now())
        return self._stored(f"noted-{invitation_id}", n.NOTED_STREAM_TYPE, noted)

    def _pay_expense(self) -> Iterator[Stored]:
        opportunity = self._live_opportunity()
        if opportunity is None:
            yield from self._publish_opportunity()
            return
        expense_id = self._uuid()
        noted = n.ExpensePaymentNoted(
            **_org(opportunity), expense_id=expense_id,
            days_to_payment=min(120, 2 + int(self.rng.expovariate(1 / 12))), at=self._now())
        yield self._stored(f"noted-{expense_id}", n.NOTED_STREAM_TYPE, noted)

    # --- draws --------------------------------------------------------------------------

    def _uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def _pick_network(self) -> Network:
        return self.rng.choices(self.networks, self.network_weights)[0]

    def _pick_organisation(self, network: Network) -> Organisation:
        return self.rng.choices(network.organisations, network.organisation_weights)[0]

    def _participant(self, network: Network) -> UUID:
        pool = network.participants
        return pool[int(len(pool) * self.rng.random() ** 2.5)]

    def _stage(self) -> Stage:
        return self.rng.choices(_STAGES, _STAGE_WEIGHTS)[0]

    def _text(self, shortest: int, longest: int) -> str:
        return " ".join(self.rng.choices(_WORDS, k=self.rng.randint(shortest, longest)))

    def _some(self, recent: deque[Any], least: int, most: int) -> tuple[Any, ...]:
        wanted = min(len(recent), self.rng.randint(least, most))
        if not wanted:
            return ()
        window = list(recent)[-50:]
        return tuple(self.rng.sample(window, min(wanted, len(window))))


def _consultation_ids(opened: k.ConsultationOpened) -> dict[str, UUID]:
    return {"consultation_id": opened.consultation_id,
            "organisation_id": opened.organisation_id, "network_id": opened.network_id}


def _feedback_ids(submitted: f.FeedbackSubmitted) -> dict[str, Any]:
    return {"feedback_id": submitted.feedback_id, "consultation_id": submitted.consultation_id,
            "organisation_id": submitted.organisation_id, "network_id": submitted.network_id,
            "participant_id": submitted.participant_id}


def _org(opportunity: Opportunity) -> dict[str, UUID]:
    return {"organisation_id": opportunity.organisation.organisation_id,
            "network_id": opportunity.organisation.network.network_id}


def _holds(items: list[Any], index: int, item: object) -> bool:
    return index < len(items) and items[index] is item
