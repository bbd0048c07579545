"""A region's whole journey, driven as its people and organisations would: only through the
four services' HTTP APIs, a real SMTP server's mailbox and a partner's real webhook receiver.

A network with an NHS trust, a Healthwatch and a charity; fifty people join with varied
profiles and consent, one pauses; the trust publishes a design-stage co-design workshop with
pairs preferred; matching ranks only the people the profiles make eligible, in the order the
published rules give; three are invited by e-mail, two accept and one declines; a session is
held and an expense claimed and paid; the Healthwatch consults, people respond, it closes with
an outcome; the trust and the charity record a change linked to three responses, and exactly
those three people are told; the charity's partner endpoint gets every public event, signed,
in order per aggregate; the metrics show it all; one person is erased and can no longer be
found. Every effect that crosses the bus is waited for with a deadline, never a fixed sleep.

`Journey.run(between=...)` runs the steps in order and calls `between(step)` after each, so a
fault test can break something in the middle (`STEPS` names them).
"""

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx

from tests.services.notifications.people_support import Mailbox, Received
from tests.services.notifications.webhook_support import Endpoint

T = TypeVar("T")
Headers = dict[str, str]
Between = Callable[[str], Awaitable[None]]

# -- the region and its people ------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """Where the four services answer, and the platform administrator's API key."""

    registry: str
    opportunities: str
    feedback: str
    notifications: str
    admin_api_key: str


TRUST, HEALTHWATCH, CHARITY = "trust", "healthwatch", "charity"
BOTH_TOPICS = ("diabetes", "hospital_care")
TUESDAY_MORNING = ("tuesday", "morning")


@dataclass(frozen=True)
class Person:
    """One of the fifty: how they want to be involved, and whom they share it with."""

    key: str
    topics: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    commitment: str | None = None
    methods: tuple[str, ...] = ("in_person", "speaking")
    district: str = "LS1"
    online_only: bool = False
    needs: tuple[str, ...] = ()
    availability: tuple[tuple[str, str], ...] = ()
    shares_with: tuple[str, ...] = ()  # organisations by label; none: the whole network
    channels: tuple[str, ...] = ("email",)
    decile: int | None = None  # opted in to equality monitoring, living in this decile
    pauses: bool = False

    @property
    def email(self) -> str:
        return f"{self.key}@people.example.org"

    def profile(self) -> dict[str, Any]:
        return {"roles": ["patient"], "methods": list(self.methods), "topics": list(self.topics),
                "kinds_wanted": list(self.kinds), "commitment": self.commitment,
                "availability": [{"day": d, "part": p} for d, p in self.availability],
                "postcode_district": self.district,
                "travel_radius_km": None if self.online_only else 15,
                "online_only": self.online_only, "accessibility_needs": list(self.needs)}

    def consent(self, organisations: dict[str, str]) -> dict[str, Any]:
        named = [organisations[label] for label in self.shares_with]
        return {"scope": "organisations" if named else "network", "organisation_ids": named,
                "contact_channels": list(self.channels),
                "equality_monitoring": self.decile is not None,
                "deprivation_decile": self.decile}

    def shares_with_organisation(self, label: str) -> bool:
        return not self.shares_with or label in self.shares_with

    @property
    def emailable(self) -> bool:
        return "email" in self.channels


