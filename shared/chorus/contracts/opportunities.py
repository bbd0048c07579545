"""Public events of the opportunities service: ways to be involved, and who takes them up.

People appear only by participant id. What someone was paid and claimed is published as
amounts (so that regions can account for involvement), never with the preference behind
a payment, a receipt, or why an expense was refused.
"""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chorus.contracts.base import Contract
from chorus.contracts.registry import PostcodeDistrict, UniqueItems
from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    ExpenseKind,
    Method,
    OpportunityKind,
    Remuneration,
    Stage,
    SupportOffered,
    Topic,
)

MAX_PENCE = 10_000_000


class ScheduledSession(BaseModel):
    """A session an opportunity plans to hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: UUID = Field(description="The scheduled session.")
    starts_at: AwareDatetime = Field(description="When it starts.")
    ends_at: AwareDatetime = Field(description="When it ends.")


class _OpportunityFacts(Contract):
    """What an opportunity offers; the same facts when published and when updated."""

    opportunity_id: UUID = Field(description="The opportunity; the subject of its events.")
    organisation_id: UUID = Field(description="The organisation that offers it.")
    network_id: UUID = Field(description="The network whose pool it is offered to.")
    title: str = Field(min_length=1, max_length=200, description="Its public title.")
    kind: OpportunityKind = Field(description="The way of being involved it offers.")
    stage: Stage = Field(description="Where in the piece of work the involvement happens.")
    topics: UniqueItems[Topic] = Field(max_length=len(Topic), description="What it is about.")
    methods: UniqueItems[Method] = Field(min_length=1, max_length=len(Method),
                                         description="The ways of taking part it uses.")
    online: bool = Field(description="It takes place online; else in person.")
    postcode_district: PostcodeDistrict | None = Field(
        default=None, description="Where it takes place, when in person.")
    sessions: tuple[ScheduledSession, ...] = Field(max_length=100,
                                                   description="The sessions it plans.")
    commitment: Commitment = Field(description="How often people are asked to take part.")
    time_commitment: str = Field(min_length=1, max_length=200,
                                 description="The time asked, in plain words.")
    seats: int = Field(ge=1, le=500, description="How many people it is for.")
    pairs_preferred: bool = Field(description="People are invited in pairs where possible.")
    support_offered: UniqueItems[SupportOffered] = Field(
        max_length=len(SupportOffered), description="The support that comes with it.")
    remuneration: Remuneration = Field(description="Expenses only, or paid involvement too.")
    accessibility_provided: UniqueItems[AccessibilityNeed] = Field(
        max_length=len(AccessibilityNeed), description="What is arranged so everyone can "
        "take part.")
    closing_date: date = Field(description="The last day people can be invited.")


class OpportunityPublished(_OpportunityFacts, service="opportunities", version=1):
    """An organisation offered a way to be involved."""

    published_at: AwareDatetime = Field(description="When it was published.")


class OpportunityUpdated(_OpportunityFacts, service="opportunities", version=1):
    """An opportunity changed; these are all its facts as they now are."""

    updated_at: AwareDatetime = Field(description="When it changed.")


class _AboutOpportunity(Contract):
    opportunity_id: UUID = Field(description="The opportunity; the subject of its events.")
    organisation_id: UUID = Field(description="The organisation that offers it.")
    network_id: UUID = Field(description="The network whose pool it is offered to.")


class OpportunityWithdrawn(_AboutOpportunity, service="opportunities", version=1):
    """The organisation stopped the work; open invitations were withdrawn with it."""

    withdrawn_at: AwareDatetime = Field(description="When it was withdrawn.")


class OpportunityClosed(_AboutOpportunity, service="opportunities", version=1):
    """No more invitations; the people assigned carry on."""

    closed_at: AwareDatetime = Field(description="When it closed.")


class OpportunityFilled(_AboutOpportunity, service="opportunities", version=1):
    """Every seat is taken."""

    seats: int = Field(ge=1, le=500, description="How many seats there are.")
    filled_at: AwareDatetime = Field(description="When the last seat was taken.")


class _AboutInvitation(_AboutOpportunity):
    invitation_id: UUID = Field(description="The invitation.")
    participant_id: UUID = Field(description="The participant invited.")


class ParticipantInvited(_AboutInvitation, service="opportunities", version=1):
    """A participant was offered the opportunity; they are free to accept or decline."""

    expires_at: AwareDatetime = Field(description="When the offer lapses if unanswered.")
    invited_at: AwareDatetime = Field(description="When they were invited.")


class InvitationAccepted(_AboutInvitation, service="opportunities", version=1):
    """The participant said yes; a seat follows, or a place on the waitlist."""

    waitlisted: bool = Field(description="Every seat was taken, so they wait for one.")
    accepted_at: AwareDatetime = Field(description="When they accepted.")


class InvitationDeclined(_AboutInvitation, service="opportunities", version=1):
    """The participant said no. No reason is asked, and it counts against nobody."""

    declined_at: AwareDatetime = Field(description="When they declined.")


class InvitationExpired(_AboutInvitation, service="opportunities", version=1):
    """The offer lapsed unanswered."""

    expired_at: AwareDatetime = Field(description="When it lapsed.")


class InvitationWithdrawn(_AboutInvitation, service="opportunities", version=1):
    """The offer was withdrawn: the person paused or left, or the work stopped."""

    reason: Literal["participant_paused", "participant_left", "participant_erased",
                    "opportunity_withdrawn", "opportunity_closed"] = Field(
        description="Why the offer ended.")
    withdrawn_at: AwareDatetime = Field(description="When it was withdrawn.")


class ParticipantAssigned(_AboutInvitation, service="opportunities", version=1):
    """The participant has a seat."""

    from_waitlist: bool = Field(description="The seat came free while they waited.")
    assigned_at: AwareDatetime = Field(description="When the seat became theirs.")


class ParticipantStoodDown(_AboutInvitation, service="opportunities", version=1):
    """The participant gave up their seat; the waitlist fills it."""

    stood_down_at: AwareDatetime = Field(description="When they stood down.")


class SessionHeld(_AboutOpportunity, service="opportunities", version=1):
    """A session took place; who attended and for how long."""

    session_id: UUID = Field(description="The session.")
    stage: Stage = Field(description="The stage of the work the session was part of.")
    starts_at: AwareDatetime = Field(description="When it started.")
    ends_at: AwareDatetime = Field(description="When it ended.")
    attendance: tuple["Attended", ...] = Field(max_length=500,
                                               description="Who took part, and for how long.")


class Attended(BaseModel):
    """One participant's time at a session."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    participant_id: UUID = Field(description="The participant.")
    minutes: int = Field(ge=1, le=1440, description="How long they took part.")


