"""Every route of every service, and who may use it on organisation A's records.

Each route is called with its path ids pointing at A's records and a body that A's own staff
(or A's participant, or an admin, as `control` says) could send with success: a body that is
refused for what it says would hide whether the caller was refused for who they are. The
suite checks that this table covers exactly the routes the services' apps serve.

`access` says what kind of route it is:

- OPEN: no tenant's data at all (health, metrics, documents, the keys that verify tokens,
  exchanging a key or a code for a token): every caller gets what nobody gets.
- PUBLIC: a tenant's data, public by design ("you said, we did", the learning library,
  published stories, public consultations, a network's member organisations): no caller
  learns more about A than nobody does.
- SIGNED_IN: the directory of networks, for anyone signed in.
- PROTECTED: A's own: only A's staff, A's participant, or an admin of A's network. `may`
  names the attackers who may still succeed by design (A's neighbours in the North network
  read what is shared with the network), and what they get is checked for A's private ids.
- INTERNAL: for Chorus services only, with a service token.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from tests.services.feedback.conftest import answers, consultation
from tests.services.opportunities.conftest import opportunity

if TYPE_CHECKING:
    from tests.security.conftest import World


class Access(Enum):
    OPEN = "open"
    PUBLIC = "public"
    SIGNED_IN = "signed in"
    PROTECTED = "protected"
    INTERNAL = "internal"


# Callers in A's network who are not A's: C's staff, a participant who is not A's, and a
# partner token naming A (one of the network's, never A's staff).
NORTH = frozenset({"c_staff", "neighbour", "partner"})
Body = Callable[["World"], Any]

# Which of A's records a path parameter names, unless a route says otherwise.
DEFAULT_IDS = {
    "network_id": "network_id", "organisation_id": "organisation_id",
    "participant_id": "participant_id", "key_id": "key_id",
    "opportunity_id": "opportunity_id", "invitation_id": "pending_invitation_id",
    "expense_id": "expense_id", "consultation_id": "consultation_id",
    "feedback_id": "feedback_id", "story_id": "story_id", "change_id": "change_id",
    "subscription_id": "subscription_id",
}


@dataclass(frozen=True, eq=False)  # each route is itself (a key of the anonymous answers)
class Route:
    service: str
    method: str
    path: str
    access: Access
    may: frozenset[str] = frozenset()
    body: Body | None = None
    query: Body | None = None
    ids: Mapping[str, str] = field(default_factory=dict)  # path parameter -> A's field, "b.x": B's
    control: str | None = None  # whose call proves the request right (the positive control);
    # only a second entry for a route, aimed at other records, may have none
    stage: int = 0  # positive controls run in stages: reads, writes, then what ends things
    own_only: bool = False  # a caller in `may` acts for themselves: A is never named
    why: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.service, self.method, self.path

    def __str__(self) -> str:
        extra = f" ({'/'.join(self.ids.values())})" if self.ids else ""
        return f"{self.service}: {self.method} {self.path}{extra}"


def _soon(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _yesterday(hour: int) -> str:
    day = date.today() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


_EMAILS = iter(range(1_000_000))


def _newcomer(w: "World") -> dict[str, Any]:
    return {"network_id": w.a.network_id,
            "details": {"name": "Pat Newcomer",
                        "email": f"newcomer{next(_EMAILS)}@example.org"},
            "profile": {"roles": ["carer"], "methods": ["phone"]}}


PROFILE = {"roles": ["patient", "carer"], "methods": ["in_person", "speaking"],
           "topics": ["diabetes"], "postcode_district": "LS6", "travel_radius_km": 15}
OPS = ("/healthz/live", "/healthz/ready", "/metrics", "/asyncapi.json", "/asyncapi",
       "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
P = Access.PROTECTED


def _operations(service: str) -> list[Route]:
    return [Route(service, "GET", path, Access.OPEN) for path in OPS]


REGISTRY = [
    Route("registry", "POST", "/v1/networks", P, body=lambda w: {"name": "Planted Network"},
          control="admin", may=frozenset({"b_admin"}), why="a new network is no tenant's"),
    Route("registry", "GET", "/v1/networks", Access.SIGNED_IN, control="a_staff"),
    Route("registry", "GET", "/v1/networks/{network_id}/organisations", Access.PUBLIC,
          control="a_staff"),
    Route("registry", "POST", "/v1/organisations", P, control="admin", body=lambda w: {
        "network_id": w.a.network_id, "name": "Planted Charity", "kind": "charity"}),
    Route("registry", "POST", "/v1/organisations/{organisation_id}/leave", P,
          control="admin", stage=10),
    Route("registry", "PUT", "/v1/organisations/{organisation_id}/contact", P,
          control="a_staff", body=lambda w: {"email": "planted@attacker.example.org"}),
    Route("registry", "POST", "/v1/participants", P, control="a_staff", body=_newcomer,
          may=frozenset({"c_staff"}), own_only=True,
          why="anyone may join; staff of the network may sign someone up (assisted)"),
    Route("registry", "GET", "/v1/participants/{participant_id}", P, control="a_person"),
    Route("registry", "PATCH", "/v1/participants/{participant_id}/profile", P,
          control="a_staff", body=lambda w: PROFILE),
    Route("registry", "PUT", "/v1/participants/{participant_id}/consent", P,
          control="a_person", body=lambda w: {"scope": "organisations",
                                              "organisation_ids": [w.a.organisation_id]}),
    Route("registry", "POST", "/v1/participants/{participant_id}/pause", P,
          control="a_person", stage=8,
          body=lambda w: {"until": (date.today() + timedelta(days=30)).isoformat()}),
    Route("registry", "POST", "/v1/participants/{participant_id}/resume", P,
          control="a_person", stage=8),
    Route("registry", "POST", "/v1/participants/{participant_id}/leave", P,
          control="a_person", stage=8),
    Route("registry", "DELETE", "/v1/participants/{participant_id}", P, control="a_person",
          stage=9),
    Route("registry", "GET", "/internal/v1/participants/{participant_id}/contact",
          Access.INTERNAL, control="notifications_service",
          may=frozenset({"registry_service"})),
    Route("registry", "POST", "/v1/organisations/{organisation_id}/api-keys", P,
          control="a_staff", body=lambda w: {"label": "planted"}),
    Route("registry", "GET", "/v1/organisations/{organisation_id}/api-keys", P,
          control="a_staff"),
    Route("registry", "DELETE", "/v1/organisations/{organisation_id}/api-keys/{key_id}", P,
          control="a_staff", stage=9),
    Route("registry", "DELETE", "/v1/organisations/{organisation_id}/api-keys/{key_id}", P,
          ids={"organisation_id": "b.organisation_id"}, why="A's key, through B's path"),
    Route("registry", "POST", "/v1/auth/token", Access.OPEN,
          body=lambda w: {"api_key": "chorus_not-a-key-anyone-was-given"}),
    Route("registry", "POST", "/v1/auth/participant-code", Access.OPEN,
          body=lambda w: {"email": "nobody.here@example.org"}),
    Route("registry", "POST", "/v1/auth/participant-token", Access.OPEN,
          body=lambda w: {"email": "nobody.here@example.org", "code": "000000"}),
    Route("registry", "POST", "/v1/auth/renew", Access.SIGNED_IN, control="a_staff",
          why="a fresh token for the caller themselves, never for anyone else"),
    Route("registry", "GET", "/.well-known/jwks.json", Access.OPEN),
    Route("registry", "GET", "/internal/v1/organisations/{organisation_id}/contact",
          Access.INTERNAL, control="notifications_service",
          may=frozenset({"registry_service"})),
    *_operations("registry"),
]

_SESSION_HELD = {"starts_at": _yesterday(14), "ends_at": _yesterday(16)}

OPPORTUNITIES = [
    Route("opportunities", "POST", "/v1/opportunities", P, control="a_staff",
          body=lambda w: opportunity(), may=frozenset({"b_staff", "c_staff"}), own_only=True,
          why="staff publish their own organisation's opportunities"),
    Route("opportunities", "GET", "/v1/opportunities", P, control="a_staff",
          query=lambda w: {"network_id": w.a.network_id, "organisation_id": w.a.organisation_id},
          may=frozenset({"b_staff", "c_staff", "neighbour", "b_person", "partner", "b_admin"}),
          why="each caller browses their own network's opportunities"),
    Route("opportunities", "GET", "/v1/opportunities/{opportunity_id}", P, may=NORTH,
          control="a_staff", why="opportunities are shared with the network"),
    Route("opportunities", "PATCH", "/v1/opportunities/{opportunity_id}", P,
          control="a_staff", body=lambda w: {"title": "Planted title"}),
    Route("opportunities", "POST", "/v1/opportunities/{opportunity_id}/withdraw", P,
          control="a_staff", stage=9),
    Route("opportunities", "POST", "/v1/opportunities/{opportunity_id}/close", P,
          control="a_staff", ids={"opportunity_id": "second_opportunity_id"}, stage=8),
    Route("opportunities", "GET", "/v1/opportunities/{opportunity_id}/matches", P,
          control="a_staff"),
    Route("opportunities", "POST", "/v1/opportunities/{opportunity_id}/invitations", P,
          control="a_staff", body=lambda w: {"top": 1}),
    Route("opportunities", "GET", "/v1/opportunities/{opportunity_id}/invitations", P,
          control="a_staff"),
    Route("opportunities", "POST", "/v1/invitations/{invitation_id}/accept", P,
          control="a_person", stage=1),
    Route("opportunities", "POST", "/v1/invitations/{invitation_id}/decline", P,
          control="a_person", ids={"invitation_id": "declinable_invitation_id"}),
    Route("opportunities", "POST", "/v1/opportunities/{opportunity_id}/stand-down", P,
          control="a_person", stage=7,
          body=lambda w: {"participant_id": w.a.participant_id}),
    Route("opportunities", "GET", "/v1/networks/{network_id}/matching-weights", P,
          control="a_staff", may=NORTH, why="the network's weights are its members' to read"),
    Route("opportunities", "PUT", "/v1/networks/{network_id}/matching-weights", P,
          control="admin", body=lambda w: {"topic": 3000, "deprivation": 1500}),
    Route("opportunities", "POST", "/v1/opportunities/{opportunity_id}/sessions", P,
          control="a_staff", body=lambda w: {
              **_SESSION_HELD, "attendance": [{"participant_id": w.a.participant_id,
                                               "hours": 2}]}),
    Route("opportunities", "POST", "/v1/opportunities/{opportunity_id}/payments", P,
          control="a_staff", body=lambda w: {"session_id": w.a.session_id,
                                             "participant_id": w.a.participant_id}),
    Route("opportunities", "GET", "/v1/organisations/{organisation_id}/rate-card", P,
          control="a_staff"),
    Route("opportunities", "PUT", "/v1/organisations/{organisation_id}/rate-card", P,
          control="a_staff", body=lambda w: {"hourly_pence": 1, "half_day_pence": 1,
                                             "full_day_pence": 1}),
    Route("opportunities", "POST", "/v1/expenses", P, control="a_person", body=lambda w: {
        "participant_id": w.a.participant_id, "opportunity_id": w.a.opportunity_id,
        "session_id": w.a.session_id, "kind": "meals", "amount_pence": 900}),
    Route("opportunities", "POST", "/v1/expenses/advances", P, control="a_staff",
          body=lambda w: {"participant_id": w.a.participant_id,
                          "opportunity_id": w.a.opportunity_id,
                          "session_id": w.a.scheduled_session_id, "kind": "public_transport",
                          "amount_pence": 1200}),
    Route("opportunities", "GET", "/v1/expenses", P, control="a_staff",
          query=lambda w: {"organisation_id": w.a.organisation_id}),
    Route("opportunities", "GET", "/v1/expenses/{expense_id}", P, control="a_person"),
    Route("opportunities", "POST", "/v1/expenses/{expense_id}/approve", P,
          control="a_staff", stage=1),
    Route("opportunities", "POST", "/v1/expenses/{expense_id}/reject", P, control="a_staff",
          ids={"expense_id": "second_expense_id"}, body=lambda w: {"reason": "Planted"}),
    Route("opportunities", "POST", "/v1/expenses/{expense_id}/pay", P, control="a_staff",
          stage=2),
    Route("opportunities", "GET", "/v1/participants/{participant_id}/involvement", P,
          control="a_person"),
    Route("opportunities", "GET", "/v1/opportunities/{opportunity_id}/sessions", P,
          control="a_staff"),
    Route("opportunities", "GET", "/v1/participants/{participant_id}/mileage-quote", P,
          control="a_person", query=lambda w: {"miles": 12}),
    *_operations("opportunities"),
]

FEEDBACK = [
    Route("feedback", "POST", "/v1/consultations", P, control="a_staff",
          body=lambda w: consultation(audience="network"),
          may=frozenset({"b_staff", "c_staff"}), own_only=True,
          why="staff open their own organisation's consultations"),
    Route("feedback", "GET", "/v1/consultations", Access.PUBLIC,
          query=lambda w: {"network_id": w.a.network_id}),
    Route("feedback", "GET", "/v1/consultations/{consultation_id}", P, control="a_staff",
          may=NORTH, why="a network consultation is for its network"),
    Route("feedback", "GET", "/v1/consultations/{consultation_id}", Access.PUBLIC,
          ids={"consultation_id": "public_consultation_id"}),
    Route("feedback", "POST", "/v1/consultations/{consultation_id}/feedback", P,
          control="a_staff", body=lambda w: {**answers(), "channel": "paper"}),
    Route("feedback", "GET", "/v1/consultations/{consultation_id}/feedback", P,
          control="a_staff"),
    Route("feedback", "GET", "/v1/feedback/{feedback_id}", P, control="a_person"),
    Route("feedback", "POST", "/v1/feedback/{feedback_id}/withdraw", P, control="a_person",
          stage=1),
    Route("feedback", "PUT", "/v1/feedback/{feedback_id}/tags", P, control="a_staff",
          body=lambda w: {"tags": ["planted"]}),
    Route("feedback", "POST", "/v1/consultations/{consultation_id}/close", P,
          control="a_staff", stage=2),
    Route("feedback", "POST", "/v1/consultations/{consultation_id}/outcome", P,
          control="a_staff", stage=3,
          body=lambda w: {"you_said": "Planted", "we_did": "Planted"}),
    Route("feedback", "POST", "/v1/stories", P, control="a_person", body=lambda w: {
        "organisation_ids": [w.a.organisation_id], "service_area": "wards",
        "title": "Planted", "text": "A story about the trust."},
          may=frozenset({"neighbour"}), why="the network's participants share stories"),
    Route("feedback", "GET", "/v1/stories", Access.PUBLIC,
          query=lambda w: {"network_id": w.a.network_id}),
    Route("feedback", "GET", "/v1/stories", P, control="admin", query=lambda w: {
        "network_id": w.a.network_id, "status": "awaiting_moderation"}),
    Route("feedback", "GET", "/v1/stories/{story_id}", P, control="a_person"),
    Route("feedback", "GET", "/v1/stories/{story_id}", Access.PUBLIC,
          ids={"story_id": "published_story_id"}),
    Route("feedback", "POST", "/v1/stories/{story_id}/moderate", P, control="admin",
          body=lambda w: {"decision": "publish"}),
    Route("feedback", "POST", "/v1/stories/{story_id}/responses", P, control="a_staff",
          ids={"story_id": "published_story_id"},
          body=lambda w: {"response": "Thank you for telling us."}),
    Route("feedback", "POST", "/v1/stories/{story_id}/responses", P,
          body=lambda w: {"response": "Thank you for telling us."},
          why="nobody answers a story awaiting moderation, nor learns that it exists"),
    Route("feedback", "POST", "/v1/changes", P, control="a_staff", body=lambda w: {
        "title": "Planted change", "what_changed": "Nothing really.",
        "service_area": "wards", "changed_on": date.today().isoformat(),
        "organisations": [{"organisation_id": w.a.organisation_id, "owner": "Planted"}],
        "consultation_ids": [w.a.consultation_id], "feedback_ids": [w.a.feedback_id]}),
    Route("feedback", "GET", "/v1/changes", Access.PUBLIC,
          query=lambda w: {"organisation_id": w.a.organisation_id}),
    Route("feedback", "GET", "/v1/participants/{participant_id}/changes", P,
          control="a_person"),
    Route("feedback", "GET", "/v1/changes/{change_id}", Access.PUBLIC),
    Route("feedback", "PATCH", "/v1/changes/{change_id}", P, control="a_staff",
          body=lambda w: {"organisation_id": w.a.organisation_id, "status": "done"}),
    Route("feedback", "PATCH", "/v1/changes/{change_id}", P,
          body=lambda w: {"organisation_id": w.b.organisation_id, "status": "done"},
          why="A's change, moved on as if B took part"),
    Route("feedback", "POST", "/v1/learning", P, control="a_staff", body=lambda w: {
        "title": "Planted learning", "summary": "Nothing really.",
        "change_ids": [w.a.change_id], "consultation_ids": [w.a.consultation_id]},
          may=frozenset({"c_staff"}), own_only=True,
          why="staff share their own learning, drawing on the network's changes"),
    Route("feedback", "GET", "/v1/learning", Access.PUBLIC,
          query=lambda w: {"organisation_id": w.a.organisation_id}),
    Route("feedback", "GET", "/v1/metrics/organisations/{organisation_id}", P,
          control="a_staff", may=frozenset({"c_staff"}),
          why="the network's staff read its members' accountability metrics"),
    Route("feedback", "GET", "/v1/metrics/networks/{network_id}", P, control="a_staff",
          may=frozenset({"c_staff"}), why="the network's staff read its metrics"),
    *_operations("feedback"),
]

NOTIFICATIONS = [
    Route("notifications", "POST", "/v1/subscriptions", P, control="a_staff",
          body=lambda w: {"url": f"{w.region.receiver.base}/planted", "event_types": ["*"],
                          "organisation_id": w.a.organisation_id}),
    Route("notifications", "GET", "/v1/subscriptions", P, control="a_staff",
          query=lambda w: {"organisation_id": w.a.organisation_id},
          may=frozenset({"b_admin"}), why="an admin lists their own network's, so none of A's"),
    Route("notifications", "GET", "/v1/subscriptions/{subscription_id}", P,
          control="a_staff"),
    Route("notifications", "DELETE", "/v1/subscriptions/{subscription_id}", P,
          control="a_staff", stage=9),
    Route("notifications", "POST", "/v1/subscriptions/{subscription_id}/rotate-secret", P,
          control="a_staff", body=lambda w: {"overlap_seconds": 60}),
    Route("notifications", "POST", "/v1/subscriptions/{subscription_id}/enable", P,
          control="a_staff", ids={"subscription_id": "disabled_subscription_id"}),
    Route("notifications", "POST", "/v1/subscriptions/{subscription_id}/replay", P,
          control="a_staff", body=lambda w: {"delivery_id": w.a.delivery_ids[0]}),
    Route("notifications", "POST", "/v1/subscriptions/{subscription_id}/replay", P,
          ids={"subscription_id": "b.subscription_id"},
          body=lambda w: {"delivery_id": w.a.delivery_ids[0]},
          why="A's delivery, through B's subscription"),
    Route("notifications", "GET", "/v1/deliveries", P, control="a_staff",
          query=lambda w: {"subscription_id": w.a.subscription_id}),
    Route("notifications", "GET",
          "/v1/participants/{participant_id}/notification-preferences", P,
          control="a_person"),
    Route("notifications", "PUT",
          "/v1/participants/{participant_id}/notification-preferences", P,
          control="a_person", body=lambda w: {"frequency": "weekly"}),
    Route("notifications", "GET", "/v1/participants/{participant_id}/notifications", P,
          control="a_person"),
    Route("notifications", "POST", "/internal/v1/sign-in-codes", Access.INTERNAL,
          control="registry_service", body=lambda w: {
              "participant_id": w.a.participant_id, "code": "482913",
              "expires_at": _soon(1)}),
    *_operations("notifications"),
]

ROUTES: list[Route] = [*REGISTRY, *OPPORTUNITIES, *FEEDBACK, *NOTIFICATIONS]