def the_pool() -> list[Person]:
    """Fifty people. Those in the first two groups fit the trust's workshop; every other
    group fails exactly one of matching's hard filters. Three who fit score the most (e01,
    e02, t01); so would p01, who pauses, and c01, who shares only with the charity."""
    p = Person
    fits = [
        p("e01", BOTH_TOPICS, ("co_design", "survey"), "regular", decile=1),
        p("e02", BOTH_TOPICS, ("co_design",), "occasional", decile=2),
        p("e03", ("diabetes",), decile=5),
        p("e04", ("hospital_care", "cancer"), ("survey",), "one_off"),
        p("e05", (), ("co_design",), "regular", district="LS6"),
        p("e06", BOTH_TOPICS, ("focus_group", "survey"), decile=2),
        p("e07", ("diabetes",), ("co_design",), "one_off", district="LS6", decile=9),
        p("e08", ("mental_health",), ("survey",), decile=3),
        p("e09", BOTH_TOPICS, (), "regular", availability=(TUESDAY_MORNING,
                                                            ("thursday", "afternoon"))),
        p("e10", ("hospital_care",), ("co_design", "survey"), decile=1),
        p("e11", ("diabetes",), ("survey",), channels=("phone",)),
        p("e12", (), ("survey", "co_design"), channels=("phone",), decile=1),
        p("e13", ("diabetes",), ("survey",), "occasional", decile=2),
        p("e14", ("cancer",), ("survey",), decile=5),
        p("e15", BOTH_TOPICS, ("advisory_panel",), "one_off", district="LS6"),
        p("e16", ("diabetes",), ("co_design",), needs=("step_free_access",)),
        p("e17", ("hospital_care",), methods=("in_person", "writing")),
        p("e18", BOTH_TOPICS, ("co_design",), "regular", decile=6),
        p("e19", ("dementia",), (), "occasional", decile=10),
        p("e20", (), ("survey", "focus_group")),
        p("e21", ("diabetes",), ("co_design",), district="LS6", decile=4),
        p("e22", BOTH_TOPICS, ("survey",), "one_off", decile=8),
        p("t01", BOTH_TOPICS, ("co_design",), "regular", shares_with=(TRUST,), decile=1),
        p("t02", ("diabetes",), ("survey",), shares_with=(TRUST,)),
        p("t03", (), ("co_design",), shares_with=(TRUST, CHARITY), decile=2),
        p("t04", BOTH_TOPICS, (), "one_off", shares_with=(TRUST,)),
    ]
    do_not_fit = [
        p("c01", BOTH_TOPICS, ("co_design",), "regular", shares_with=(CHARITY,), decile=1),
        p("c02", ("diabetes",), ("survey",), shares_with=(CHARITY,)),
        p("c03", (), (), shares_with=(CHARITY,)),
        p("c04", ("cancer",), ("co_design",), shares_with=(CHARITY,), decile=3),
        p("h01", ("diabetes",), ("survey",), shares_with=(HEALTHWATCH,), decile=7),
        p("h02", ("hospital_care",), ("survey",), shares_with=(HEALTHWATCH,)),
        p("h03", (), (), shares_with=(HEALTHWATCH,)),
        p("p01", BOTH_TOPICS, ("co_design", "survey"), "regular", decile=1, pauses=True),
        p("m01", ("diabetes",), ("survey",), methods=("online", "writing"), online_only=True,
          decile=10),
        p("m02", BOTH_TOPICS, (), methods=("online",), online_only=True),
        p("m03", (), ("co_design",), methods=("writing", "paper"), online_only=True),
        p("m04", ("diabetes",), ("survey",), methods=("phone",), online_only=True),
        p("m05", (), (), methods=("online", "phone"), online_only=True),
        p("a01", BOTH_TOPICS, ("co_design",), needs=("bsl_interpreter",)),
        p("a02", ("diabetes",), ("survey",), needs=("easy_read", "step_free_access")),
        p("a03", (), (), needs=("large_print",)),
        p("d01", BOTH_TOPICS, ("co_design",), district="SW1A"),
        p("d02", ("diabetes",), ("survey",), district="SW1A"),
        p("d03", (), (), district="EH1"),
        p("d04", ("hospital_care",), ("survey",), district="EH1"),
        p("v01", BOTH_TOPICS, ("co_design",), availability=(("monday", "evening"),)),
        p("v02", ("diabetes",), ("survey",), availability=(("saturday", "morning"),)),
        p("v03", (), (), availability=(("tuesday", "evening"),)),
        p("v04", ("diabetes",), (), availability=(("wednesday", "morning"),)),
    ]
    people = fits + do_not_fit
    assert len(people) == 50 and len({x.key for x in people}) == 50
    return people


RESPONDENTS = ("e13", "e14", "h01", "m01")  # besides the first person matched
VOICES = ("e13", "h01")  # besides the first person matched: the change's three voices

# -- the workshop, and what matching must make of the pool (its published rules) ----------

WORKSHOP_METHODS = frozenset({"in_person", "speaking"})
WORKSHOP_PROVIDES = frozenset({"step_free_access", "hearing_loop"})
WORKSHOP_DISTRICTS = frozenset({"LS1", "LS6"})  # LS6 is 3 km from LS1: within 15 km


def next_tuesday_morning(after_days: int = 14) -> datetime:
    day = date.today() + timedelta(days=after_days)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def workshop() -> dict[str, Any]:
    starts = next_tuesday_morning()
    return {
        "title": "Redesign the diabetes discharge letter",
        "description": "Two lay partners work with our discharge team from the start.",
        "kind": "co_design_workshop", "stage": "design", "topics": list(BOTH_TOPICS),
        "methods": sorted(WORKSHOP_METHODS), "online": False, "postcode_district": "LS1",
        "sessions": [{"starts_at": starts.isoformat(),
                      "ends_at": (starts + timedelta(hours=3)).isoformat()}],
        "commitment": "one_off", "time_commitment": "One 3-hour workshop", "seats": 2,
        "pairs_preferred": True, "support_offered": ["briefing", "buddy", "expenses_up_front"],
        "remuneration": "expenses_only", "accessibility_provided": sorted(WORKSHOP_PROVIDES),
        "closing_date": (date.today() + timedelta(days=30)).isoformat(),
    }


def unmet(person: Person) -> str | None:
    """The first hard filter the person fails for the trust's workshop; None if they fit."""
    if person.pauses:
        return "inactive"
    if not person.shares_with_organisation(TRUST):
        return "consent"
    if not WORKSHOP_METHODS & set(person.methods):
        return "methods"
    if not set(person.needs) <= WORKSHOP_PROVIDES:
        return "accessibility"
    if person.online_only or person.district not in WORKSHOP_DISTRICTS:
        return "travel"
    if person.availability and TUESDAY_MORNING not in person.availability:
        return "availability"
    return None


