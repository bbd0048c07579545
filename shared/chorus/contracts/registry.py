"""Public events of the registry service: networks, their organisations and participants.

Contracts never carry personal data: no person's name, e-mail address, phone
number, full postcode or free-text health detail travels on the bus. Events about
people carry their ids and the non-personal facts consumers need (for matching:
topics, methods, kinds wanted, commitment, postcode district, availability,
accessibility flags, consent scope). The names of networks and organisations are
public facts about bodies, not about people.

Lists never repeat an item: a repeat is dropped on construction, first one kept.
"""

from datetime import date
from typing import Annotated, Literal, Self, TypeVar
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chorus.contracts.base import Contract
from chorus.contracts.vocabulary import (
    LANGUAGE_CODE_PATTERN,
    POSTCODE_DISTRICT_PATTERN,
    AccessibilityNeed,
    Commitment,
    ConsentScope,
    ContactChannel,
    DayPart,
    InvolvementKind,
    Method,
    ParticipantRole,
    PaymentPreference,
    SupportWanted,
    Topic,
    Weekday,
)

_Item = TypeVar("_Item")


def _without_repeats(items: tuple[_Item, ...]) -> tuple[_Item, ...]:
    return tuple(dict.fromkeys(items))


UniqueItems = Annotated[
    tuple[_Item, ...],
    AfterValidator(_without_repeats),
    Field(json_schema_extra={"uniqueItems": True}),
]
"""A list that holds each item once; bound its length with ``Field(max_length=...)``."""

LanguageCode = Annotated[str, Field(pattern=LANGUAGE_CODE_PATTERN)]
PostcodeDistrict = Annotated[str, Field(pattern=POSTCODE_DISTRICT_PATTERN)]

MAX_LANGUAGES = 10
MAX_NAMED_ORGANISATIONS = 200
MAX_TRAVEL_RADIUS_KM = 500

OrganisationKind = Literal[
    "nhs_trust",
    "healthwatch",
    "charity",
    "gp_practice",
    "icb",
    "local_authority",
    "research",
    "other",
]


class NetworkCreated(Contract, service="registry", version=1):
    """A region's partnership of organisations was set up to share one pool."""

    network_id: UUID = Field(description="The network; the subject of its events.")
    name: str = Field(min_length=1, max_length=200, description="The network's public name.")
    region_code: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,32}$",
        description="The region's code, e.g. an ONS code for an integrated care system.",
    )
    created_at: AwareDatetime = Field(description="When the network was created.")


class OrganisationJoined(Contract, service="registry", version=1):
    """An organisation became a member of a network."""

    organisation_id: UUID = Field(description="The organisation; the subject of its events.")
    network_id: UUID = Field(description="The network it joined.")
    name: str = Field(min_length=1, max_length=200, description="The organisation's public name.")
    kind: OrganisationKind = Field(description="What sort of organisation it is.")
    ods_code: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9]{3,10}$",
        description="The NHS Organisation Data Service code, for NHS bodies.",
    )
    joined_at: AwareDatetime = Field(description="When the organisation joined.")


class OrganisationLeft(Contract, service="registry", version=1):
    """An organisation stopped being a member of a network."""

    organisation_id: UUID = Field(description="The organisation; the subject of its events.")
    network_id: UUID = Field(description="The network it left.")
    left_at: AwareDatetime = Field(description="When the organisation left.")


class ParticipantJoined(Contract, service="registry", version=1):
    """A person joined a network's pool, by signing up or helped by organisation staff.

    Who the person is stays in the registry; this says only that someone joined.
    """

    participant_id: UUID = Field(description="The participant; the subject of their events.")
    network_id: UUID = Field(description="The network whose pool they joined.")
    roles: UniqueItems[ParticipantRole] = Field(
        min_length=1,
        max_length=len(ParticipantRole),
        description="Why they are in the pool: as a patient, carer, lay partner or advocate.",
    )
    joined_via: Literal["self", "assisted"] = Field(
        description="'self' for self sign-up, 'assisted' when organisation staff helped.",
    )
    assisted_by_org_id: UUID | None = Field(
        default=None,
        description="The organisation whose staff helped; present exactly when assisted.",
    )
    joined_at: AwareDatetime = Field(description="When they joined.")

    @model_validator(mode="after")
    def _assisted_by_an_organisation(self) -> Self:
        if (self.joined_via == "assisted") != (self.assisted_by_org_id is not None):
            raise ValueError("assisted_by_org_id is needed exactly when joined_via is 'assisted'")
        return self


