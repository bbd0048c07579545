"""Tenant isolation: every request is authenticated, and each caller sees only what is theirs.

Organisation staff see the people who share with their organisation (or with their whole
network), and nothing else; a participant sees only themselves; a network admin manages
organisations, not people's records; only a Chorus service reaches a person's contact
details, and only while the person is active. Whatever is refused says nothing about
the person it was refused for.
"""

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from chorus.auth import Principal, Role, SigningKey, TokenIssuer, principal_claims
from tests.services.registry.conftest import Registry, token_for

Headers = dict[str, str]
Body = dict[str, Any] | None

PROBLEM_JSON = "application/problem+json"
PROFILE = {"roles": ["carer"], "methods": ["phone"], "topics": ["mental_health"]}
RANDOM_ID = "6b1e4c8a-3f0d-4e52-9a57-2c1d0e9f7a11"

# What can be done to a participant's record: (method, path after /v1/participants/{id}, body).
ACTIONS: dict[str, tuple[str, str, Body]] = {
    "read": ("GET", "", None),
    "update profile": ("PATCH", "/profile", PROFILE),
    "change consent": ("PUT", "/consent", {"scope": "network"}),
    "pause": ("POST", "/pause", None),
    "resume": ("POST", "/resume", None),
    "leave": ("POST", "/leave", None),
    "erase": ("DELETE", "", None),
}
# The decisions only the person may take about themselves.
OWN_DECISIONS = ["change consent", "pause", "resume", "leave", "erase"]

