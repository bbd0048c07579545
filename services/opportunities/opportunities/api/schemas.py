"""The shapes the opportunities API takes and gives."""

from datetime import date, datetime
from typing import Any, Self
from uuid import UUID, uuid4

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from chorus.contracts.registry import PostcodeDistrict
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
from chorus.errors import DomainRuleBroken
from opportunities.application.expenses import MileageQuote
from opportunities.domain.details import Details, PaymentBasis, ScheduledSession
from opportunities.domain.expenses import (
    HIGHER_RATE_MILES,
    HIGHER_RATE_PENCE,
    LOWER_RATE_PENCE,
    MAX_CLAIM_MILES,
    MAX_CLAIM_PENCE,
    Expense,
)
from opportunities.domain.opportunity import Invitation, Opportunity
from opportunities.domain.payments import MAX_RATE_PENCE, Rates

MAX_HOURS = 24


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionIn(Strict):
    session_id: UUID | None = Field(default=None, description="Keep an existing session's id "
                                    "when updating; leave out for a new session.")
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class OpportunityIn(Strict):
    title: str = Field(min_length=1, max_length=200, examples=["Help redesign our discharge "
                                                               "letters"])
    description: str = Field(min_length=1, max_length=5000)
    kind: OpportunityKind
    stage: Stage
    topics: list[Topic] = Field(default=[], max_length=len(Topic))
    methods: list[Method] = Field(min_length=1, max_length=len(Method))
    online: bool
    postcode_district: PostcodeDistrict | None = None
    sessions: list[SessionIn] = Field(default=[], max_length=100)
    commitment: Commitment
    time_commitment: str = Field(min_length=1, max_length=200,
                                 examples=["Two 2-hour workshops in March"])
    seats: int = Field(strict=True, ge=1, le=500)
    pairs_preferred: bool = False
    support_offered: list[SupportOffered] = Field(default=[], max_length=len(SupportOffered))
    remuneration: Remuneration
    payment_basis: PaymentBasis | None = Field(
        default=None, description="For paid involvement: 'hourly', or 'sessional' (a half "
        "day under 4 hours, a full day from 4 hours).")
    accessibility_provided: list[AccessibilityNeed] = Field(default=[],
                                                            max_length=len(AccessibilityNeed))
    closing_date: date

    def to_domain(self) -> Details:
        values = self.model_dump(exclude={"sessions"})
        lists = {k: tuple(dict.fromkeys(v)) for k, v in values.items() if isinstance(v, list)}
        sessions = tuple(ScheduledSession(session_id=s.session_id or uuid4(),
                                          starts_at=s.starts_at, ends_at=s.ends_at)
                         for s in self.sessions)
        return Details(**{**values, **lists, "sessions": sessions})