class AvailabilitySlot(BaseModel):
    """A part of a day of the week when a participant is usually free."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    day: Weekday = Field(description="The day of the week.")
    part: DayPart = Field(description="Morning, afternoon or evening.")


class ProfileUpdated(Contract, service="registry", version=1):
    """A participant's involvement profile changed; this is the whole profile as it now is.

    A consumer needs only the latest one. An empty list means "not stated".
    """

    participant_id: UUID = Field(description="The participant.")
    network_id: UUID = Field(description="The network whose pool they are in.")
    roles: UniqueItems[ParticipantRole] = Field(
        min_length=1, max_length=len(ParticipantRole), description="Their roles in the pool."
    )
    topics: UniqueItems[Topic] = Field(
        max_length=len(Topic), description="The subjects of their lived experience."
    )
    methods: UniqueItems[Method] = Field(
        max_length=len(Method), description="The ways of taking part they are comfortable with."
    )
    kinds_wanted: UniqueItems[InvolvementKind] = Field(
        max_length=len(InvolvementKind), description="The kinds of involvement they want offered."
    )
    commitment: Commitment | None = Field(
        default=None, description="How often they are willing to be involved; null if not stated."
    )
    availability: UniqueItems[AvailabilitySlot] = Field(
        max_length=len(Weekday) * len(DayPart),
        description="The parts of the week when they are usually free.",
    )
    postcode_district: PostcodeDistrict | None = Field(
        default=None,
        description="The district they would travel from, e.g. 'LS6'; never a full postcode.",
    )
    travel_radius_km: int | None = Field(
        default=None,
        ge=0,
        le=MAX_TRAVEL_RADIUS_KM,
        description="How far they would travel from their district, in kilometres.",
    )
    online_only: bool = Field(default=False, description="They take part online only.")
    accessibility_needs: UniqueItems[AccessibilityNeed] = Field(
        max_length=len(AccessibilityNeed),
        description="What must be arranged for them to take part; flags only, no detail.",
    )
    languages: UniqueItems[LanguageCode] = Field(
        max_length=MAX_LANGUAGES,
        description="The languages they prefer, as ISO 639-1 codes, e.g. 'en', 'pl'.",
    )
    support_wanted: UniqueItems[SupportWanted] = Field(
        max_length=len(SupportWanted), description="The support they would like."
    )
    payment_preference: PaymentPreference | None = Field(
        default=None, description="What to do with involvement payments; null if not stated."
    )
    updated_at: AwareDatetime = Field(description="When the profile changed.")

    @model_validator(mode="after")
    def _travels_or_stays_online(self) -> Self:
        if self.online_only and self.travel_radius_km:
            raise ValueError("a travel_radius_km above 0 contradicts online_only")
        return self


class ConsentChanged(Contract, service="registry", version=1):
    """A participant said what they allow; this is the whole consent as it now is."""

    participant_id: UUID = Field(description="The participant.")
    network_id: UUID = Field(description="The network whose pool they are in.")
    scope: ConsentScope = Field(
        description="Who may see their profile: the whole network, or named organisations."
    )
    organisation_ids: UniqueItems[UUID] = Field(
        default=(),
        max_length=MAX_NAMED_ORGANISATIONS,
        description="The organisations named, when the scope is 'organisations'; else empty.",
    )
    contact_channels: UniqueItems[ContactChannel] = Field(
        max_length=len(ContactChannel), description="The ways they allow to be contacted."
    )
    equality_monitoring: bool = Field(
        description="They opted in to equality monitoring; the answers stay in the registry."
    )
    deprivation_decile: int | None = Field(
        default=None,
        ge=1,
        le=10,
        description="Deprivation decile of their area (1 most deprived), only when opted in.",
    )
    changed_at: AwareDatetime = Field(description="When the consent changed.")

    @model_validator(mode="after")
    def _organisations_named_exactly_for_that_scope(self) -> Self:
        if (self.scope == ConsentScope.ORGANISATIONS) != bool(self.organisation_ids):
            raise ValueError("organisation_ids are needed exactly when scope is 'organisations'")
        return self

    @model_validator(mode="after")
    def _decile_only_when_opted_in(self) -> Self:
        if self.deprivation_decile is not None and not self.equality_monitoring:
            raise ValueError("deprivation_decile is published only with equality_monitoring")
        return self


class ParticipantPaused(Contract, service="registry", version=1):
    """A participant stepped back for a while; they are not matched or contacted meanwhile."""

    participant_id: UUID = Field(description="The participant.")
    network_id: UUID = Field(description="The network whose pool they are in.")
    until: date | None = Field(
        default=None, description="The day they are back; null until they resume."
    )
    paused_at: AwareDatetime = Field(description="When they paused.")


class ParticipantResumed(Contract, service="registry", version=1):
    """A participant came back after a pause or after leaving."""

    participant_id: UUID = Field(description="The participant.")
    network_id: UUID = Field(description="The network whose pool they are in.")
    resumed_at: AwareDatetime = Field(description="When they resumed.")


class ParticipantLeft(Contract, service="registry", version=1):
    """A participant left the pool; they are no longer matched or contacted."""

    participant_id: UUID = Field(description="The participant.")
    network_id: UUID = Field(description="The network whose pool they left.")
    left_at: AwareDatetime = Field(description="When they left.")


class ParticipantErased(Contract, service="registry", version=1):
    """A participant's personal data was destroyed at their request.

    Consumers drop everything they hold about this participant id.
    """

    participant_id: UUID = Field(description="The participant who was erased.")
    network_id: UUID = Field(description="The network whose pool they were in.")
    erased_at: AwareDatetime = Field(description="When they were erased.")