def points(person: Person) -> int:
    """The person's score for the workshop in milli-points, by the published weights: lived
    experience of its topics, wanting co-design, offering enough commitment, a new voice,
    and living in one of the most deprived areas."""
    topic = 3000 * len(set(person.topics) & set(BOTH_TOPICS)) // len(BOTH_TOPICS)
    kind = 1000 if not person.kinds else 2000 if "co_design" in person.kinds else 0
    commitment = 500 if person.commitment is None else 1000
    deprived = 1500 if person.decile in (1, 2) else 0
    return topic + kind + commitment + 1500 + deprived


# -- e-mail --------------------------------------------------------------------------------

SUBJECTS = {
    "sign_in_code": "Your Chorus sign-in code",
    "invitation": "You're invited",
    "change_made": "Your feedback led to a change",
    "expense_paid": "Your expenses have been paid",
}


def kind_of(mail: Received) -> str:
    for kind, start in SUBJECTS.items():
        if mail.subject.startswith(start):
            return kind
    return "consultation_opened" if "would like your views" in mail.subject else mail.subject


def code_in(mail: Received) -> str:
    found = re.search(r"\b(\d{6})\b", mail.text)
    assert found, f"no code in {mail.text!r}"
    return found.group(1)


# -- waiting -------------------------------------------------------------------------------


async def until(look: Callable[[], Awaitable[tuple[bool, T]]], what: str,
                within: float) -> T:
    """Look again and again until the look says yes; fail with what was seen last."""
    deadline = time.monotonic() + within
    while True:
        done, seen = await look()
        if done:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f} s; last seen:\n{seen!r}")
        await asyncio.sleep(0.2)


def event_type(service: str, name: str) -> str:
    return f"chorus.{service}.{name}.v1"


STEPS = (
    "the network forms", "a partner subscribes", "fifty people join", "one pauses",
    "the trust publishes a workshop", "matching ranks only eligible people",
    "invitations are sent", "invitations are e-mailed", "two accept and one declines",
    "a session is held", "an expense is claimed and paid", "the healthwatch consults",
    "people respond", "the consultation closes with an outcome", "a change is recorded",
    "its voices are told", "the metrics show it", "one person is erased",
    "the partner has every event", "nothing was lost or sent twice",
)


