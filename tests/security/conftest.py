"""The world the cross-tenant suite attacks: registry, opportunities, feedback and notifications
in one process on the embedded bus (`webhook_region`, with its partner receiver on 127.0.0.1),
two organisations in two networks with their own records, and a cast of callers.

Organisation A (an NHS trust in the North network) and organisation B (a Healthwatch in the
South network) each hold one record of every kind: an API key and a contact address, a
participant who shares only with them and their profile and notification preferences, three
opportunities (one with an accepted invitation, a session held, a rate card and two expenses
claimed; two with an invitation still open), a network consultation with a response and a
public one, a story awaiting moderation and a published one, a change linked to the response,
the learning drawn from it, and a webhook subscription with its deliveries and one disabled
(its endpoint said it was gone). A third
organisation, C, is A's neighbour in the North network, and a second North participant shares
with the whole network.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from chorus.auth import Principal, Role, SigningKey
from tests.services.notifications.webhook_support import (
    Reply,
    WebhookRegion,
    eventually,
    webhook_region,
)

Headers = dict[str, str]


@dataclass
class Tenant:
    """One organisation and one record of every kind it holds."""

    name: str
    network_id: str
    organisation_id: str
    staff: str  # its staff's token
    key_id: str
    participant_id: str  # someone who shares with this organisation only
    person: str  # their token
    email: str
    person_name: str
    opportunity_id: str = ""
    scheduled_session_id: str = ""
    invitation_id: str = ""  # accepted
    session_id: str = ""  # held
    expense_id: str = ""
    second_expense_id: str = ""
    second_opportunity_id: str = ""
    pending_invitation_id: str = ""
    third_opportunity_id: str = ""
    declinable_invitation_id: str = ""
    consultation_id: str = ""  # for its network
    public_consultation_id: str = ""
    feedback_id: str = ""
    story_id: str = ""  # awaiting moderation
    published_story_id: str = ""
    change_id: str = ""
    learning_id: str = ""
    subscription_id: str = ""
    disabled_subscription_id: str = ""  # its endpoint said it was gone
    delivery_ids: list[str] = field(default_factory=list)

    def ids(self) -> dict[str, str]:
        """Every identifier of this organisation's records, by what it is."""
        return {name: value for name, value in vars(self).items()
                if name.endswith("_id") and isinstance(value, str) and value}


@dataclass
class World:
    """The region, the two organisations, every caller's token and the key that signs them."""

    region: WebhookRegion
    a: Tenant
    b: Tenant
    tokens: dict[str, str]
    signing_key: SigningKey
    clients: dict[str, httpx.AsyncClient]


def bearer(token: str | None) -> Headers:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (
        f"{response.request.method} {response.request.url.path}: {response.status_code} "
        f"{response.text}")
    return response.json() if response.content else None


async def _person(region: WebhookRegion, network_id: str, email: str, name: str,
                  consent: dict[str, Any]) -> tuple[str, str]:
    """A participant who fits the default opportunity: id and token."""
    joined = _ok(await region.registry.http.post("/v1/participants", json={
        "network_id": network_id, "details": {"name": name, "email": email},
        "profile": {"roles": ["patient"], "methods": ["in_person", "speaking"],
                    "topics": ["diabetes"], "postcode_district": "LS6", "travel_radius_km": 15},
        "consent": consent}))
    participant_id = str(joined["participant_id"])
    headers = await region.registry.sign_in(participant_id, email)
    return participant_id, headers["Authorization"].removeprefix("Bearer ")


async def _tenant(region: WebhookRegion, name: str, network_id: str, kind: str,
                  slug: str) -> Tenant:
    """A member organisation with its key and contact address, and its own participant."""
    admin = await region.registry.admin()
    registry = region.registry.http
    organisation = _ok(await registry.post("/v1/organisations", headers=admin, json={
        "network_id": network_id, "name": name, "kind": kind,
        **({"ods_code": "RXX"} if kind == "nhs_trust" else {})}))
    organisation_id = str(organisation["organisation_id"])
    key = _ok(await registry.post(f"/v1/organisations/{organisation_id}/api-keys",
                                  json={"label": "security suite"}, headers=admin))
    staff = _ok(await registry.post("/v1/auth/token", json={"api_key": key["api_key"]}))[
        "access_token"]
    _ok(await registry.put(f"/v1/organisations/{organisation_id}/contact",
                           json={"email": f"team@{slug}.example.org"}, headers=bearer(staff)))
    email, person_name = f"{slug}.person@example.org", f"{slug.title()} Onlyours"
    participant_id, person = await _person(
        region, network_id, email, person_name,
        {"scope": "organisations", "organisation_ids": [organisation_id]})
    return Tenant(name, network_id, organisation_id, staff, str(key["key_id"]),
                  participant_id, person, email, person_name)


