"""An opportunity: a way to be involved that one organisation offers, and who takes it up.

The opportunity is the consistency boundary for its seats: invitations, acceptances, the
waitlist, stand-downs, the sessions held and the payments for them all change one stream,
so two acceptances can never take the last seat twice. Declining or standing down needs
no reason and leaves no mark on the person.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from chorus.contracts.vocabulary import PaymentPreference, Stage
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import Conflict, DomainRuleBroken, Gone, NotFound
from opportunities.domain.details import Details, ScheduledSession
from opportunities.domain.payments import Rates, amount_due, honour

INVITATION_DAYS = 14
EARLIEST_SESSION_DAYS = 3653  # ten years: older records are not involvement to pay for
"""How long an invitation stays open, unless the opportunity closes first."""


class InvitationStatus(StrEnum):
    INVITED = "invited"
    WAITLISTED = "waitlisted"  # accepted while every seat was taken
    ASSIGNED = "assigned"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # by the platform: the person paused or left, or the work stopped
    STOOD_DOWN = "stood_down"


OPEN_INVITATIONS = (InvitationStatus.INVITED, InvitationStatus.WAITLISTED)
LIVE_INVITATIONS = (*OPEN_INVITATIONS, InvitationStatus.ASSIGNED)


class OpportunityStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, kw_only=True)
class OpportunityEvent(DomainEvent):
    """Every event of an opportunity names it, its organisation and its network."""

    opportunity_id: UUID
    organisation_id: UUID
    network_id: UUID


@dataclass(frozen=True, kw_only=True)
class InvitationEvent(OpportunityEvent):
    """Every event of an invitation names it and the person invited."""

    invitation_id: UUID
    participant_id: UUID


@dataclass(frozen=True, kw_only=True)
class OpportunityPublished(OpportunityEvent):
    details: Details
    published_by: str
    published_at: datetime


@dataclass(frozen=True, kw_only=True)
class OpportunityUpdated(OpportunityEvent):
    details: Details
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class OpportunityWithdrawn(OpportunityEvent):
    withdrawn_at: datetime


@dataclass(frozen=True, kw_only=True)
class OpportunityClosed(OpportunityEvent):
    closed_at: datetime


@dataclass(frozen=True, kw_only=True)
class OpportunityFilled(OpportunityEvent):
    seats: int
    filled_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantInvited(InvitationEvent):
    invited_by: str
    expires_at: datetime
    invited_at: datetime


@dataclass(frozen=True, kw_only=True)
class InvitationAccepted(InvitationEvent):
    waitlisted: bool
    accepted_at: datetime


@dataclass(frozen=True, kw_only=True)
class InvitationDeclined(InvitationEvent):
    declined_at: datetime


@dataclass(frozen=True, kw_only=True)
class InvitationExpired(InvitationEvent):
    expired_at: datetime


@dataclass(frozen=True, kw_only=True)
class InvitationWithdrawn(InvitationEvent):
    reason: str  # "participant_paused", "participant_left", "participant_erased", ...
    withdrawn_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantAssigned(InvitationEvent):
    from_waitlist: bool
    assigned_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantStoodDown(InvitationEvent):
    stood_down_at: datetime


@dataclass(frozen=True, kw_only=True)
class Attendance:
    participant_id: UUID
    minutes: int


@dataclass(frozen=True, kw_only=True)
class SessionHeld(OpportunityEvent):
    session_id: UUID
    stage: Stage
    scheduled_session_id: UUID | None
    starts_at: datetime
    ends_at: datetime
    attendance: tuple[Attendance, ...]
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class InvolvementPaymentMade(OpportunityEvent):
    payment_id: UUID
    session_id: UUID
    participant_id: UUID
    minutes: int
    rate: str  # "hourly", "half_day" or "full_day"
    amount_due_pence: int
    amount_paid_pence: int
    outcome: str  # "paid", "reduced", "declined" or "donated"
    made_by: str
    made_at: datetime


@dataclass(frozen=True, kw_only=True)
class Invitation:
    invitation_id: UUID
    opportunity_id: UUID
    participant_id: UUID
    status: InvitationStatus
    expires_at: datetime
    at: datetime  # of its last change

    def is_expired(self, now: datetime) -> bool:
        return self.status == InvitationStatus.INVITED and now >= self.expires_at


@dataclass
class _State:
    organisation_id: UUID | None = None
    network_id: UUID | None = None
    details: Details | None = None
    status: OpportunityStatus = OpportunityStatus.OPEN
    invitations: dict[UUID, Invitation] = field(default_factory=dict)
    waitlist: list[UUID] = field(default_factory=list)  # invitation ids, first come first
    sessions: dict[UUID, SessionHeld] = field(default_factory=dict)
    paid: set[tuple[UUID, UUID]] = field(default_factory=set)  # (session, participant)
    filled_announced: bool = False


class Opportunity(Aggregate):
    stream_type = "opportunity"

    state: _State

    @classmethod
    def publish(cls, opportunity_id: UUID, organisation_id: UUID, network_id: UUID,
                details: Details, by: str, now: datetime) -> "Opportunity":
        details.check_new(now)
        opportunity = cls(str(opportunity_id))
        opportunity.state = _State()
        opportunity.record(OpportunityPublished(
            opportunity_id=opportunity_id, organisation_id=organisation_id,
            network_id=network_id, details=details, published_by=by, published_at=now))
        return opportunity

    # -- what the owning organisation does -------------------------------------------

    def update(self, details: Details, now: datetime) -> None:
        self._still_open("updated")
        details.check_new(now)
        if details.seats < len(self.assigned):
            raise DomainRuleBroken(f"seats cannot go below the {len(self.assigned)} people "
                                   "already assigned; stand someone down first")
        self.record(OpportunityUpdated(**self._ids, details=details,
                                       updated_at=now))
        self._fill_from_waitlist(now)
        self._announce_if_full(now)

    def withdraw(self, now: datetime) -> None:
        """The organisation stopped the work; open invitations end with it."""
        if self.status == OpportunityStatus.WITHDRAWN:
            return
        self._end_open_invitations("opportunity_withdrawn", now)
        self.record(OpportunityWithdrawn(**self._ids, withdrawn_at=now))

    def close(self, now: datetime) -> None:
        """No more invitations; the people assigned stay and sessions go on."""
        self._still_open("closed")
        self._end_open_invitations("opportunity_closed", now)
        self.record(OpportunityClosed(**self._ids, closed_at=now))

    def invite(self, invitation_id: UUID, participant_id: UUID, by: str,
               now: datetime) -> Invitation:
        self._still_open("offered to anyone")
        if self.details.closing_date < now.date():
            raise DomainRuleBroken("the opportunity's closing date has passed")
        if self.live_invitation_of(participant_id) is not None:
            raise Conflict(f"participant {participant_id} already has an invitation to this "
                           "opportunity")
        closes = datetime.combine(self.details.closing_date + timedelta(days=1),
                                  datetime.min.time(), tzinfo=now.tzinfo)
        expires_at = min(now + timedelta(days=INVITATION_DAYS), closes)
        self.record(ParticipantInvited(
            **self._ids, invitation_id=invitation_id,
            participant_id=participant_id, invited_by=by, expires_at=expires_at,
            invited_at=now))
        return self.state.invitations[invitation_id]

    def record_session(self, session_id: UUID, scheduled: UUID | None, starts_at: datetime,
                       ends_at: datetime, attendance: tuple[Attendance, ...], by: str,
                       now: datetime) -> SessionHeld:
        if self.status == OpportunityStatus.WITHDRAWN:
            raise Gone("the opportunity was withdrawn")
        if ends_at <= starts_at:
            raise DomainRuleBroken("a session must end after it starts")
        if ends_at > now:
            raise DomainRuleBroken("a session can be recorded only once it has ended")
        if starts_at < now - timedelta(days=EARLIEST_SESSION_DAYS):
            raise DomainRuleBroken("a session held more than ten years ago cannot be recorded")
        if scheduled is not None and scheduled not in {s.session_id
                                                       for s in self.details.sessions}:
            raise NotFound(f"scheduled session {scheduled} is not one of this opportunity's")
        length = int((ends_at - starts_at).total_seconds() // 60)
        _check_attendance(attendance, length, self.ever_assigned)
        event = SessionHeld(**self._ids, session_id=session_id, stage=self.details.stage,
                            scheduled_session_id=scheduled, starts_at=starts_at,
                            ends_at=ends_at, attendance=attendance, recorded_by=by,
                            recorded_at=now)
        self.record(event)
        return event

    def pay(self, payment_id: UUID, session_id: UUID, participant_id: UUID, rates: Rates,
            preference: PaymentPreference, reduced_to_pence: int | None, by: str,
            now: datetime) -> InvolvementPaymentMade:
        """Pay for one person's time at one session, under the rate card, as they asked."""
        if self.details.payment_basis is None:
            raise DomainRuleBroken("this opportunity reimburses expenses only; it pays no "
                                   "involvement payments")
        minutes = self.minutes_attended(session_id, participant_id)
        if minutes is None:
            self.session(session_id)
            raise DomainRuleBroken(f"participant {participant_id} did not attend this session")
        if (session_id, participant_id) in self.state.paid:
            raise Conflict("this person's time at this session has already been paid")
        due = amount_due(rates, self.details.payment_basis, minutes)
        honoured = honour(preference, due.amount_pence, reduced_to_pence)
        event = InvolvementPaymentMade(
            **self._ids, payment_id=payment_id, session_id=session_id,
            participant_id=participant_id, minutes=minutes, rate=due.rate,
            amount_due_pence=due.amount_pence, amount_paid_pence=honoured.amount_paid_pence,
            outcome=honoured.outcome, made_by=by, made_at=now)
        self.record(event)
        return event

    # -- what participants do ---------------------------------------------------------

    def accept(self, invitation_id: UUID, participant_id: UUID, now: datetime) -> Invitation:
        invitation = self._own_invitation(invitation_id, participant_id)
        if invitation.is_expired(now) or invitation.status == InvitationStatus.EXPIRED:
            raise Gone("this invitation has expired")
        if invitation.status != InvitationStatus.INVITED:
            raise Conflict(f"this invitation is {invitation.status}, so it cannot be accepted")
        if self.status != OpportunityStatus.OPEN:
            raise Gone(f"the opportunity is {self.status}")
        full = len(self.assigned) >= self.details.seats
        self.record(InvitationAccepted(**self._ids, invitation_id=invitation_id,
                                       participant_id=participant_id, waitlisted=full,
                                       accepted_at=now))
        if not full:
            self._assign(invitation_id, from_waitlist=False, now=now)
        return self.state.invitations[invitation_id]

    def decline(self, invitation_id: UUID, participant_id: UUID, now: datetime) -> Invitation:
        """No reason asked, and nothing held against them."""
        invitation = self._own_invitation(invitation_id, participant_id)
        if invitation.status not in OPEN_INVITATIONS:
            raise Conflict(f"this invitation is {invitation.status}, so it cannot be declined"
                           + ("; stand down instead" if invitation.status == "assigned" else ""))
        self.record(InvitationDeclined(**self._ids, invitation_id=invitation_id,
                                       participant_id=participant_id, declined_at=now))
        return self.state.invitations[invitation_id]

    def stand_down(self, participant_id: UUID, now: datetime) -> None:
        """Give up a seat (the person, or staff on their behalf); the waitlist fills it."""
        invitation = self.live_invitation_of(participant_id)
        if invitation is None or invitation.status != InvitationStatus.ASSIGNED:
            raise Conflict(f"participant {participant_id} holds no seat on this opportunity")
        self.record(ParticipantStoodDown(**self._ids,
                                         invitation_id=invitation.invitation_id,
                                         participant_id=participant_id, stood_down_at=now))
        self._fill_from_waitlist(now)

    # -- policies -----------------------------------------------------------------------

    def expire_invitations(self, now: datetime) -> list[Invitation]:
        expired = [i for i in self.state.invitations.values() if i.is_expired(now)]
        for invitation in expired:
            self.record(InvitationExpired(**self._ids,
                                          invitation_id=invitation.invitation_id,
                                          participant_id=invitation.participant_id,
                                          expired_at=now))
        return expired

    def when_participant_stepped_back(self, participant_id: UUID, reason: str,
                                      now: datetime, *, give_up_seat: bool) -> None:
        """A pause withdraws open invitations; leaving or erasure also gives up a seat."""
        invitation = self.live_invitation_of(participant_id)
        if invitation is None:
            return
        if invitation.status in OPEN_INVITATIONS:
            self._withdraw_invitation(invitation, reason, now)
        elif give_up_seat:
            self.stand_down(participant_id, now)

    # -- reading --------------------------------------------------------------------------

    @property
    def uuid(self) -> UUID:
        return UUID(self.id)

    @property
    def _ids(self) -> dict[str, UUID]:
        return {"opportunity_id": self.uuid, "organisation_id": self.organisation_id,
                "network_id": self.network_id}

    @property
    def organisation_id(self) -> UUID:
        assert self.state.organisation_id is not None
        return self.state.organisation_id

    @property
    def network_id(self) -> UUID:
        assert self.state.network_id is not None
        return self.state.network_id

    @property
    def details(self) -> Details:
        assert self.state.details is not None
        return self.state.details

    @property
    def status(self) -> OpportunityStatus:
        return self.state.status

    @property
    def invitations(self) -> list[Invitation]:
        return list(self.state.invitations.values())

    @property
    def assigned(self) -> list[UUID]:
        return [i.participant_id for i in self.state.invitations.values()
                if i.status == InvitationStatus.ASSIGNED]

    @property
    def ever_assigned(self) -> set[UUID]:
        return {i.participant_id for i in self.state.invitations.values()
                if i.status in (InvitationStatus.ASSIGNED, InvitationStatus.STOOD_DOWN)}

    @property
    def sessions_held(self) -> list[SessionHeld]:
        return list(self.state.sessions.values())

    def time_paid(self, session_id: UUID, participant_id: UUID) -> bool:
        """Whether this person's time at this session has been paid (or settled as they
        chose: reduced, declined or donated)."""
        return (session_id, participant_id) in self.state.paid

    def is_open_on(self, day: date) -> bool:
        return self.status == OpportunityStatus.OPEN and self.details.closing_date >= day

    def invitation(self, invitation_id: UUID) -> Invitation:
        try:
            return self.state.invitations[invitation_id]
        except KeyError:
            raise NotFound(f"invitation {invitation_id} does not exist") from None

    def live_invitation_of(self, participant_id: UUID) -> Invitation | None:
        return next((i for i in self.state.invitations.values()
                     if i.participant_id == participant_id and i.status in LIVE_INVITATIONS),
                    None)

    def session(self, session_id: UUID) -> SessionHeld:
        try:
            return self.state.sessions[session_id]
        except KeyError:
            raise NotFound(f"session {session_id} was not held for this opportunity") from None

    def scheduled_session(self, session_id: UUID) -> ScheduledSession:
        for scheduled in self.details.sessions:
            if scheduled.session_id == session_id:
                return scheduled
        raise NotFound(f"session {session_id} is not scheduled for this opportunity")

    def minutes_attended(self, session_id: UUID, participant_id: UUID) -> int | None:
        held = self.state.sessions.get(session_id)
        if held is None:
            return None
        return next((a.minutes for a in held.attendance if a.participant_id == participant_id),
                    None)

    # -- inside -------------------------------------------------------------------------

    def _still_open(self, doing: str) -> None:
        if self.status != OpportunityStatus.OPEN:
            raise Gone(f"the opportunity is {self.status}, so it cannot be {doing}")

    def _own_invitation(self, invitation_id: UUID, participant_id: UUID) -> Invitation:
        invitation = self.invitation(invitation_id)
        if invitation.participant_id != participant_id:
            raise NotFound(f"invitation {invitation_id} does not exist")
        return invitation

    def _assign(self, invitation_id: UUID, *, from_waitlist: bool, now: datetime) -> None:
        invitation = self.state.invitations[invitation_id]
        self.record(ParticipantAssigned(**self._ids, invitation_id=invitation_id,
                                        participant_id=invitation.participant_id,
                                        from_waitlist=from_waitlist, assigned_at=now))
        self._announce_if_full(now)

    def _announce_if_full(self, now: datetime) -> None:
        if len(self.assigned) >= self.details.seats and not self.state.filled_announced:
            self.record(OpportunityFilled(**self._ids, seats=self.details.seats,
                                          filled_at=now))

    def _fill_from_waitlist(self, now: datetime) -> None:
        while self.state.waitlist and len(self.assigned) < self.details.seats:
            self._assign(self.state.waitlist[0], from_waitlist=True, now=now)

    def _withdraw_invitation(self, invitation: Invitation, reason: str, now: datetime) -> None:
        self.record(InvitationWithdrawn(**self._ids,
                                        invitation_id=invitation.invitation_id,
                                        participant_id=invitation.participant_id,
                                        reason=reason, withdrawn_at=now))

    def _end_open_invitations(self, reason: str, now: datetime) -> None:
        for invitation in list(self.state.invitations.values()):
            if invitation.status in OPEN_INVITATIONS:
                self._withdraw_invitation(invitation, reason, now)

    def apply(self, event: DomainEvent) -> None:
        if not hasattr(self, "state"):
            self.state = _State()
        _apply(self.state, event)