class OpportunityPatch(Strict):
    """Any of an opportunity's facts; what is left out stays as it is."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=5000)
    kind: OpportunityKind | None = None
    stage: Stage | None = None
    topics: list[Topic] | None = Field(default=None, max_length=len(Topic))
    methods: list[Method] | None = Field(default=None, min_length=1, max_length=len(Method))
    online: bool | None = None
    postcode_district: PostcodeDistrict | None = None
    sessions: list[SessionIn] | None = Field(default=None, max_length=100)
    commitment: Commitment | None = None
    time_commitment: str | None = Field(default=None, min_length=1, max_length=200)
    seats: int | None = Field(default=None, strict=True, ge=1, le=500)
    pairs_preferred: bool | None = None
    support_offered: list[SupportOffered] | None = Field(default=None,
                                                         max_length=len(SupportOffered))
    remuneration: Remuneration | None = None
    payment_basis: PaymentBasis | None = None
    accessibility_provided: list[AccessibilityNeed] | None = Field(
        default=None, max_length=len(AccessibilityNeed))
    closing_date: date | None = None

    def applied_to(self, details: Details) -> Details:
        current = OpportunityIn.model_validate(_details_json(details))
        given = self.model_dump(exclude_unset=True)
        refused = sorted(k for k, v in given.items() if v is None and k not in NULLABLE)
        if refused:
            raise DomainRuleBroken(f"{', '.join(refused)} cannot be null")
        try:
            return OpportunityIn.model_validate(current.model_dump() | given).to_domain()
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise DomainRuleBroken(f"{where}: {first['msg']}") from None


NULLABLE = frozenset({"postcode_district", "payment_basis"})
"""The facts a PATCH may clear (an opportunity moving online, or to expenses only)."""


class SessionOut(BaseModel):
    session_id: UUID
    starts_at: datetime
    ends_at: datetime


class OpportunityOut(BaseModel):
    opportunity_id: UUID
    organisation_id: UUID
    network_id: UUID
    status: str
    version: int
    assigned: int
    title: str
    description: str
    kind: OpportunityKind
    stage: Stage
    topics: list[Topic]
    methods: list[Method]
    online: bool
    postcode_district: str | None
    sessions: list[SessionOut]
    commitment: Commitment
    time_commitment: str
    seats: int
    pairs_preferred: bool
    support_offered: list[SupportOffered]
    remuneration: Remuneration
    payment_basis: PaymentBasis | None
    accessibility_provided: list[AccessibilityNeed]
    closing_date: date

    @classmethod
    def of(cls, opportunity: Opportunity) -> Self:
        return cls(opportunity_id=opportunity.uuid, organisation_id=opportunity.organisation_id,
                   network_id=opportunity.network_id, status=opportunity.status,
                   version=opportunity.version, assigned=len(opportunity.assigned),
                   **_details_json(opportunity.details))


def _details_json(details: Details) -> dict[str, Any]:
    values = {name: getattr(details, name) for name in Details.__dataclass_fields__}
    values["sessions"] = [{"session_id": s.session_id, "starts_at": s.starts_at,
                           "ends_at": s.ends_at} for s in details.sessions]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


class OpportunityPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class ReasonOut(BaseModel):
    factor: str
    points: float = Field(description="Points this factor added (or took away).")
    detail: str


class MatchOut(BaseModel):
    participant_id: UUID
    score: float
    reasons: list[ReasonOut]
    invited: bool = Field(description="They already have an invitation to this opportunity.")


class PairOut(BaseModel):
    participant_ids: list[UUID]
    score: float
    reason: str


class MatchesOut(BaseModel):
    opportunity_id: UUID
    eligible: int = Field(description="How many people pass every hard filter.")
    excluded: dict[str, int] = Field(description="How many were left out, by the first hard "
                                     "filter they failed.")
    matches: list[MatchOut]
    pairs: list[PairOut]


class InviteIn(Strict):
    participant_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=200)
    top: int | None = Field(default=None, strict=True, ge=1, le=200, description=(
        "Invite the best-matched people not invited yet, this many."))

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.participant_ids is None) == (self.top is None):
            raise ValueError("give either participant_ids or top, not both")
        if self.participant_ids and len(set(self.participant_ids)) != len(self.participant_ids):
            raise ValueError("participant_ids must not repeat")
        return self


class InvitationOut(BaseModel):
    invitation_id: UUID
    opportunity_id: UUID
    participant_id: UUID
    status: str
    expires_at: datetime

    @classmethod
    def of(cls, invitation: Invitation) -> Self:
        return cls(invitation_id=invitation.invitation_id,
                   opportunity_id=invitation.opportunity_id,
                   participant_id=invitation.participant_id, status=invitation.status,
                   expires_at=invitation.expires_at)


class StandDownIn(Strict):
    participant_id: UUID


class AttendanceIn(Strict):
    participant_id: UUID
    hours: float = Field(strict=True, gt=0, le=MAX_HOURS, multiple_of=0.25,
                         description="Time they took part, in quarter hours.")


class SessionHeldIn(Strict):
    scheduled_session_id: UUID | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    attendance: list[AttendanceIn] = Field(max_length=500)


class AttendedOut(BaseModel):
    participant_id: UUID
    minutes: int
    paid: bool = Field(default=False, description="Whether their time at this session has "
                       "been paid, or settled as they chose (reduced, declined, donated).")


class SessionHeldOut(BaseModel):
    session_id: UUID
    opportunity_id: UUID
    stage: Stage
    starts_at: datetime
    ends_at: datetime
    attendance: list[AttendedOut]


class PaymentIn(Strict):
    session_id: UUID
    participant_id: UUID
    reduced_to_pence: int | None = Field(
        default=None, strict=True, ge=0, le=MAX_RATE_PENCE,
        description="For someone who reduces their payments: the amount they asked for.")


class PaymentOut(BaseModel):
    payment_id: UUID
    opportunity_id: UUID
    session_id: UUID
    participant_id: UUID
    minutes: int
    rate: str
    amount_due_pence: int
    amount_paid_pence: int
    outcome: str


class RatesIn(Strict):
    hourly_pence: int = Field(strict=True, gt=0, le=MAX_RATE_PENCE, examples=[2500])
    half_day_pence: int = Field(strict=True, gt=0, le=MAX_RATE_PENCE, examples=[7500])
    full_day_pence: int = Field(strict=True, gt=0, le=MAX_RATE_PENCE, examples=[15000])

    def to_domain(self) -> Rates:
        return Rates(**self.model_dump())


class RatesOut(BaseModel):
    organisation_id: UUID
    hourly_pence: int
    half_day_pence: int
    full_day_pence: int


class ClaimIn(Strict):
    participant_id: UUID
    opportunity_id: UUID
    session_id: UUID = Field(description="The session held that they attended.")
    kind: ExpenseKind
    amount_pence: int | None = Field(default=None, strict=True, gt=0, le=MAX_CLAIM_PENCE,
                                     description="Every kind but mileage.")
    miles: int | None = Field(default=None, strict=True, gt=0, le=MAX_CLAIM_MILES,
                              description="Mileage only: the amount is worked out.")
    receipt_reference: str | None = Field(default=None, min_length=1, max_length=100,
                                          pattern=r"^[\x20-\x7e]+$")


class AdvanceIn(Strict):
    participant_id: UUID
    opportunity_id: UUID
    session_id: UUID = Field(description="The scheduled session it is for.")
    kind: ExpenseKind
    amount_pence: int = Field(strict=True, gt=0, le=MAX_CLAIM_PENCE)


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ExpenseOut(BaseModel):
    expense_id: UUID
    participant_id: UUID
    organisation_id: UUID
    opportunity_id: UUID
    session_id: UUID
    kind: ExpenseKind
    amount_pence: int
    miles: int | None
    higher_rate_miles: int | None
    status: str
    version: int

    @classmethod
    def of(cls, expense: Expense) -> Self:
        made = expense.made
        claimed = expense.claimed
        return cls(expense_id=made.expense_id, participant_id=made.participant_id,
                   organisation_id=made.organisation_id, opportunity_id=made.opportunity_id,
                   session_id=made.session_id, kind=made.kind, amount_pence=made.amount_pence,
                   miles=claimed.miles if claimed else None,
                   higher_rate_miles=claimed.higher_rate_miles if claimed else None,
                   status=expense.status, version=expense.version)


class MileageQuoteOut(BaseModel):
    """What a mileage claim made today would pay: the same sum the claim will be given."""

    participant_id: UUID
    miles: int
    higher_rate_miles: int = Field(description="The miles paid at the higher rate.")
    lower_rate_miles: int = Field(description="The miles paid at the lower rate, beyond the "
                                  "higher-rate allowance for the tax year.")
    amount_pence: int
    higher_rate_pence: int = Field(description="Pence a mile, up to the allowance.")
    lower_rate_pence: int = Field(description="Pence a mile, beyond the allowance.")
    higher_rate_allowance_miles: int = Field(description="Miles a tax year paid at the "
                                             "higher rate, across the whole network.")
    already_claimed_miles: int = Field(description="Miles already claimed in the network in "
                                       "this tax year (rejected claims do not count).")
    tax_year: int = Field(description="The UK tax year, named by the year it starts on "
                          "6 April.")

    @classmethod
    def of(cls, participant_id: UUID, quote: MileageQuote) -> Self:
        priced = quote.priced
        return cls(participant_id=participant_id, miles=priced.miles,
                   higher_rate_miles=priced.higher_rate_miles,
                   lower_rate_miles=priced.miles - priced.higher_rate_miles,
                   amount_pence=priced.amount_pence, higher_rate_pence=HIGHER_RATE_PENCE,
                   lower_rate_pence=LOWER_RATE_PENCE,
                   higher_rate_allowance_miles=HIGHER_RATE_MILES,
                   already_claimed_miles=quote.already_claimed, tax_year=quote.tax_year)


class WeightsIn(Strict):
    topic: int = Field(default=3000, strict=True, ge=0, le=100_000)
    kind_wanted: int = Field(default=2000, strict=True, ge=0, le=100_000)
    commitment: int = Field(default=1000, strict=True, ge=0, le=100_000)
    recent_involvement: int = Field(default=1000, strict=True, ge=0, le=100_000)
    recent_cap: int = Field(default=5, strict=True, ge=0, le=50)
    never_involved: int = Field(default=1500, strict=True, ge=0, le=100_000)
    deprivation: int = Field(default=1500, strict=True, ge=0, le=100_000)


class InvolvementOut(BaseModel):
    participant_id: UUID
    invitations: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    expenses: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    totals: dict[str, int]
