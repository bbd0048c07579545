"""What the benchmark sends: request bodies for each command, and registry envelopes.

Bodies are built from a request's number, so that the load generator (a process of its
own) makes them as it goes, each one different where the service needs it to be (a new
e-mail address for every participant who joins). Profiles vary over the vocabularies the
way a real pool does, from a fixed seed.
"""

import json
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from chorus.contracts import Contract
from chorus.contracts import registry as contracts
from chorus.contracts.topics import source
from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
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
from chorus.envelope import Envelope, KafkaRecord, to_kafka

DISTRICTS = ("LS1", "LS6", "LS11", "BD1", "BD7", "HX1", "WF1", "HD1", "YO1", "HG2")

Body = Callable[[int], bytes]
"""The JSON body of request number n."""


@dataclass(frozen=True)
class Command:
    """One kind of request the load generator sends: where, as whom, with which body.

    `body` names a maker in `BODIES`; `params` are its arguments (picklable, so that the
    command can travel to the load generator's process)."""

    name: str
    port: int
    paths: tuple[str, ...]
    body: str
    params: Mapping[str, Any] = field(default_factory=dict)
    token: str | None = None
    method: str = "POST"

    def requests(self) -> Callable[[int], bytes]:
        """Request number n, head and body, as bytes (the paths taken in turn)."""
        make = BODIES[self.body](**self.params)
        auth = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        heads = [f"{self.method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                 f"Content-Type: application/json\r\n{auth}Content-Length: "
                 for path in self.paths]

        def request(n: int) -> bytes:
            body = make(n)
            return f"{heads[n % len(heads)]}{len(body)}\r\n\r\n".encode() + body

        return request


def _pick(rng: random.Random, items: Sequence[Any], low: int, high: int) -> list[Any]:
    return rng.sample(list(items), rng.randint(low, high))


def _profile(rng: random.Random, district: str | None) -> dict[str, Any]:
    online_only = rng.random() < 0.2
    return {
        "roles": _pick(rng, list(ParticipantRole), 1, 2),
        "methods": _pick(rng, list(Method), 1, 3),
        "topics": _pick(rng, list(Topic), 1, 3),
        "kinds_wanted": _pick(rng, list(InvolvementKind), 0, 3),
        "commitment": rng.choice(list(Commitment)),
        "availability": [{"day": d, "part": p} for d, p in rng.sample(
            [(d, p) for d in Weekday for p in DayPart], rng.randint(0, 4))],
        "postcode_district": district,
        "travel_radius_km": None if online_only else rng.choice((5, 10, 15, 25)),
        "online_only": online_only,
        "accessibility_needs": _pick(rng, list(AccessibilityNeed), 0, 1),
        "languages": ["en"] if rng.random() < 0.9 else ["en", rng.choice(("pl", "ur", "cy"))],
        "support_wanted": _pick(rng, list(SupportWanted), 0, 1),
        "payment_preference": rng.choice(list(PaymentPreference)),
    }


def join_body(network_id: str, tag: str) -> Body:
    """A self sign-up to the network's pool: details, a varied profile, network consent."""
    def body(n: int) -> bytes:
        rng = random.Random(n)
        district = rng.choice(DISTRICTS)
        profile = _profile(rng, None)
        profile.pop("postcode_district")
        if profile["payment_preference"] == PaymentPreference.REDUCE:
            profile["payment_reduced_to_pence"] = 2500
        return json.dumps({
            "network_id": network_id,
            "details": {"name": "Alex Example", "email": f"p{tag}-{n}@example.org",
                        "phone": "0113 496 0000", "postcode": f"{district} 2AB"},
            "profile": profile,
            "consent": {"scope": "network",
                        "contact_channels": _pick(rng, list(ContactChannel), 1, 2)},
        }).encode()

    return body


CHOICE, RATING, TEXT = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 4))
CONSULTATION_QUESTIONS = [
    {"question_id": CHOICE, "kind": "single_choice", "prompt": "Was your letter clear?",
     "options": ["Yes", "Partly", "No"], "required": True},
    {"question_id": RATING, "kind": "rating", "prompt": "How was your discharge overall?"},
    {"question_id": TEXT, "kind": "free_text", "prompt": "What would have helped?"},
]

