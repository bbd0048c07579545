"""Participants' routes: sign up, see and change your record, pause, leave, be forgotten."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from chorus.auth import Principal, Role, authenticate, require
from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    ConsentScope,
    ContactChannel,
    DayPart,
    InvolvementKind,
    Method,
    ParticipantRole,
    ParticipantStatus,
    PaymentPreference,
    SupportWanted,
    Topic,
    Weekday,
)
from registry.api.deps import Caller, ParticipantsDep
from registry.application.participants import Details, Equality, JoinParticipant, ParticipantView
from registry.domain import Consent, Profile
from registry.domain.participant import Slot
from registry.fields import (
    Email,
    Notes,
    PersonName,
    Postcode,
    PostcodeDistrict,
    ShortText,
    UkPhone,
    postcode_district,
)

router = APIRouter(tags=["participants"])

IfMatch = Annotated[str | None, Header(pattern=r'^(W/)?"?[0-9]{1,9}"?$', description=(
    "The version you read (from `version`); the change is refused if someone changed the "
    "record since."))]


def _version(if_match: str | None) -> int | None:
    return None if if_match is None else int(if_match.removeprefix("W/").strip('"'))
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", examples=["en", "cy", "pl"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DetailsIn(Strict):
    name: PersonName
    email: Email | None = None
    phone: UkPhone | None = None
    postcode: Postcode | None = None
    date_of_birth: date | None = Field(default=None, ge=date(1900, 1, 1))
    notes: Notes | None = Field(default=None, description="Anything staff should know, "
                                "in the person's words; only they and staff see it.")


class SlotIn(Strict):
    day: Weekday
    part: DayPart


class ProfileIn(Strict):
    roles: list[ParticipantRole] = Field(min_length=1, max_length=len(ParticipantRole))
    methods: list[Method] = Field(min_length=1, max_length=len(Method))
    topics: list[Topic] = Field(default=[], max_length=len(Topic))
    kinds_wanted: list[InvolvementKind] = Field(default=[], max_length=len(InvolvementKind))
    commitment: Commitment | None = None
    availability: list[SlotIn] = Field(default=[], max_length=21)
    postcode_district: PostcodeDistrict | None = None
    travel_radius_km: int | None = Field(default=None, ge=0, le=500)
    online_only: bool = False
    accessibility_needs: list[AccessibilityNeed] = Field(default=[],
                                                         max_length=len(AccessibilityNeed))
    languages: list[Language] = Field(default=["en"], min_length=1, max_length=10)
    support_wanted: list[SupportWanted] = Field(default=[], max_length=len(SupportWanted))
    payment_preference: PaymentPreference = PaymentPreference.ACCEPT
    payment_reduced_to_pence: int | None = Field(default=None, ge=0, le=100_000)

    def to_domain(self, district: str | None = None) -> Profile:
        values = self.model_dump(exclude={"availability"})
        values["postcode_district"] = self.postcode_district or district
        lists = {k: tuple(dict.fromkeys(v)) for k, v in values.items() if isinstance(v, list)}
        slots = tuple(dict.fromkeys(Slot(day=s.day, part=s.part) for s in self.availability))
        return Profile(**{**values, **lists, "availability": slots})


class ConsentIn(Strict):
    scope: ConsentScope = ConsentScope.NETWORK
    organisation_ids: list[UUID] = Field(default=[], max_length=50)
    contact_channels: list[ContactChannel] = Field(default=[ContactChannel.EMAIL],
                                                   max_length=len(ContactChannel))
    equality_monitoring: bool = False
    deprivation_decile: int | None = Field(default=None, ge=1, le=10)
    age_band: ShortText | None = None
    ethnicity: ShortText | None = None
    disability: ShortText | None = None

    def to_domain(self) -> tuple[Consent, Equality]:
        consent = Consent(scope=self.scope, organisation_ids=tuple(dict.fromkeys(
            self.organisation_ids)), contact_channels=tuple(dict.fromkeys(self.contact_channels)),
            equality_monitoring=self.equality_monitoring,
            deprivation_decile=self.deprivation_decile)
        return consent, Equality(age_band=self.age_band, ethnicity=self.ethnicity,
                                 disability=self.disability)


class JoinIn(Strict):
    network_id: UUID
    details: DetailsIn
    profile: ProfileIn
    consent: ConsentIn = ConsentIn()


class PauseIn(Strict):
    until: date | None = Field(default=None, description="Back on this day; none: until "
                               "they resume.")


class ParticipantOut(BaseModel):
    participant_id: UUID
    network_id: UUID
    version: int = Field(description="Send it back as If-Match to change only this version.")
    status: ParticipantStatus
    details: dict[str, Any]
    profile: dict[str, Any]
    consent: dict[str, Any]


def _out(view: ParticipantView, caller: Principal | None) -> ParticipantOut:
    participant = view.participant
    consent = participant.consent
    shown = {"scope": consent.scope, "organisation_ids": list(consent.organisation_ids),
             "contact_channels": list(consent.contact_channels),
             "equality_monitoring": consent.equality_monitoring}
    if caller is None or caller.role == Role.PARTICIPANT:  # equality data is theirs alone
        shown |= {"deprivation_decile": consent.deprivation_decile, **view.equality}
    profile = participant.profile.__dict__ | {
        "availability": [{"day": s.day, "part": s.part} for s in participant.profile.availability]}
    return ParticipantOut(participant_id=UUID(participant.id), network_id=participant.network_id,
                          version=participant.version,
                          status=participant.status, details=view.details, profile=profile,
                          consent=shown)


async def optional_caller(request: Request) -> Principal | None:
    if "authorization" not in request.headers:
        return None
    return await authenticate(request)


@router.post("/v1/participants", status_code=status.HTTP_201_CREATED,
             response_model=ParticipantOut)
async def join(body: JoinIn, participants: ParticipantsDep,
               caller: Annotated[Principal | None, Depends(optional_caller)]) -> ParticipantOut:
    """Join the region's pool: by yourself (no token), or signed up by organisation staff on
    someone's behalf (assisted sign-up for people who are not online)."""
    district = postcode_district(body.details.postcode) if body.details.postcode else None
    consent, equality = body.consent.to_domain()
    details = Details(**body.details.model_dump())
    view = await participants.join(JoinParticipant(
        network_id=body.network_id, details=details, profile=body.profile.to_domain(district),
        consent=consent, equality=equality), caller)
    return _out(view, caller if caller else None)