# Routes anyone may call: the open sign-up, sign-in, keys, health, metrics, documents.
# Joining, and a partnership's list of members (public, like any partnership's).
OPEN_ROUTES = {("POST", "/v1/participants"), ("GET", "/v1/networks/{network_id}/organisations")}
OPEN_PREFIXES = ("/v1/auth/", "/.well-known/jwks.json", "/healthz/", "/metrics",
                 "/openapi.json", "/docs", "/asyncapi")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Person:
    participant_id: str
    email: str
    name: str
    headers: Headers

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never show in an answer to someone who may not see them."""
        return (self.name, self.email, "+441134960000", "0113 496 0000", "LS6 2AB")


@dataclass(frozen=True)
class World:
    """Two networks. In the first, organisations A and B, a person who shares only with B
    and a person who shares with the network; in the second, organisation C and a person
    who shares with that whole network."""

    network: str
    org_a: str
    staff_a: Headers
    org_b: str
    staff_b: Headers
    private: Person
    public: Person
    far_network: str
    org_c: str
    staff_c: Headers
    far: Person


async def person(registry: Registry, network: str, email: str, name: str,
                 consent: dict[str, object]) -> Person:
    participant_id = await registry.join(network, email, name=name, consent=consent)
    return Person(participant_id, email, name, await registry.sign_in(participant_id, email))


async def world(registry: Registry) -> World:
    network = await registry.network("North Example")
    org_a, staff_a = await registry.organisation(network, "Alpha Carers Centre")
    org_b, staff_b = await registry.organisation(network, "Beta Healthwatch")
    private = await person(registry, network, "robin.private@example.org", "Robin Onlybeta",
                           {"scope": "organisations", "organisation_ids": [org_b]})
    public = await person(registry, network, "sky.public@example.org", "Sky Networkwide",
                          {"scope": "network"})
    far_network = await registry.network("South Example")
    org_c, staff_c = await registry.organisation(far_network, "Gamma Charity")
    far = await person(registry, far_network, "ash.far@example.org", "Ash Southerly",
                       {"scope": "network"})
    return World(network, org_a, staff_a, org_b, staff_b, private, public, far_network,
                 org_c, staff_c, far)


def app_of(registry: Registry) -> FastAPI:
    return cast(FastAPI, registry.app)


def issuer_of(registry: Registry) -> TokenIssuer:
    issuer: TokenIssuer = app_of(registry).state.service.issuer
    return issuer


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def as_principal(registry: Registry, principal: Principal) -> Headers:
    """Headers with a token the registry itself signed for this principal."""
    return bearer(issuer_of(registry).issue(principal))


def service_principal() -> Principal:
    return Principal(subject="service:notifications", role=Role.SERVICE, service="notifications")


def participant_principal(someone: Person, network: str) -> Principal:
    return Principal(subject=f"participant:{someone.participant_id}", role=Role.PARTICIPANT,
                     participant_id=UUID(someone.participant_id), network_id=UUID(network))


async def act(http: httpx.AsyncClient, action: str, participant_id: str,
              headers: Headers) -> httpx.Response:
    method, suffix, body = ACTIONS[action]
    return await http.request(method, f"/v1/participants/{participant_id}{suffix}",
                              json=body, headers=headers)


def assert_refused(response: httpx.Response, status: int | tuple[int, ...],
                   someone: Person) -> None:
    """Refused with a problem document that gives away nothing about the person."""
    allowed = status if isinstance(status, tuple) else (status,)
    assert response.status_code in allowed, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    for secret in someone.secrets:
        assert secret.lower() not in response.text.lower(), (secret, response.text)


async def assert_untouched(http: httpx.AsyncClient, someone: Person, scope: str) -> None:
    """The person still sees their record exactly as they left it."""
    record = await http.get(f"/v1/participants/{someone.participant_id}",
                            headers=someone.headers)
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["status"] == "active"
    assert body["profile"]["roles"] == ["patient"]
    assert body["consent"]["scope"] == scope
    assert body["details"]["name"] == someone.name


# Staff of another organisation, network or role.


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_staff_of_an_organisation_not_shared_with_get_a_404(
    registry_app: Registry, action: str,
) -> None:
    w = await world(registry_app)
    response = await act(registry_app.http, action, w.private.participant_id, w.staff_a)
    assert_refused(response, 404, w.private)
    await assert_untouched(registry_app.http, w.private, "organisations")


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_staff_in_another_network_get_a_404_even_for_network_wide_sharing(
    registry_app: Registry, action: str,
) -> None:
    w = await world(registry_app)
    response = await act(registry_app.http, action, w.far.participant_id, w.staff_a)
    assert_refused(response, 404, w.far)
    await assert_untouched(registry_app.http, w.far, "network")


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_a_participant_gets_a_404_for_anyone_else(
    registry_app: Registry, action: str,
) -> None:
    w = await world(registry_app)
    response = await act(registry_app.http, action, w.private.participant_id, w.public.headers)
    assert_refused(response, 404, w.private)
    await assert_untouched(registry_app.http, w.private, "organisations")


async def test_staff_named_in_the_consent_see_the_person(registry_app: Registry) -> None:
    w = await world(registry_app)
    http = registry_app.http
    seen = await http.get(f"/v1/participants/{w.private.participant_id}", headers=w.staff_b)
    assert seen.status_code == 200, seen.text
    assert seen.json()["details"]["name"] == w.private.name
    assert seen.json()["details"]["email"] == w.private.email
    updated = await act(http, "update profile", w.private.participant_id, w.staff_b)
    assert updated.status_code == 200, updated.text
    assert updated.json()["profile"]["roles"] == ["carer"]
    network_wide = await http.get(f"/v1/participants/{w.public.participant_id}",
                                  headers=w.staff_a)
    assert network_wide.status_code == 200, network_wide.text


@pytest.mark.parametrize("action", OWN_DECISIONS)
async def test_staff_who_see_a_person_cannot_decide_for_them(
    registry_app: Registry, action: str,
) -> None:
    w = await world(registry_app)
    response = await act(registry_app.http, action, w.private.participant_id, w.staff_b)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    await assert_untouched(registry_app.http, w.private, "organisations")


@pytest.mark.parametrize("action", OWN_DECISIONS)
async def test_the_person_takes_each_of_their_own_decisions(
    registry_app: Registry, action: str,
) -> None:
    """The positive control of the test above, with the person as they are after joining
    (active): resuming then is a no-op ("nothing happens if already active")."""
    w = await world(registry_app)
    response = await act(registry_app.http, action, w.private.participant_id, w.private.headers)
    assert response.status_code == (204 if action == "erase" else 200), response.text


async def test_a_step_taken_twice_is_harmless(registry_app: Registry) -> None:
    w = await world(registry_app)
    http = registry_app.http
    for _ in range(2):
        left = await act(http, "leave", w.private.participant_id, w.private.headers)
        assert left.status_code == 200, left.text
        assert left.json()["status"] == "left"


async def test_staff_never_see_equality_monitoring_answers(registry_app: Registry) -> None:
    w = await world(registry_app)
    http = registry_app.http
    answers = {"age_band": "65 to 74 sandpiper", "ethnicity": "Cornish sandpiper",
               "disability": "Hearing loss sandpiper"}
    changed = await http.put(f"/v1/participants/{w.public.participant_id}/consent",
                             headers=w.public.headers,
                             json={"scope": "network", "equality_monitoring": True,
                                   "deprivation_decile": 1, **answers})
    assert changed.status_code == 200, changed.text
    assert changed.json()["consent"]["ethnicity"] == answers["ethnicity"]
    seen = await http.get(f"/v1/participants/{w.public.participant_id}", headers=w.staff_a)
    assert seen.status_code == 200, seen.text
    assert "sandpiper" not in seen.text
    assert "deprivation_decile" not in seen.json()["consent"]


@pytest.mark.parametrize("role", ["network admin", "scoped network admin", "service",
                                  "partner"])
@pytest.mark.parametrize("action", list(ACTIONS))
async def test_callers_who_are_not_the_person_or_their_staff_get_no_personal_data(
    registry_app: Registry, role: str, action: str,
) -> None:
    w = await world(registry_app)
    principals = {
        "network admin": Principal(subject="admin", role=Role.NETWORK_ADMIN),
        "scoped network admin": Principal(subject="admin", role=Role.NETWORK_ADMIN,
                                          network_id=UUID(w.network)),
        "service": service_principal(),
        "partner": Principal(subject="partner:1", role=Role.PARTNER, org_id=UUID(w.org_a),
                             network_id=UUID(w.network)),
    }
    headers = (await registry_app.admin() if role == "network admin"
               else as_principal(registry_app, principals[role]))
    response = await act(registry_app.http, action, w.public.participant_id, headers)
    assert_refused(response, (403, 404), w.public)
    await assert_untouched(registry_app.http, w.public, "network")


# Organisations that left, and admins of one network.


async def test_staff_of_an_organisation_that_left_can_do_nothing_with_their_old_token(
    registry_app: Registry,
) -> None:
    w = await world(registry_app)
    http = registry_app.http
    left = await http.post(f"/v1/organisations/{w.org_a}/leave", headers=await registry_app.admin())
    assert left.status_code == 200, left.text
    assert_refused(await act(http, "read", w.public.participant_id, w.staff_a), 404, w.public)
    assisted = await http.post("/v1/participants", headers=w.staff_a, json={
        "network_id": w.network, "details": {"name": "Pat Assisted"},
        "profile": {"roles": ["carer"], "methods": ["phone"]}})
    assert assisted.status_code == 403, assisted.text
    new_key = await http.post(f"/v1/organisations/{w.org_a}/api-keys", json={"label": "late"},
                              headers=w.staff_a)
    assert new_key.status_code == 403, new_key.text


async def test_an_admin_of_one_network_cannot_change_another_networks_members(
    registry_app: Registry,
) -> None:
    w = await world(registry_app)
    http = registry_app.http
    scoped = as_principal(registry_app, Principal(subject="admin:north", role=Role.NETWORK_ADMIN,
                                                  network_id=UUID(w.network)))
    key = await http.post(f"/v1/organisations/{w.org_c}/api-keys", json={"label": "x"},
                          headers=scoped)
    assert key.status_code == 403, key.text  # as keys already are
    joined = await http.post("/v1/organisations", headers=scoped, json={
        "network_id": w.far_network, "name": "Planted Charity", "kind": "charity"})
    assert joined.status_code == 403, joined.text
    removed = await http.post(f"/v1/organisations/{w.org_c}/leave", headers=scoped)
    assert removed.status_code == 403, removed.text
    still_sees = await http.get(f"/v1/participants/{w.far.participant_id}", headers=w.staff_c)
    assert still_sees.status_code == 200, still_sees.text


# No token, or a token that must not be trusted.


async def protected_routes(http: httpx.AsyncClient, ids: Mapping[str, str]
                           ) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document but the open ones, with ids filled in."""
    spec = (await http.get("/openapi.json")).json()
    routes = []
    for template, operations in spec["paths"].items():
        if template.startswith(OPEN_PREFIXES):
            continue
        for method in sorted(HTTP_METHODS & operations.keys()):
            if (method.upper(), template) not in OPEN_ROUTES:
                path = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), RANDOM_ID), template)
                routes.append((method.upper(), path))
    return routes


