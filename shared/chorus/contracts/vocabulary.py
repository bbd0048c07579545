"""The words participants and organisations share: how people choose to be involved.

Registry publishes a participant's involvement profile and consent in these words,
and the opportunities service matches on them, so they are part of the published
language: a value, once published, is never renamed or removed (add new ones).

Standard library only, so that a service's pure domain may import it too.
"""

from enum import StrEnum

LANGUAGE_CODE_PATTERN = r"^[a-z]{2}$"
"""A spoken or written language as its ISO 639-1 code in lower case, e.g. ``en``, ``ur``.

Not an enum: the standard list is long and stable. British Sign Language has no
ISO 639-1 code; it is an accessibility need (`AccessibilityNeed.BSL_INTERPRETER`).
"""

POSTCODE_DISTRICT_PATTERN = (
    r"^(?:GIR"
    r"|[A-PR-UWYZ][0-9]{1,2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])$"
)
"""A UK postcode district: the outward half of a postcode in capitals, e.g. ``LS6``, ``SW1A``.

Districts hold thousands of homes, so a district says where someone could travel
from without saying where they live.
"""


class ParticipantRole(StrEnum):
    """Why a person is in the pool: their own lived experience, or another's."""

    PATIENT = "patient"
    CARER = "carer"
    LAY_PARTNER = "lay_partner"
    ADVOCATE = "advocate"


class Topic(StrEnum):
    """A subject of lived experience a participant can speak to.

    Broad on purpose, so that a person can recognise themselves in it without
    giving health detail; `OTHER` covers what the list does not.
    """

    MENTAL_HEALTH = "mental_health"
    DEMENTIA = "dementia"
    DIABETES = "diabetes"
    CANCER = "cancer"
    HEART_AND_STROKE = "heart_and_stroke"
    RESPIRATORY = "respiratory"
    KIDNEY_AND_LIVER = "kidney_and_liver"
    NEUROLOGICAL = "neurological"
    MUSCULOSKELETAL = "musculoskeletal"
    RARE_CONDITIONS = "rare_conditions"
    LONG_TERM_CONDITIONS = "long_term_conditions"
    MATERNITY_AND_NEONATAL = "maternity_and_neonatal"
    CHILDREN_AND_YOUNG_PEOPLE = "children_and_young_people"
    LEARNING_DISABILITY = "learning_disability"
    AUTISM = "autism"
    PHYSICAL_DISABILITY = "physical_disability"
    SENSORY_LOSS = "sensory_loss"
    CARERS = "carers"
    OLDER_PEOPLE = "older_people"
    END_OF_LIFE = "end_of_life"
    PRIMARY_CARE = "primary_care"
    COMMUNITY_SERVICES = "community_services"
    URGENT_AND_EMERGENCY_CARE = "urgent_and_emergency_care"
    HOSPITAL_CARE = "hospital_care"
    MEDICINES_AND_PHARMACY = "medicines_and_pharmacy"
    SOCIAL_CARE = "social_care"
    HOUSING_AND_HEALTH = "housing_and_health"
    SUBSTANCE_USE = "substance_use"
    SEXUAL_HEALTH = "sexual_health"
    WOMENS_HEALTH = "womens_health"
    MENS_HEALTH = "mens_health"
    DIGITAL_ACCESS = "digital_access"
    HEALTH_INEQUALITIES = "health_inequalities"
    OTHER = "other"


class Method(StrEnum):
    """A way of taking part that a participant is comfortable with."""

    SPEAKING = "speaking"
    WRITING = "writing"
    ONLINE = "online"
    IN_PERSON = "in_person"
    PHONE = "phone"
    PAPER = "paper"


class InvolvementKind(StrEnum):
    """A kind of involvement a participant wants to be offered.

    The participant's side of matching; the opportunities service describes what
    it offers in a richer list of its own and maps that onto these kinds.
    """

    BOARD_OR_COMMITTEE = "board_or_committee"
    ADVISORY_PANEL = "advisory_panel"
    FOCUS_GROUP = "focus_group"
    SURVEY = "survey"
    CO_DESIGN = "co_design"
    RECRUITMENT_PANEL = "recruitment_panel"
    STAFF_TRAINING = "staff_training"
    SPEAKING_AT_EVENTS = "speaking_at_events"
    CO_RESEARCH = "co_research"
    STORY_SHARING = "story_sharing"
    AUDIT_AND_MONITORING = "audit_and_monitoring"
    PEER_SUPPORT = "peer_support"


class Commitment(StrEnum):
    """How often a participant is willing to be involved."""

    ONE_OFF = "one_off"
    OCCASIONAL = "occasional"
    REGULAR = "regular"


class Weekday(StrEnum):
    """A day of the week, for availability."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class DayPart(StrEnum):
    """A part of the day, for availability."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class AccessibilityNeed(StrEnum):
    """Something an organisation must arrange so that a participant can take part.

    Flags only: the detail of a need (what `OTHER` is, which time of day) is
    personal and is never published.
    """

    EASY_READ = "easy_read"
    BSL_INTERPRETER = "bsl_interpreter"
    LARGE_PRINT = "large_print"
    HEARING_LOOP = "hearing_loop"
    STEP_FREE_ACCESS = "step_free_access"
    CARER_PRESENT = "carer_present"
    TIME_OF_DAY = "time_of_day"
    OTHER = "other"