WORDS = ("The letter used words I did not know, and nobody explained the new tablets.",
         "Clear enough, but it came a week after I got home.",
         "My daughter had to read it to me; larger print would help.",
         "It was fine.")


def consultation_body(title: str) -> dict[str, Any]:
    """A public consultation on discharge letters, closing in four weeks."""
    return {"title": title, "purpose": "How should our discharge letters read?",
            "stage": "design", "audience": "public", "questions": CONSULTATION_QUESTIONS,
            "closes_at": (datetime.now(UTC) + timedelta(days=28)).isoformat()}


def paper_response_body() -> Body:
    """A response on paper, entered by the consultation's staff: a choice, a rating and
    some words (scrubbed by the service before it is kept)."""
    def body(n: int) -> bytes:
        return json.dumps({"channel": "paper", "answers": [
            {"question_id": CHOICE, "choices": [("Yes", "Partly", "No")[n % 3]]},
            {"question_id": RATING, "rating": n % 5 + 1},
            {"question_id": TEXT, "text": WORDS[n % len(WORDS)]}]}).encode()

    return body


def opportunity_body() -> Body:
    """A co-design workshop, in person in a district, on a Tuesday morning soon."""
    def body(n: int) -> bytes:
        day = date.today() + timedelta(days=14 + n % 28)
        starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
        return json.dumps({
            "title": f"Redesign the discharge letter ({n})",
            "description": "Two workshops with ward staff and people who were discharged.",
            "kind": "co_design_workshop", "stage": "design", "topics": ["diabetes"],
            "methods": ["in_person", "speaking"], "online": False,
            "postcode_district": DISTRICTS[n % len(DISTRICTS)],
            "sessions": [{"starts_at": starts.isoformat(),
                          "ends_at": (starts + timedelta(hours=3)).isoformat()}],
            "commitment": "one_off", "time_commitment": "One 3-hour workshop", "seats": 6,
            "support_offered": ["briefing", "expenses_up_front"], "remuneration": "paid",
            "payment_basis": "sessional", "accessibility_provided": ["step_free_access"],
            "closing_date": (date.today() + timedelta(days=30)).isoformat(),
        }).encode()

    return body


BODIES: dict[str, Callable[..., Body]] = {
    "join": join_body,
    "paper_response": paper_response_body,
    "opportunity": opportunity_body,
}


# -- registry envelopes, for the catch-up figure ---------------------------------------------

def participant_events(rng: random.Random, network_id: UUID, participant_id: UUID,
                       now: datetime) -> list[Contract]:
    """What the registry publishes when someone joins: joined, profile, consent."""
    profile = _profile(rng, rng.choice(DISTRICTS))
    return [
        contracts.ParticipantJoined(participant_id=participant_id, network_id=network_id,
                                    roles=profile["roles"], joined_via="self", joined_at=now),
        contracts.ProfileUpdated(participant_id=participant_id, network_id=network_id,
                                 updated_at=now, **profile),
        contracts.ConsentChanged(participant_id=participant_id, network_id=network_id,
                                 scope="network", contact_channels=["email"],
                                 equality_monitoring=False, changed_at=now),
    ]


def registry_records(count: int, seed: int = 20240601) -> Iterator[KafkaRecord]:
    """`count` registry events as the relay puts them on Kafka (binary CloudEvents, key =
    the participant), three per participant who joins, validated by their contracts."""
    rng = random.Random(seed)
    network_id = UUID(int=rng.getrandbits(128), version=4)
    made = 0
    while made < count:
        now = datetime.now(UTC)
        participant_id = UUID(int=rng.getrandbits(128), version=4)
        events = participant_events(rng, network_id, participant_id, now)
        for sequence, event in enumerate(events, start=1):
            if made == count:
                return
            yield to_kafka(Envelope(
                type=event.event_type(), source=source("registry"), subject=str(participant_id),
                data=event.model_dump(mode="json"), time=now, sequence=sequence))
            made += 1