async def routes_for(registry: Registry, w: World) -> list[tuple[str, str]]:
    routes = await protected_routes(registry.http, {
        "network_id": w.network, "organisation_id": w.org_b,
        "participant_id": w.private.participant_id, "key_id": RANDOM_ID})
    pid = w.private.participant_id
    for expected in [("GET", f"/v1/participants/{pid}"), ("DELETE", f"/v1/participants/{pid}"),
                     ("PUT", f"/v1/participants/{pid}/consent"), ("POST", "/v1/networks"),
                     ("GET", f"/internal/v1/participants/{pid}/contact"),
                     ("POST", f"/v1/organisations/{w.org_b}/api-keys")]:
        assert expected in routes, (expected, routes)
    return routes


async def test_every_protected_route_needs_a_token(registry_app: Registry) -> None:
    w = await world(registry_app)
    for method, path in await routes_for(registry_app, w):
        response = await registry_app.http.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON, (method, path)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)
        assert response.json()["status"] == 401


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(value).encode())


def _claims(principal: Principal) -> dict[str, Any]:
    now = int(time.time())
    return {**principal_claims(principal), "iat": now, "nbf": now, "exp": now + 600,
            "jti": uuid4().hex, "iss": "chorus", "aud": "chorus"}


def _unsigned(issuer: TokenIssuer, principal: Principal) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": issuer.signing_key.kid}
    return f"{_segment(header)}.{_segment(_claims(principal))}."