@dataclass
class Journey:
    """The journey against one running region. `wait` is the deadline, in seconds, for each
    effect that crosses the bus."""

    region: Region
    mail: Mailbox
    partner: Endpoint
    http: httpx.AsyncClient
    wait: float = 90.0
    people: list[Person] = field(default_factory=the_pool)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {person.key: person for person in self.people}
        self.ids: dict[str, str] = {}  # person key -> participant id
        self.tokens: dict[str, Headers] = {}  # person key -> their signed-in headers
        self.codes_asked: Counter[str] = Counter()  # e-mail address -> codes asked for
        self.organisations: dict[str, str] = {}  # label -> organisation id
        self.staff: dict[str, Headers] = {}
        self.expected: Counter[tuple[str, str]] = Counter()  # (type, subject) partners see
        self.before_subscribing: set[tuple[str, str]] = set()
        self.ranked: list[str] = []  # person keys, as matching ranked them

    # -- running ---------------------------------------------------------------------------

    async def run(self, between: Between | None = None) -> None:
        for name in STEPS:
            started = time.monotonic()
            await getattr(self, _method(name))()
            self.timings[name] = round(time.monotonic() - started, 1)
            if between is not None:
                await between(name)

    # -- the steps ---------------------------------------------------------------------------

    async def the_network_forms(self) -> None:
        self.admin = await self.token_for(self.region.admin_api_key)
        network = await self.call("POST", self.registry("/v1/networks"), 201, json={
            "name": "West Example Health and Care Partnership"}, headers=self.admin)
        self.network_id = network["network_id"]
        self.before_subscribing.add((event_type("registry", "NetworkCreated"), self.network_id))
        for label, kind, name, ods in (
                (TRUST, "nhs_trust", "West Example NHS Foundation Trust", "RWX"),
                (HEALTHWATCH, "healthwatch", "Healthwatch West Example", None),
                (CHARITY, "charity", "West Example Carers Centre", None)):
            body = {"network_id": self.network_id, "name": name, "kind": kind,
                    **({"ods_code": ods} if ods else {})}
            joined = await self.call("POST", self.registry("/v1/organisations"), 201, json=body,
                                     headers=self.admin)
            organisation_id = joined["organisation_id"]
            self.organisations[label] = organisation_id
            self.before_subscribing.add((event_type("registry", "OrganisationJoined"),
                                         organisation_id))
            key = await self.call("POST", self.registry(
                f"/v1/organisations/{organisation_id}/api-keys"), 201,
                json={"label": "journey"}, headers=self.admin)
            self.staff[label] = await self.token_for(key["api_key"])

    async def a_partner_subscribes(self) -> None:
        """The charity's case system subscribes to every event, before anyone joins."""
        created = await self.accepted("POST", self.notifications("/v1/subscriptions"), 201,
                                      json={"url": self.partner.url, "event_types": ["*"],
                                            "description": "Carers centre case system"},
                                      headers=self.staff[CHARITY])
        self.partner.secrets = [created["secret"]]
        self.subscription_id = created["subscription_id"]
        assert created["network_id"] == self.network_id

    async def fifty_people_join(self) -> None:
        """Each signs up by themselves, a few at a time, as people do."""
        at_once = asyncio.Semaphore(8)

        async def join(person: Person) -> None:
            async with at_once:
                joined = await self.call("POST", self.registry("/v1/participants"), 201, json={
                    "network_id": self.network_id,
                    "details": {"name": f"Journey Person {person.key.upper()}",
                                "email": person.email},
                    "profile": person.profile(), "consent": person.consent(self.organisations)})
            self.ids[person.key] = pid = joined["participant_id"]
            self.expect("registry", pid, "ParticipantJoined", "ProfileUpdated",
                        "ConsentChanged")

        await asyncio.gather(*(join(person) for person in self.people))

    async def one_pauses(self) -> None:
        [person] = [p for p in self.people if p.pauses]
        paused = await self.call("POST", self.registry(f"/v1/participants/{self.ids[person.key]}"
                                                       "/pause"), 200,
                                 headers=await self.sign_in(person.key))
        assert paused["status"] == "paused"
        self.expect("registry", self.ids[person.key], "ParticipantPaused")

    async def the_trust_publishes_a_workshop(self) -> None:
        published = await self.call("POST", self.opportunities("/v1/opportunities"), 201,
                                    json=workshop(), headers=self.staff[TRUST])
        self.opportunity_id = published["opportunity_id"]
        assert (published["stage"], published["pairs_preferred"]) == ("design", True)
        self.expect("opportunities", self.opportunity_id, "OpportunityPublished")

    async def matching_ranks_only_eligible_people(self) -> None:
        """Matching must rank exactly the people the profiles make eligible, best first by
        the published weights (ties by participant id), and pair them down the list."""
        fit = [p for p in self.people if unmet(p) is None]
        ranked = sorted(fit, key=lambda p: (-points(p), self.ids[p.key]))
        excluded = Counter(unmet(p) for p in self.people if unmet(p) is not None)
        ranking = [(self.ids[p.key], points(p) / 1000) for p in ranked]
        pairs = [[self.ids[a.key], self.ids[b.key]] for a, b in zip(ranked[::2], ranked[1::2],
                                                                     strict=False)]
        wanted = {"eligible": len(fit), "excluded": dict(excluded), "ranking": ranking,
                  "pairs": pairs}

        async def look() -> tuple[bool, dict[str, Any]]:
            seen = await self.matches()
            return seen == wanted, seen

        seen = await until(look, "matching ranks the pool as the profiles imply", self.wait)
        self.ranked = [p.key for p in ranked]
        matched = {pid for pid, _ in seen["ranking"]}
        never = [p for p in self.people if p.pauses or not p.shares_with_organisation(TRUST)]
        assert len(never) == 8 and not matched & {self.ids[p.key] for p in never}, \
            "the person who paused and those who did not consent to the trust are not ranked"
        assert len(matched) == 26 and excluded == Counter(
            consent=7, inactive=1, methods=5, accessibility=3, travel=4, availability=4)

    async def invitations_are_sent(self) -> None:
        self.invited = self.ranked[:3]
        assert set(self.invited) == {"e01", "e02", "t01"}, self.invited
        sent = await self.call("POST", self.opportunities(
            f"/v1/opportunities/{self.opportunity_id}/invitations"), 201,
            json={"participant_ids": [self.ids[k] for k in self.invited]},
            headers=self.staff[TRUST])
        self.invitations = {i["participant_id"]: i["invitation_id"] for i in sent}
        assert set(self.invitations) == {self.ids[k] for k in self.invited}
        self.expect("opportunities", self.opportunity_id, *["ParticipantInvited"] * 3)

    async def invitations_are_e_mailed(self) -> None:
        """Exactly the three invited get an invitation, each once."""
        got = await self.mails_of("invitation", 3)
        assert Counter(m.recipients for m in got) == Counter(
            (self.by_key[k].email,) for k in self.invited)
        assert all("Redesign the diabetes discharge letter" in m.subject for m in got)

    async def two_accept_and_one_declines(self) -> None:
        self.first, self.second, self.declined = self.invited
        for key, verb, status in ((self.first, "accept", "assigned"),
                                  (self.second, "accept", "assigned"),
                                  (self.declined, "decline", "declined")):
            invitation_id = self.invitations[self.ids[key]]
            answered = await self.call("POST", self.opportunities(
                f"/v1/invitations/{invitation_id}/{verb}"), 200,
                headers=await self.sign_in(key))
            assert answered["status"] == status, answered
        self.expect("opportunities", self.opportunity_id, "InvitationAccepted",
                    "ParticipantAssigned", "InvitationAccepted", "ParticipantAssigned",
                    "OpportunityFilled", "InvitationDeclined")
        workshop_now = await self.call("GET", self.opportunities(
            f"/v1/opportunities/{self.opportunity_id}"), 200, headers=self.staff[TRUST])
        assert workshop_now["assigned"] == 2

    async def a_session_is_held(self) -> None:
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=4)
        held = await self.call("POST", self.opportunities(
            f"/v1/opportunities/{self.opportunity_id}/sessions"), 201, json={
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
                "attendance": [{"participant_id": self.ids[k], "hours": 3}
                               for k in (self.first, self.second)]},
            headers=self.staff[TRUST])
        self.session_id = held["session_id"]
        assert held["stage"] == "design"
        self.expect("opportunities", self.opportunity_id, "SessionHeld")

    async def an_expense_is_claimed_and_paid(self) -> None:
        """The first to accept claims 12 miles (45p a mile: £5.40); the trust pays it."""
        claimed = await self.call("POST", self.opportunities("/v1/expenses"), 201, json={
            "participant_id": self.ids[self.first], "opportunity_id": self.opportunity_id,
            "session_id": self.session_id, "kind": "mileage", "miles": 12},
            headers=await self.sign_in(self.first))
        assert claimed["amount_pence"] == 540, claimed
        expense = f"/v1/expenses/{claimed['expense_id']}"
        for verb, status in (("approve", "approved"), ("pay", "paid")):
            done = await self.call("POST", self.opportunities(f"{expense}/{verb}"), 200,
                                   headers=self.staff[TRUST])
            assert done["status"] == status, done
        self.expect("opportunities", claimed["expense_id"], "ExpenseClaimed", "ExpenseApproved",
                    "ExpensePaid")
        [paid] = await self.mails_of("expense_paid", 1)
        assert paid.recipients == (self.by_key[self.first].email,) and "£5.40" in paid.text

        async def record() -> tuple[bool, Any]:
            mine = await self.call("GET", self.opportunities(
                f"/v1/participants/{self.ids[self.first]}/involvement"), 200,
                headers=await self.sign_in(self.first))
            return mine["totals"] == {"sessions": 1, "minutes": 180, "expenses_paid_pence": 540,
                                      "payments_received_pence": 0}, mine["totals"]

        await until(record, "their own involvement record shows the session and the expense",
                    self.wait)

    async def the_healthwatch_consults(self) -> None:
        """A consultation for the network's pool: it is announced to exactly those who want
        surveys, share with the Healthwatch, take e-mail and have not paused."""
        closes = datetime.now(UTC) + timedelta(days=28)
        opened = await self.accepted("POST", self.feedback("/v1/consultations"), 201, json={
            "title": "Leaving hospital with diabetes",
            "purpose": "What would have made going home easier?", "stage": "design",
            "audience": "network", "closes_at": closes.isoformat(),
            "questions": [
                {"kind": "single_choice", "prompt": "Was your discharge letter clear?",
                 "options": ["Yes", "Partly", "No"], "required": True},
                {"kind": "free_text", "prompt": "What would have helped?"}]},
            headers=self.staff[HEALTHWATCH])
        self.consultation_id = opened["consultation_id"]
        self.questions = [q["question_id"] for q in opened["questions"]]
        self.expect("feedback", self.consultation_id, "ConsultationOpened")
        told = [p for p in self.people if "survey" in p.kinds and p.emailable
                and not p.pauses and p.shares_with_organisation(HEALTHWATCH)]
        got = await self.mails_of("consultation_opened", len(told))
        assert Counter(m.recipients for m in got) == Counter((p.email,) for p in told)

    async def people_respond(self) -> None:
        self.respondents = [self.first, *RESPONDENTS]
        self.responses: dict[str, str] = {}
        for number, key in enumerate(self.respondents):
            answered = await self.call("POST", self.feedback(
                f"/v1/consultations/{self.consultation_id}/feedback"), 201, json={"answers": [
                    {"question_id": self.questions[0], "choices": [["Partly", "No"][number % 2]]},
                    {"question_id": self.questions[1],
                     "text": "A named person to ring in the first week at home."}]},
                headers=await self.sign_in(key))
            assert answered["participant_id"] == self.ids[key]
            self.responses[key] = answered["feedback_id"]
            self.expect("feedback", answered["feedback_id"], "FeedbackSubmitted")

    async def the_consultation_closes_with_an_outcome(self) -> None:
        path = f"/v1/consultations/{self.consultation_id}"
        closed = await self.call("POST", self.feedback(f"{path}/close"), 200,
                                 headers=self.staff[HEALTHWATCH])
        assert closed["status"] == "closed" and closed["summary"]["responses"] == 5, closed
        outcome = await self.call("POST", self.feedback(f"{path}/outcome"), 200, json={
            "you_said": "Going home, nobody told you whom to call.",
            "we_did": "The trust and the carers centre now give everyone a named contact."},
            headers=self.staff[HEALTHWATCH])
        assert outcome["outcome_status"] == "published"
        self.expect("feedback", self.consultation_id, "ConsultationClosed", "OutcomePublished")

    async def a_change_is_recorded(self) -> None:
        self.voices = [self.first, *VOICES]
        made = await self.accepted("POST", self.feedback("/v1/changes"), 201, json={
            "title": "A named contact after leaving hospital",
            "what_changed": "Everyone leaving the diabetes ward gets a named contact.",
            "service_area": "diabetes", "changed_on": date.today().isoformat(),
            "organisations": [
                {"organisation_id": self.organisations[TRUST], "owner": "Discharge Lead"},
                {"organisation_id": self.organisations[CHARITY], "owner": "Carers Lead"}],
            "feedback_ids": [self.responses[k] for k in self.voices]},
            headers=self.staff[TRUST])
        assert made["voices"] == 3, made
        self.change_id = made["change_id"]
        self.expect("feedback", self.change_id, "ChangeMade")

    async def its_voices_are_told(self) -> None:
        got = await self.mails_of("change_made", 3)
        assert Counter(m.recipients for m in got) == Counter(
            (self.by_key[k].email,) for k in self.voices)
        assert all("A named contact after leaving hospital" in m.subject for m in got)

    async def the_metrics_show_it(self) -> None:
        for scope, path, reader, wanted in self.expected_metrics():
            async def look(path: str = path, reader: str = reader,
                           wanted: dict[str, Any] = wanted) -> tuple[bool, dict[str, Any]]:
                seen = await self.call("GET", self.feedback(path), 200,
                                       headers=self.staff[reader])
                figures = {name: (f["value"], f["numerator"], f["denominator"])
                           for name, f in seen["figures"].items()}
                got = {"figures": figures, "by_stage": seen["opportunities_by_stage"]}
                return got == wanted, got

            await until(look, f"the {scope}'s metrics", self.wait)

    async def one_person_is_erased(self) -> None:
        """The first to accept (matched, invited, attended, claimed, responded, a voice of
        the change) asks to be forgotten, and can then be found nowhere."""
        key = self.first
        pid, me = self.ids[key], await self.sign_in(key)
        await self.call("DELETE", self.registry(f"/v1/participants/{pid}"), 204, headers=me)
        self.expect("registry", pid, "ParticipantErased")
        self.expect("opportunities", self.opportunity_id, "ParticipantStoodDown")
        for headers in (self.admin, self.staff[TRUST]):
            await self.call("GET", self.registry(f"/v1/participants/{pid}"), 404,
                            headers=headers)
        codes = len(self.mails(to=self.by_key[key].email, kind="sign_in_code"))
        await self.call("POST", self.registry("/v1/auth/participant-code"), 202,
                        json={"email": self.by_key[key].email})
        assert len(self.mails(to=self.by_key[key].email, kind="sign_in_code")) == codes

        async def nowhere() -> tuple[bool, dict[str, Any]]:
            matched = await self.matches()
            responses = await self.call("GET", self.feedback(
                f"/v1/consultations/{self.consultation_id}/feedback"), 200,
                headers=self.staff[HEALTHWATCH])
            led_to = await self.call("GET", self.feedback(f"/v1/participants/{pid}/changes"),
                                     200, headers=me)
            theirs = await self.http.get(self.feedback(f"/v1/feedback/{self.responses[key]}"),
                                         headers=me)
            notices = await self.call("GET", self.notifications(
                f"/v1/participants/{pid}/notifications"), 200, headers=me)
            seen = {
                "matched": pid in {m for m, _ in matched["ranking"]},
                "eligible": matched["eligible"],
                "named on a response": pid in {r["participant_id"] for r in responses["items"]},
                "responses": responses["total"],
                "their response, to them": theirs.status_code,
                "changes they led to": led_to["total"],
                "notices": notices["total"],
            }
            return seen == {"matched": False, "eligible": 25, "named on a response": False,
                            "responses": 5, "their response, to them": 404,
                            "changes they led to": 0, "notices": 0}, seen

        await until(nowhere, "the erased person is nowhere to be found", self.wait)
        refused = await self.http.post(self.opportunities(
            f"/v1/opportunities/{self.opportunity_id}/invitations"),
            json={"participant_ids": [pid]}, headers=self.staff[TRUST])
        assert refused.status_code in (404, 422), refused.text

    async def the_partner_has_every_event(self) -> None:
        """Every public event of the journey reached the charity's endpoint once, signed with
        its secret, each aggregate's in order; the delivery log agrees."""
        async def look() -> tuple[bool, Counter[tuple[str, str]]]:
            missing = self.expected - self.delivered()
            return not missing, missing

        await until(look, "every public event reaches the partner", self.wait)
        unique = self.partner.unique
        assert all(r.verified_by == (0,) for r in self.partner.requests), "unsigned delivery"
        extra = self.delivered() - self.expected
        assert set(extra) <= self.before_subscribing and max(extra.values(), default=1) == 1, \
            extra
        event_ids = Counter(r.event["id"] for r in unique)
        assert max(event_ids.values()) == 1, "one event under two webhook-ids"
        for webhook_id in {r.webhook_id for r in self.partner.requests}:
            assert len({r.body for r in self.partner.tries(webhook_id)}) == 1, webhook_id
        by_subject: dict[str, list[dict[str, Any]]] = {}
        for request in unique:  # in the order they arrived
            by_subject.setdefault(request.event["subject"], []).append(request.event)
        for subject, events in by_subject.items():
            sequences = [int(e["sequence"]) for e in events]
            times = [datetime.fromisoformat(e["time"]) for e in events]
            assert sequences == sorted(set(sequences)) and times == sorted(times), (
                subject, [e["type"] for e in events])
        assert {r.event["data"]["network_id"] for r in unique} == {self.network_id}

        async def logged() -> tuple[bool, Counter[str]]:
            log = await self.delivery_log()
            statuses = Counter(d["status"] for d in log)
            same = {d["delivery_id"] for d in log} == {r.webhook_id for r in unique}
            return same and set(statuses) == {"delivered"}, statuses

        await until(logged, "the delivery log agrees with what the partner received",
                    self.wait)

    async def nothing_was_lost_or_sent_twice(self) -> None:
        """Every e-mail of the journey went to whom it should, once: nothing missing, nothing
        twice, nothing unexpected."""
        sent = Counter((kind_of(m), m.recipients) for m in self.mail.received)
        told = [p for p in self.people if "survey" in p.kinds and p.emailable
                and not p.pauses and p.shares_with_organisation(HEALTHWATCH)]
        wanted: Counter[tuple[str, tuple[str, ...]]] = Counter()
        wanted.update(("sign_in_code", (address,)) for address, n in self.codes_asked.items()
                      for _ in range(n))
        wanted.update(("invitation", (self.by_key[k].email,)) for k in self.invited)
        wanted.update([("expense_paid", (self.by_key[self.first].email,))])
        wanted.update(("consultation_opened", (p.email,)) for p in told)
        wanted.update(("change_made", (self.by_key[k].email,)) for k in self.voices)
        assert sent == wanted, {"missing": wanted - sent, "unexpected": sent - wanted}
        for key in sorted(self.tokens.keys() - {self.first}):  # the first was erased
            await until(partial(self.inbox_matches_mail, key),
                        f"{key}'s inbox holds what was e-mailed, all sent", self.wait)

    async def inbox_matches_mail(self, key: str) -> tuple[bool, dict[str, Any]]:
        """What the person's inbox says was sent them is what the SMTP server received."""
        inbox = await self.call("GET", self.notifications(
            f"/v1/participants/{self.ids[key]}/notifications"), 200, params={"limit": 100},
            headers=self.tokens[key])
        noted = Counter((n["kind"], n["status"]) for n in inbox["items"])
        mailed = Counter((kind_of(m), "sent") for m in self.mails(to=self.by_key[key].email))
        return noted == mailed, {"inbox": noted, "mailed": mailed}

    # -- what was asked of the region ------------------------------------------------------

    def expected_metrics(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(scope, path, reader, figures): two attended the trust's design-stage workshop
        (both from the most deprived areas), one claimed 0 days before being paid; five
        responded to the Healthwatch's consultation (deciles 1-2, 2, 5, 7 and 10), which
        closed with an outcome the same day and led to the change; one of the five also
        attended, so six people hold seven involvements in the network."""
        none = (None, 0, 0)
        stages = {"strategy": 0, "design": 0, "delivery": 0, "monitoring": 0, "evaluation": 0}
        loop_closed = {"outcomes_published": (100.0, 1, 1),
                       "median_days_to_outcome": (0.0, None, 1),
                       "led_to_change": (100.0, 1, 1),
                       "consultations_led_to_change": (100.0, 1, 1),
                       "stories_led_to_change": none}
        design_stage = {"involved_from_the_beginning": (100.0, 1, 1),
                        "involved_only_at_evaluation": (0.0, 0, 1)}
        trust = {"outcomes_published": none, "median_days_to_outcome": (None, None, 0),
                 "led_to_change": none, "consultations_led_to_change": none,
                 "stories_led_to_change": none, **design_stage,
                 "participants_involved": (2, None, None), "top_tenth_share": (50.0, None, 2),
                 "gini": (0.0, None, 2), "reach_most_deprived": (None, None, None),
                 "median_days_to_expense_payment": (0.0, None, 1)}
        healthwatch = {**loop_closed, "involved_from_the_beginning": none,
                       "involved_only_at_evaluation": none,
                       "participants_involved": (5, None, None),
                       "top_tenth_share": (20.0, None, 5), "gini": (0.0, None, 5),
                       "reach_most_deprived": (40.0, 2, 5),
                       "median_days_to_expense_payment": (None, None, 0)}
        network = {**loop_closed, **design_stage, "participants_involved": (6, None, None),
                   "top_tenth_share": (28.6, None, 7), "gini": (0.119, None, 6),
                   "reach_most_deprived": (57.1, 4, 7), "invitations_declined": (33.3, 1, 3),
                   "median_days_to_expense_payment": (0.0, None, 1)}
        organisation = "/v1/metrics/organisations/"
        return [
            ("trust", organisation + self.organisations[TRUST], TRUST,
             {"figures": trust, "by_stage": stages | {"design": 1}}),
            ("healthwatch", organisation + self.organisations[HEALTHWATCH], HEALTHWATCH,
             {"figures": healthwatch, "by_stage": stages}),
            ("network", f"/v1/metrics/networks/{self.network_id}", CHARITY,
             {"figures": network, "by_stage": stages | {"design": 1}}),
        ]

    def expect(self, service: str, subject: str, *names: str) -> None:
        self.expected.update((event_type(service, name), subject) for name in names)

    def delivered(self) -> Counter[tuple[str, str]]:
        return Counter((r.event["type"], r.event["subject"]) for r in self.partner.unique)

    # -- talking to the region -------------------------------------------------------------

    def registry(self, path: str) -> str:
        return self.region.registry + path

    def opportunities(self, path: str) -> str:
        return self.region.opportunities + path

    def feedback(self, path: str) -> str:
        return self.region.feedback + path

    def notifications(self, path: str) -> str:
        return self.region.notifications + path

    async def call(self, method: str, url: str, status: int, **given: Any) -> Any:
        response = await self.http.request(method, url, **given)
        assert response.status_code == status, \
            f"{method} {url}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def accepted(self, method: str, url: str, status: int, **given: Any) -> Any:
        """Ask until the answer is `status`: while a service has not yet heard what it needs
        from another (an organisation, a response), it refuses with a 4xx and writes
        nothing."""
        async def look() -> tuple[bool, httpx.Response]:
            response = await self.http.request(method, url, **given)
            assert response.status_code == status or 400 <= response.status_code < 500, \
                f"{method} {url}: {response.status_code} {response.text}"
            return response.status_code == status, response

        answered = await until(look, f"{method} {url} accepted", self.wait)
        return answered.json()

    async def token_for(self, api_key: str) -> Headers:
        token = await self.call("POST", self.registry("/v1/auth/token"), 200,
                                json={"api_key": api_key})
        return {"Authorization": f"Bearer {token['access_token']}"}

    async def sign_in(self, key: str) -> Headers:
        """The person signs in with the one-time code e-mailed to them (once per journey)."""
        if key in self.tokens:
            return self.tokens[key]
        address = self.by_key[key].email
        before = len(self.mails(to=address, kind="sign_in_code"))
        await self.call("POST", self.registry("/v1/auth/participant-code"), 202,
                        json={"email": address})
        self.codes_asked[address] += 1

        async def arrived() -> tuple[bool, list[Received]]:
            codes = self.mails(to=address, kind="sign_in_code")
            return len(codes) > before, codes

        code = code_in((await until(arrived, f"a sign-in code for {key}", self.wait))[-1])
        token = await self.call("POST", self.registry("/v1/auth/participant-token"), 200,
                                json={"email": address, "code": code})
        self.tokens[key] = {"Authorization": f"Bearer {token['access_token']}"}
        return self.tokens[key]

    def mails(self, *, to: str | None = None, kind: str | None = None) -> list[Received]:
        return [m for m in self.mail.received
                if (to is None or to in m.recipients) and (kind is None or kind_of(m) == kind)]

    async def mails_of(self, kind: str, count: int) -> list[Received]:
        async def arrived() -> tuple[bool, list[Received]]:
            got = self.mails(kind=kind)
            return len(got) >= count, got

        return await until(arrived, f"{count} {kind} e-mail(s)", self.wait)

    async def matches(self) -> dict[str, Any]:
        found = await self.call("GET", self.opportunities(
            f"/v1/opportunities/{self.opportunity_id}/matches"), 200,
            params={"limit": 200}, headers=self.staff[TRUST])
        excluded = {name: n for name, n in found["excluded"].items() if n and name != "network"}
        return {"eligible": found["eligible"], "excluded": excluded,
                "ranking": [(m["participant_id"], m["score"]) for m in found["matches"]],
                "pairs": [p["participant_ids"] for p in found["pairs"]]}

    async def delivery_log(self) -> list[dict[str, Any]]:
        log: list[dict[str, Any]] = []
        while True:
            page = await self.call("GET", self.notifications("/v1/deliveries"), 200, params={
                "subscription_id": self.subscription_id, "limit": 100, "offset": len(log)},
                headers=self.staff[CHARITY])
            log += page["items"]
            if not page["items"] or len(log) >= page["total"]:
                return log


def _method(step: str) -> str:
    return re.sub(r"[^a-z]+", "_", step.lower()).strip("_")