def _yesterday(hour: int) -> str:
    day = date.today() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


async def _involvement(region: WebhookRegion, t: Tenant) -> None:
    """Three opportunities: one accepted, held, paid for under a rate card and claimed for;
    two with an invitation still open."""
    http, staff, person = region.http, bearer(t.staff), bearer(t.person)
    published = await region.publish(staff)
    t.opportunity_id = published["opportunity_id"]
    t.scheduled_session_id = published["sessions"][0]["session_id"]
    t.second_opportunity_id = (await region.publish(staff, title="Join our patient panel"))[
        "opportunity_id"]
    await region.pool_has(t.participant_id)
    t.invitation_id = _ok(await http.post(
        f"/v1/opportunities/{t.opportunity_id}/invitations", headers=staff,
        json={"participant_ids": [t.participant_id]}))[0]["invitation_id"]
    _ok(await http.post(f"/v1/invitations/{t.invitation_id}/accept", headers=person))
    t.third_opportunity_id = (await region.publish(staff, title="Read our leaflets"))[
        "opportunity_id"]
    t.pending_invitation_id, t.declinable_invitation_id = [_ok(await http.post(
        f"/v1/opportunities/{opportunity_id}/invitations", headers=staff,
        json={"participant_ids": [t.participant_id]}))[0]["invitation_id"]
        for opportunity_id in (t.second_opportunity_id, t.third_opportunity_id)]
    t.session_id = _ok(await http.post(
        f"/v1/opportunities/{t.opportunity_id}/sessions", headers=staff, json={
            "starts_at": _yesterday(10), "ends_at": _yesterday(13),
            "attendance": [{"participant_id": t.participant_id, "hours": 3}]}))["session_id"]
    _ok(await http.put(f"/v1/organisations/{t.organisation_id}/rate-card", headers=staff,
                       json={"hourly_pence": 2500, "half_day_pence": 7500,
                             "full_day_pence": 15000}))
    claimed = []
    for kind, pence in (("public_transport", 640), ("parking", 350)):
        claimed.append(_ok(await http.post("/v1/expenses", headers=person, json={
            "participant_id": t.participant_id, "opportunity_id": t.opportunity_id,
            "session_id": t.session_id, "kind": kind, "amount_pence": pence}))["expense_id"])
    t.expense_id, t.second_expense_id = claimed


async def _voices(region: WebhookRegion, t: Tenant, admin: Headers) -> None:
    """Consultations and a response, stories, a change and the learning drawn from it."""
    fb, staff, person = region.feedback, bearer(t.staff), bearer(t.person)
    t.consultation_id = (await region.open(staff, audience="network"))["consultation_id"]
    t.public_consultation_id = (await region.open(staff, title="Visiting hours"))[
        "consultation_id"]
    t.feedback_id = (await region.respond(t.consultation_id, person, clear="No",
                                          words="The letter came too late."))["feedback_id"]
    stories = []
    for title in ("Waiting room", "Night shift"):
        stories.append(_ok(await fb.post("/v1/stories", headers=person, json={
            "organisation_ids": [t.organisation_id], "service_area": "wards", "title": title,
            "text": "The night nurse was kind and explained everything."}))["story_id"])
    t.story_id, t.published_story_id = stories
    _ok(await fb.post(f"/v1/stories/{t.published_story_id}/moderate", headers=admin,
                      json={"decision": "publish"}))
    t.change_id = _ok(await fb.post("/v1/changes", headers=staff, json={
        "title": "Letters sent on the day", "what_changed": "Discharge letters go out at once.",
        "service_area": "wards", "changed_on": date.today().isoformat(),
        "organisations": [{"organisation_id": t.organisation_id, "owner": "Patient experience",
                           "status": "in_progress"}],
        "consultation_ids": [t.consultation_id], "feedback_ids": [t.feedback_id]}))["change_id"]
    t.learning_id = _ok(await fb.post("/v1/learning", headers=staff, json={
        "title": "Send letters on the day", "summary": "People want their letter at once.",
        "tags": ["discharge"], "change_ids": [t.change_id]}))["learning_id"]