class SupportWanted(StrEnum):
    """Support a participant would like before or while taking part."""

    TRAINING = "training"
    BRIEFING = "briefing"
    BUDDY = "buddy"  # a buddy, or going in pairs with another lay partner


class PaymentPreference(StrEnum):
    """What a participant wants done with an involvement payment.

    Some people reduce or decline payment to protect their benefits; volunteers
    may take their expenses only.
    """

    ACCEPT = "accept"
    REDUCE = "reduce"
    DECLINE = "decline"
    DONATE = "donate"
    EXPENSES_ONLY = "expenses_only"


class ContactChannel(StrEnum):
    """A way a participant allows organisations to contact them."""

    EMAIL = "email"
    PHONE = "phone"
    POST = "post"
    SMS = "sms"


class ConsentScope(StrEnum):
    """Who may see a participant's involvement profile."""

    NETWORK = "network"  # every organisation in the network
    ORGANISATIONS = "organisations"  # only the organisations the participant named


class ParticipantStatus(StrEnum):
    """Where a participant stands; only an active participant is matched or contacted."""

    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
    ERASED = "erased"


class OpportunityKind(StrEnum):
    """A way to be involved that an organisation offers.

    Richer than a participant's `InvolvementKind`: the opportunities service maps each
    onto the kind a participant says they want.
    """

    BOARD_OR_COMMITTEE_SEAT = "board_or_committee_seat"
    ADVISORY_PANEL = "advisory_panel"
    LAY_MEMBER_AT_MEETINGS = "lay_member_at_meetings"
    FOCUS_GROUP = "focus_group"
    CONSULTATION = "consultation"
    CO_DESIGN_WORKSHOP = "co_design_workshop"
    RECRUITMENT_PANEL = "recruitment_panel"
    STAFF_TRAINING = "staff_training"
    SPEAKING_AT_AN_EVENT = "speaking_at_an_event"
    CO_RESEARCH = "co_research"
    COMMUNICATIONS_AND_STORY_SHARING = "communications_and_story_sharing"
    AUDIT_AND_MONITORING = "audit_and_monitoring"
    COMMISSIONING_BOARD = "commissioning_board"
    PEER_SUPPORT = "peer_support"


class Stage(StrEnum):
    """Where in a piece of work involvement happens; involvement only at the end shows."""

    STRATEGY = "strategy"
    DESIGN = "design"
    DELIVERY = "delivery"
    MONITORING = "monitoring"
    EVALUATION = "evaluation"


class SupportOffered(StrEnum):
    """Support an organisation offers with an opportunity."""

    TRAINING = "training"
    BRIEFING = "briefing"
    BUDDY = "buddy"
    EXPENSES_UP_FRONT = "expenses_up_front"


class Remuneration(StrEnum):
    """Whether an opportunity reimburses expenses only or also pays for involvement."""

    EXPENSES_ONLY = "expenses_only"
    PAID = "paid"


class ExpenseKind(StrEnum):
    """What an expense claim is for."""

    MILEAGE = "mileage"
    PUBLIC_TRANSPORT = "public_transport"
    PARKING = "parking"
    CARER_OR_CHILDCARE_COVER = "carer_or_childcare_cover"
    MEALS = "meals"
    OTHER = "other"


# -- feedback: consultations, stories and changes ------------------------------------


class QuestionKind(StrEnum):
    """How a consultation question is answered."""

    FREE_TEXT = "free_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"


class Audience(StrEnum):
    """Who a consultation asks: the network's whole pool, invited participants, or anyone."""

    NETWORK = "network"
    INVITED = "invited"
    PUBLIC = "public"


class Channel(StrEnum):
    """How a response reached the service: online (signed in or anonymous) or entered by
    staff from paper, a phone call or an event."""

    ONLINE = "online"
    ANONYMOUS = "anonymous"
    PAPER = "paper"
    PHONE = "phone"
    EVENT = "event"


class ClosedBy(StrEnum):
    """What closed a consultation: its schedule, or its staff."""

    SCHEDULE = "schedule"
    STAFF = "staff"


class Decision(StrEnum):
    """What moderation decided about a story."""

    PUBLISH = "publish"
    REDACT = "redact"
    REJECT = "reject"


class ChangeStatus(StrEnum):
    """How far one organisation's part of a change has got."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class DeliveryChannel(StrEnum):
    """How something reached its recipient: a partner's webhook, or a person's e-mail (SMS
    and letters have room here when they come)."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class Frequency(StrEnum):
    """How often a participant wants to hear: at once, or gathered into one digest."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class DisabledBecause(StrEnum):
    """Why a partner's webhook endpoint stopped receiving: it said it is gone (HTTP 410), or
    it kept failing for five days."""

    GONE = "gone"
    FAILING = "failing"