@router.get("/v1/participants/{participant_id}", response_model=ParticipantOut)
async def get_participant(participant_id: UUID, participants: ParticipantsDep,
                          caller: Caller) -> ParticipantOut:
    """A participant's record: for the person themselves, or staff their consent allows."""
    return _out(await participants.get(participant_id, caller), caller)


@router.patch("/v1/participants/{participant_id}/profile", response_model=ParticipantOut)
async def update_profile(participant_id: UUID, body: ProfileIn, participants: ParticipantsDep,
                         caller: Caller, if_match: IfMatch = None) -> ParticipantOut:
    """Replace the involvement profile: how the person wants to be involved."""
    view = await participants.update_profile(participant_id, body.to_domain(), caller,
                                             _version(if_match))
    return _out(view, caller)


@router.put("/v1/participants/{participant_id}/consent", response_model=ParticipantOut)
async def change_consent(participant_id: UUID, body: ConsentIn, participants: ParticipantsDep,
                         caller: Caller, if_match: IfMatch = None) -> ParticipantOut:
    """Who may see the profile, how to get in touch, and optional equality monitoring."""
    consent, equality = body.to_domain()
    view = await participants.change_consent(participant_id, consent, equality, caller,
                                             _version(if_match))
    return _out(view, caller)


@router.post("/v1/participants/{participant_id}/pause", response_model=ParticipantOut)
async def pause(participant_id: UUID, participants: ParticipantsDep, caller: Caller,
                body: PauseIn | None = None) -> ParticipantOut:
    """Step back for a while. No reason is asked and nothing counts against you."""
    until = body.until if body else None
    return _out(await participants.pause(participant_id, until, caller), caller)


@router.post("/v1/participants/{participant_id}/resume", response_model=ParticipantOut)
async def resume(participant_id: UUID, participants: ParticipantsDep,
                 caller: Caller) -> ParticipantOut:
    """Come back after a pause, or after leaving."""
    return _out(await participants.resume(participant_id, caller), caller)


@router.post("/v1/participants/{participant_id}/leave", response_model=ParticipantOut)
async def leave(participant_id: UUID, participants: ParticipantsDep,
                caller: Caller) -> ParticipantOut:
    """Leave the pool. No reason is asked; you can come back later."""
    return _out(await participants.leave(participant_id, caller), caller)


@router.delete("/v1/participants/{participant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase(participant_id: UUID, participants: ParticipantsDep, caller: Caller) -> Response:
    """Be forgotten: every copy of your personal details becomes unreadable, for good."""
    await participants.erase(participant_id, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class ContactOut(BaseModel):
    participant_id: UUID
    name: str
    email: str | None
    phone: str | None
    channels: list[ContactChannel]
    fetched_at: datetime


@router.get("/internal/v1/participants/{participant_id}/contact", response_model=ContactOut,
            tags=["internal"],
            dependencies=[Depends(require(Role.SERVICE))])
async def contact(participant_id: UUID, participants: ParticipantsDep,
                  purpose: Annotated[Literal["notice", "sign_in"], Query(
                      description="`sign_in`: for a sign-in code the person asked for, which "
                      "reaches them even while paused")] = "notice") -> ContactOut:
    """How to reach a participant now, for the notifications service only. Someone paused,
    left or erased cannot be reached, except by a sign-in code they asked for (not when
    erased)."""
    view = await participants.contact(participant_id, sign_in=purpose == "sign_in")
    return ContactOut(participant_id=participant_id, name=view.details["name"],
                      email=view.details["email"], phone=view.details["phone"],
                      channels=list(view.participant.consent.contact_channels),
                      fetched_at=datetime.now().astimezone())