async def _heard_of_people(region: WebhookRegion, *participant_ids: str) -> None:
    """Wait until registry's events about these people have reached feedback."""
    from feedback.tables import participants

    async def heard() -> bool:
        async with region.fb.consultations.db.snapshot() as tx:
            found = {str(p) for p in (await tx.conn.execute(
                select(participants.c.participant_id))).scalars()}
        return set(participant_ids) <= found

    await eventually(heard, within=15, what=f"feedback hears of {participant_ids}")


async def _subscribe(region: WebhookRegion, t: Tenant) -> None:
    """A subscription to an endpoint that takes everything, and one to an endpoint that says
    it is gone (so it is disabled at its first delivery)."""
    name = t.name.split()[0].lower()
    endpoint = region.receiver.endpoint(name)
    t.subscription_id = (await region.subscribe(bearer(t.staff), endpoint, "*"))[
        "subscription_id"]
    gone = region.receiver.endpoint(f"{name}-gone")
    gone.answer(then=Reply(status=410))
    t.disabled_subscription_id = (await region.subscribe(
        bearer(t.staff), gone, "chorus.opportunities.*"))["subscription_id"]


async def _disabled(region: WebhookRegion, t: Tenant) -> None:
    async def disabled() -> bool:
        answer = _ok(await region.notifications.get(
            f"/v1/subscriptions/{t.disabled_subscription_id}", headers=bearer(t.staff)))
        return bool(answer["status"] == "disabled")

    await eventually(disabled, within=15, what=f"{t.name}'s gone endpoint disabled")


async def _deliveries(region: WebhookRegion, t: Tenant) -> None:
    async def delivered() -> bool:
        t.delivery_ids = [d["delivery_id"] for d in await region.deliveries(
            bearer(t.staff), t.subscription_id)]
        return bool(t.delivery_ids)

    await eventually(delivered, within=15, what=f"deliveries to {t.name}'s endpoint")


async def _seed(region: WebhookRegion) -> World:
    admin = await region.registry.admin()
    north = region.network_id
    south = await region.registry.network("South Example")
    a = await _tenant(region, "Alpha Valley NHS Trust", north, "nhs_trust", "alpha")
    b = await _tenant(region, "Beta Healthwatch", south, "healthwatch", "beta")
    c_org, c_staff = await region.registry.organisation(north, "Gamma Carers", "charity")
    neighbour, neighbour_token = await _person(region, north, "gamma.person@example.org",
                                               "Gamma Networkwide", {"scope": "network"})
    await region.known(a.organisation_id, b.organisation_id, c_org)
    await _heard_of_people(region, a.participant_id, b.participant_id, neighbour)
    for t in (a, b):
        await _subscribe(region, t)
        _ok(await region.notifications.put(
            f"/v1/participants/{t.participant_id}/notification-preferences",
            headers=bearer(t.person), json={"frequency": "daily"}))
        await _involvement(region, t)
        await _voices(region, t, admin)
    for t in (a, b):
        await _deliveries(region, t)
        await _disabled(region, t)
    issuer = region.registry.app.state.service.issuer  # type: ignore[attr-defined]
    tokens = {
        "a_staff": a.staff, "a_person": a.person, "b_staff": b.staff, "b_person": b.person,
        "c_staff": c_staff["Authorization"].removeprefix("Bearer "),
        "neighbour": neighbour_token, "admin": admin["Authorization"].removeprefix("Bearer "),
        "b_admin": issuer.issue(Principal(subject="admin:south", role=Role.NETWORK_ADMIN,
                                          network_id=UUID(south))),
        "partner": issuer.issue(Principal(subject="partner:alpha", role=Role.PARTNER,
                                          org_id=UUID(a.organisation_id),
                                          network_id=UUID(north))),
        "registry_service": issuer.issue(Principal(subject="service:registry",
                                                   role=Role.SERVICE, service="registry")),
        "notifications_service": issuer.issue(Principal(
            subject="service:notifications", role=Role.SERVICE, service="notifications")),
    }
    clients = {"registry": region.registry.http, "opportunities": region.http,
               "feedback": region.feedback, "notifications": region.notifications}
    return World(region, a, b, tokens, issuer.signing_key, clients)


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """The seeded region, for the whole module: the attacks change nothing, and the owners'
    own calls (the positive controls) come last."""
    with pytest.MonkeyPatch.context() as patch:
        async with webhook_region(tmp_path_factory.mktemp("region"), patch) as region:
            # notices to participants reach the registry in this process, never a port
            region.notifications_app.state.service.people.registry.http = region.registry.http
            seeded = await _seed(region)
            yield seeded
            await asyncio.sleep(0)