SessionHeld.model_rebuild()


class _AboutExpense(Contract):
    expense_id: UUID = Field(description="The expense; the subject of its events.")
    participant_id: UUID = Field(description="Whose expense it is.")
    organisation_id: UUID = Field(description="The organisation that pays it.")
    network_id: UUID = Field(description="The network.")


class ExpenseClaimed(_AboutExpense, service="opportunities", version=1):
    """A participant claimed what taking part cost them."""

    opportunity_id: UUID = Field(description="The opportunity they took part in.")
    session_id: UUID = Field(description="The session they attended.")
    kind: ExpenseKind = Field(description="What it is for.")
    amount_pence: int = Field(ge=1, le=MAX_PENCE, description="The amount claimed, in pence.")
    miles: int | None = Field(default=None, ge=1, le=1000,
                              description="For mileage: the miles claimed.")
    claimed_at: AwareDatetime = Field(description="When it was claimed.")


class ExpenseAdvanced(_AboutExpense, service="opportunities", version=1):
    """An expense was paid before the session, for someone who could not wait."""

    opportunity_id: UUID = Field(description="The opportunity they take part in.")
    session_id: UUID = Field(description="The scheduled session it is for.")
    kind: ExpenseKind = Field(description="What it is for.")
    amount_pence: int = Field(ge=1, le=MAX_PENCE, description="The amount paid, in pence.")
    advanced_at: AwareDatetime = Field(description="When it was paid.")


class ExpenseApproved(_AboutExpense, service="opportunities", version=1):
    """The organisation approved a claim for payment."""

    approved_at: AwareDatetime = Field(description="When it was approved.")


class ExpenseRejected(_AboutExpense, service="opportunities", version=1):
    """The organisation refused a claim; the person is told why, privately."""

    rejected_at: AwareDatetime = Field(description="When it was refused.")


class ExpensePaid(_AboutExpense, service="opportunities", version=1):
    """An approved claim was paid."""

    amount_pence: int = Field(ge=1, le=MAX_PENCE, description="The amount paid, in pence.")
    days_to_payment: int = Field(ge=0, le=3660, description="Days from claim to payment.")
    paid_at: AwareDatetime = Field(description="When it was paid.")


class InvolvementPaymentMade(_AboutOpportunity, service="opportunities", version=1):
    """A participant's involvement in a session was paid for under the rate card.

    The amount is what the person received; how they chose to take it stays private.
    """

    payment_id: UUID = Field(description="The payment.")
    session_id: UUID = Field(description="The session paid for.")
    participant_id: UUID = Field(description="Who took part.")
    minutes: int = Field(ge=1, le=1440, description="How long they took part.")
    amount_pence: int = Field(ge=0, le=MAX_PENCE, description="What they received, in pence.")
    made_at: AwareDatetime = Field(description="When it was paid.")
