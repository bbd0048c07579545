"""A participant: a person in the region's pool, their involvement profile and their consent.

Personal details reach the domain already sealed (encrypted under the person's own key):
the domain decides on status, profile and consent, never on who the person is. Pausing,
declining and leaving are one action each, need no reason, and leave no mark.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

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
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import DomainRuleBroken, NotFound


class JoinedVia(StrEnum):
    SELF = "self"
    ASSISTED = "assisted"


@dataclass(frozen=True, kw_only=True)
class PersonalDetails:
    """Who the person is, each field a sealed token (or None); never readable here."""

    name: str
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    date_of_birth: str | None = None
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class Slot:
    day: Weekday
    part: DayPart


@dataclass(frozen=True, kw_only=True)
class Profile:
    """What a participant offers and prefers: the facts matching works on."""

    roles: tuple[ParticipantRole, ...]
    methods: tuple[Method, ...]
    topics: tuple[Topic, ...] = ()
    kinds_wanted: tuple[InvolvementKind, ...] = ()
    commitment: Commitment | None = None
    availability: tuple[Slot, ...] = ()
    postcode_district: str | None = None
    travel_radius_km: int | None = None
    online_only: bool = False
    accessibility_needs: tuple[AccessibilityNeed, ...] = ()
    languages: tuple[str, ...] = ("en",)
    support_wanted: tuple[SupportWanted, ...] = ()
    payment_preference: PaymentPreference = PaymentPreference.ACCEPT
    payment_reduced_to_pence: int | None = None

    def __post_init__(self) -> None:
        if not self.roles:
            raise DomainRuleBroken("a profile needs at least one role")
        if not self.methods:
            raise DomainRuleBroken("a profile needs at least one way of being involved (method)")
        if self.online_only and self.travel_radius_km:
            raise DomainRuleBroken("travel_radius_km makes no sense when online_only is true")
        reduced = self.payment_preference == PaymentPreference.REDUCE
        if reduced != (self.payment_reduced_to_pence is not None):
            raise DomainRuleBroken("payment_reduced_to_pence is needed exactly when the "
                                   "payment preference is 'reduce'")


@dataclass(frozen=True, kw_only=True)
class Consent:
    """What a participant allows: who sees the profile, how to get in touch, monitoring."""

    scope: ConsentScope = ConsentScope.NETWORK
    organisation_ids: tuple[UUID, ...] = ()
    contact_channels: tuple[ContactChannel, ...] = (ContactChannel.EMAIL,)
    equality_monitoring: bool = False
    deprivation_decile: int | None = None
    age_band: str | None = None  # sealed
    ethnicity: str | None = None  # sealed
    disability: str | None = None  # sealed

    def __post_init__(self) -> None:
        if self.scope == ConsentScope.ORGANISATIONS and not self.organisation_ids:
            raise DomainRuleBroken("sharing with named organisations needs at least one "
                                   "organisation id")
        if self.scope == ConsentScope.NETWORK and self.organisation_ids:
            raise DomainRuleBroken("organisation_ids are only for scope 'organisations'")
        monitored = (self.deprivation_decile, self.age_band, self.ethnicity, self.disability)
        if not self.equality_monitoring and any(v is not None for v in monitored):
            raise DomainRuleBroken("equality details are kept only with equality_monitoring")

    def shares_with(self, organisation_id: UUID) -> bool:
        return self.scope == ConsentScope.NETWORK or organisation_id in self.organisation_ids


@dataclass(frozen=True, kw_only=True)
class ParticipantJoined(DomainEvent):
    participant_id: UUID
    network_id: UUID
    roles: tuple[ParticipantRole, ...]
    joined_via: JoinedVia
    assisted_by_org_id: UUID | None
    assisted_by: str | None
    personal: PersonalDetails
    joined_at: datetime


@dataclass(frozen=True, kw_only=True)
class PersonalDetailsChanged(DomainEvent):
    participant_id: UUID
    network_id: UUID
    personal: PersonalDetails
    changed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ProfileUpdated(DomainEvent):
    participant_id: UUID
    network_id: UUID
    profile: Profile
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class ConsentChanged(DomainEvent):
    participant_id: UUID
    network_id: UUID
    consent: Consent
    recorded_by: str | None = None
    changed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantPaused(DomainEvent):
    participant_id: UUID
    network_id: UUID
    until: date | None
    paused_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantResumed(DomainEvent):
    participant_id: UUID
    network_id: UUID
    resumed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantLeft(DomainEvent):
    participant_id: UUID
    network_id: UUID
    left_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantErased(DomainEvent):
    participant_id: UUID
    network_id: UUID
    erased_at: datetime


@dataclass
class _State:
    network_id: UUID | None = None
    status: ParticipantStatus = ParticipantStatus.ACTIVE
    paused_until: date | None = None
    personal: PersonalDetails | None = None
    profile: Profile | None = None
    consent: Consent = field(default_factory=Consent)


class Participant(Aggregate):
    stream_type = "participant"

    state: _State

    @classmethod
    def join(cls, participant_id: UUID, network_id: UUID, personal: PersonalDetails,
             profile: Profile, consent: Consent, now: datetime, *,
             assisted_by_org_id: UUID | None = None, assisted_by: str | None = None,
             ) -> "Participant":
        """Self sign-up, or assisted sign-up by staff who record the consent given."""
        participant = cls(str(participant_id))
        participant.state = _State()
        via = JoinedVia.SELF if assisted_by_org_id is None else JoinedVia.ASSISTED
        participant.record(ParticipantJoined(
            participant_id=participant_id, network_id=network_id, roles=profile.roles,
            joined_via=via,
            assisted_by_org_id=assisted_by_org_id, assisted_by=assisted_by,
            personal=personal, joined_at=now))
        participant.record(ProfileUpdated(participant_id=participant_id, network_id=network_id,
                                          profile=profile, updated_at=now))
        participant.record(ConsentChanged(participant_id=participant_id, network_id=network_id,
                                          consent=consent, recorded_by=assisted_by,
                                          changed_at=now))
        return participant

    @property
    def network_id(self) -> UUID:
        assert self.state.network_id is not None
        return self.state.network_id

    @property
    def status(self) -> ParticipantStatus:
        return self.state.status

    @property
    def consent(self) -> Consent:
        return self.state.consent

    @property
    def personal(self) -> PersonalDetails:
        assert self.state.personal is not None
        return self.state.personal

    @property
    def profile(self) -> Profile:
        assert self.state.profile is not None
        return self.state.profile

    def update_profile(self, profile: Profile, now: datetime) -> None:
        self._still_here()
        self.record(ProfileUpdated(**self._ids, profile=profile, updated_at=now))

    def change_personal_details(self, personal: PersonalDetails, now: datetime) -> None:
        self._still_here()
        self.record(PersonalDetailsChanged(**self._ids, personal=personal, changed_at=now))

    def change_consent(self, consent: Consent, now: datetime) -> None:
        self._still_here()
        self.record(ConsentChanged(participant_id=UUID(self.id), network_id=self.network_id,
                                   consent=consent, changed_at=now))

    def pause(self, until: date | None, now: datetime) -> None:
        """Step back for a while (until a date, or until they resume); no reason asked."""
        self._still_here()
        if until is not None and until <= now.date():
            raise DomainRuleBroken("a pause must last until a date after today")
        if self.status == ParticipantStatus.LEFT:
            raise DomainRuleBroken("a participant who has left cannot pause; resume first")
        self.record(ParticipantPaused(**self._ids, until=until, paused_at=now))

    def resume(self, now: datetime) -> None:
        """Come back after a pause or after leaving; nothing happens if already active."""
        self._still_here()
        if self.status != ParticipantStatus.ACTIVE:
            self.record(ParticipantResumed(**self._ids, resumed_at=now))

    def leave(self, now: datetime) -> None:
        self._still_here()
        if self.status != ParticipantStatus.LEFT:
            self.record(ParticipantLeft(**self._ids, left_at=now))

    def erase(self, now: datetime) -> None:
        self._still_here()
        self.record(ParticipantErased(**self._ids, erased_at=now))

    def active_on(self, day: date) -> bool:
        """Whether the person can be matched or contacted on a day (a pause may have ended)."""
        if self.status == ParticipantStatus.PAUSED:
            return self.state.paused_until is not None and day >= self.state.paused_until
        return self.status == ParticipantStatus.ACTIVE

    @property
    def _ids(self) -> dict[str, UUID]:
        return {"participant_id": UUID(self.id), "network_id": self.network_id}

    def _still_here(self) -> None:
        if self.status == ParticipantStatus.ERASED:
            raise NotFound(f"participant {self.id} does not exist")

    def apply(self, event: DomainEvent) -> None:
        if not hasattr(self, "state"):
            self.state = _State()
        self.state = _applied(self.state, event)


def _applied(state: _State, event: DomainEvent) -> _State:
    match event:
        case ParticipantJoined():
            return replace(state, network_id=event.network_id, personal=event.personal)
        case PersonalDetailsChanged():
            return replace(state, personal=event.personal)
        case ProfileUpdated():
            return replace(state, profile=event.profile)
        case ConsentChanged():
            return replace(state, consent=event.consent)
        case ParticipantPaused():
            return replace(state, status=ParticipantStatus.PAUSED, paused_until=event.until)
        case ParticipantResumed():
            return replace(state, status=ParticipantStatus.ACTIVE, paused_until=None)
        case ParticipantLeft():
            return replace(state, status=ParticipantStatus.LEFT, paused_until=None)
        case ParticipantErased():
            return replace(state, status=ParticipantStatus.ERASED)
    return state


PARTICIPANT_EVENTS: tuple[type[DomainEvent], ...] = (
    ParticipantJoined, PersonalDetailsChanged, ProfileUpdated, ConsentChanged,
    ParticipantPaused, ParticipantResumed, ParticipantLeft, ParticipantErased,
)