def _hmac_with_the_public_key(issuer: TokenIssuer, principal: Principal) -> str:
    private = serialization.load_pem_private_key(issuer.signing_key.private_pem().encode(), None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = (f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.signing_key.kid})}"
                     f".{_segment(_claims(principal))}")
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def _another_key_claiming_the_real_kid(issuer: TokenIssuer, principal: Principal) -> str:
    impostor = SigningKey.generate()
    impostor.kid = issuer.signing_key.kid
    return TokenIssuer(impostor).issue(principal)


def _claims_swapped_under_a_real_signature(issuer: TokenIssuer, principal: Principal) -> str:
    header, _, signature = issuer.issue(principal).split(".")
    admin = Principal(subject="admin", role=Role.NETWORK_ADMIN)
    return f"{header}.{_segment(_claims(admin))}.{signature}"


def _clocked(offset: timedelta) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + offset


BAD_TOKENS: dict[str, Callable[[TokenIssuer, Principal], str]] = {
    "expired": lambda i, p: TokenIssuer(i.signing_key, ttl=timedelta(minutes=-5)).issue(p),
    "issued an hour ago": lambda i, p: TokenIssuer(
        i.signing_key, clock=_clocked(timedelta(hours=-1))).issue(p),
    "not valid yet": lambda i, p: TokenIssuer(
        i.signing_key, clock=_clocked(timedelta(hours=1))).issue(p),
    "signed by another key": lambda i, p: TokenIssuer(SigningKey.generate()).issue(p),
    "another key claiming the real kid": _another_key_claiming_the_real_kid,
    "alg none": _unsigned,
    "HS256 keyed with the public key": _hmac_with_the_public_key,
    "claims swapped under a real signature": _claims_swapped_under_a_real_signature,
    "another audience": lambda i, p: i.issue(p, audience="opportunities"),
    "another issuer": lambda i, p: TokenIssuer(i.signing_key, issuer="elsewhere").issue(p),
    "garbage": lambda i, p: "garbage",
    "three garbage segments": lambda i, p: "eyJnYXJiYWdlIjp0cnVlfQ.bm9wZQ.bm9wZQ",
}