def _check_attendance(attendance: tuple[Attendance, ...], length: int,
                      assigned: set[UUID]) -> None:
    people = [a.participant_id for a in attendance]
    if len(set(people)) != len(people):
        raise DomainRuleBroken("each person can appear in the attendance only once")
    for entry in attendance:
        if entry.participant_id not in assigned:
            raise DomainRuleBroken(f"participant {entry.participant_id} was never assigned to "
                                   "this opportunity")
        if not 0 < entry.minutes <= length:
            raise DomainRuleBroken(f"the time recorded for {entry.participant_id} must be more "
                                   "than nothing and no longer than the session")


def _set_status(state: _State, invitation_id: UUID, status: InvitationStatus,
                at: datetime) -> None:
    state.invitations[invitation_id] = replace(state.invitations[invitation_id],
                                               status=status, at=at)
    if status != InvitationStatus.WAITLISTED and invitation_id in state.waitlist:
        state.waitlist.remove(invitation_id)


def _apply(state: _State, event: DomainEvent) -> None:
    match event:
        case OpportunityPublished():
            state.organisation_id = event.organisation_id
            state.network_id = event.network_id
            state.details = event.details
        case OpportunityUpdated():
            state.details = event.details
            seated = sum(i.status == InvitationStatus.ASSIGNED for i in state.invitations.values())
            state.filled_announced = state.filled_announced and seated >= event.details.seats
        case OpportunityWithdrawn():
            state.status = OpportunityStatus.WITHDRAWN
        case OpportunityClosed():
            state.status = OpportunityStatus.CLOSED
        case OpportunityFilled():
            state.filled_announced = True
        case ParticipantInvited():
            state.invitations[event.invitation_id] = Invitation(
                invitation_id=event.invitation_id, opportunity_id=event.opportunity_id,
                participant_id=event.participant_id,
                status=InvitationStatus.INVITED, expires_at=event.expires_at,
                at=event.invited_at)
        case InvitationAccepted(waitlisted=True):
            _set_status(state, event.invitation_id, InvitationStatus.WAITLISTED,
                        event.accepted_at)
            state.waitlist.append(event.invitation_id)
        case InvitationAccepted():
            pass  # the ParticipantAssigned that follows takes the seat
        case ParticipantAssigned():
            _set_status(state, event.invitation_id, InvitationStatus.ASSIGNED, event.assigned_at)
        case InvitationDeclined():
            _set_status(state, event.invitation_id, InvitationStatus.DECLINED, event.declined_at)
        case InvitationExpired():
            _set_status(state, event.invitation_id, InvitationStatus.EXPIRED, event.expired_at)
        case InvitationWithdrawn():
            _set_status(state, event.invitation_id, InvitationStatus.WITHDRAWN,
                        event.withdrawn_at)
        case ParticipantStoodDown():
            _set_status(state, event.invitation_id, InvitationStatus.STOOD_DOWN,
                        event.stood_down_at)
            state.filled_announced = False
        case SessionHeld():
            state.sessions[event.session_id] = event
        case InvolvementPaymentMade():
            state.paid.add((event.session_id, event.participant_id))


OPPORTUNITY_EVENTS: tuple[type[DomainEvent], ...] = (
    OpportunityPublished, OpportunityUpdated, OpportunityWithdrawn, OpportunityClosed,
    OpportunityFilled, ParticipantInvited, InvitationAccepted, InvitationDeclined,
    InvitationExpired, InvitationWithdrawn, ParticipantAssigned, ParticipantStoodDown,
    SessionHeld, InvolvementPaymentMade,
)