async def test_the_persons_own_token_from_the_real_issuer_is_accepted(
    registry_app: Registry,
) -> None:
    w = await world(registry_app)
    headers = as_principal(registry_app, participant_principal(w.private, w.network))
    response = await registry_app.http.get(f"/v1/participants/{w.private.participant_id}",
                                           headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_a_token_that_must_not_be_trusted_is_a_401_everywhere(
    registry_app: Registry, kind: str,
) -> None:
    w = await world(registry_app)
    http = registry_app.http
    token = BAD_TOKENS[kind](issuer_of(registry_app), participant_principal(w.private, w.network))
    for method, path in await routes_for(registry_app, w):
        response = await http.request(method, path, headers=bearer(token))
        assert response.status_code == 401, (kind, method, path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    signed_up = await http.post("/v1/participants", headers=bearer(token), json={
        "network_id": w.network, "details": {"name": "Not Anonymous"},
        "profile": {"roles": ["carer"], "methods": ["phone"]}})
    assert signed_up.status_code == 401, signed_up.text


# API keys.


async def test_staff_cannot_create_list_or_revoke_another_organisations_keys(
    registry_app: Registry,
) -> None:
    w = await world(registry_app)
    http = registry_app.http
    b_key = await http.post(f"/v1/organisations/{w.org_b}/api-keys", json={"label": "b"},
                            headers=w.staff_b)
    assert b_key.status_code == 201, b_key.text
    b_key_id, b_secret = b_key.json()["key_id"], b_key.json()["api_key"]
    keys = f"/v1/organisations/{w.org_b}/api-keys"
    assert (await http.post(keys, json={"label": "a"}, headers=w.staff_a)).status_code == 403
    listed = await http.get(keys, headers=w.staff_a)
    assert listed.status_code == 403
    assert b_key_id not in listed.text
    revoked = await http.delete(f"{keys}/{b_key_id}", headers=w.staff_a)
    assert revoked.status_code == 403
    through_own = await http.delete(f"/v1/organisations/{w.org_a}/api-keys/{b_key_id}",
                                    headers=w.staff_a)
    assert through_own.status_code == 404
    for someone in (w.private, w.public):
        assert (await http.get(keys, headers=someone.headers)).status_code == 403
    await token_for(http, b_secret)  # B's key still works


async def test_a_revoked_key_no_longer_exchanges_for_a_token(registry_app: Registry) -> None:
    w = await world(registry_app)
    http = registry_app.http
    keys = f"/v1/organisations/{w.org_a}/api-keys"
    created = (await http.post(keys, json={"label": "to revoke"}, headers=w.staff_a)).json()
    await token_for(http, created["api_key"])
    assert (await http.delete(f"{keys}/{created['key_id']}", headers=w.staff_a)).status_code \
        == 204
    refused = await http.post("/v1/auth/token", json={"api_key": created["api_key"]})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


# The internal contact route.


def contact_path(someone: Person) -> str:
    return f"/internal/v1/participants/{someone.participant_id}/contact"


async def test_the_contact_route_refuses_everyone_but_a_service(registry_app: Registry) -> None:
    w = await world(registry_app)
    http = registry_app.http
    callers = {"staff who see the person": w.staff_a, "the person": w.public.headers,
               "admin": await registry_app.admin()}
    for who, headers in callers.items():
        response = await http.get(contact_path(w.public), headers=headers)
        assert_refused(response, 403, w.public)
        assert response.status_code == 403, who
    service = await http.get(contact_path(w.public),
                             headers=as_principal(registry_app, service_principal()))
    assert service.status_code == 200, service.text
    assert service.json()["email"] == w.public.email
    assert service.json()["name"] == w.public.name


async def test_the_contact_route_is_gone_for_paused_and_left_people(
    registry_app: Registry,
) -> None:
    w = await world(registry_app)
    http = registry_app.http
    service = as_principal(registry_app, service_principal())
    me = w.public.headers
    assert (await http.get(contact_path(w.public), headers=service)).status_code == 200
    for step, expected in [("pause", 410), ("resume", 200), ("leave", 410), ("resume", 200)]:
        changed = await act(http, step, w.public.participant_id, me)
        assert changed.status_code == 200, changed.text
        response = await http.get(contact_path(w.public), headers=service)
        assert response.status_code == expected, (step, response.text)
        if expected == 410:
            assert_refused(response, 410, w.public)
