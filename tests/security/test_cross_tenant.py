"""Cross-tenant attacks on every route of every service: nothing of organisation A's is
reached by anyone who is not A's, and no token that must not be trusted is.

Registry, opportunities, feedback and notifications run in one process on the embedded bus
(`conftest.World`). Every route the four apps serve is called with its path ids pointing at
organisation A's records and a body A's own side could send with success (`routes.ROUTES`),
once for each attacker:

- `b_staff`: staff of organisation B, in another network;
- `c_staff`: staff of organisation C, A's neighbour in A's own network;
- `b_person`: B's participant, in the other network;
- `neighbour`: a participant in A's network who shares with the whole network, not A's;
- `b_admin`: an admin of the other network;
- `partner`: a partner token naming A and A's network (a subscriber, never A's staff);

and once for each token that must not be trusted, made from a real token of A's staff: expired
(signed with the real key), signed by another Ed25519 key (naming itself, or claiming the real
key's id), `alg: none`, HS256 keyed with the public key, and a real token whose payload was
changed (`tokens.BAD_TOKENS`).

None succeeds where it should not. Protected routes refuse the attackers with 401, 403 or 404
problem+json, or a 422 for a rule checked against the caller (a 409, or a 422 for a malformed
request, is reported: it answers what was sent, or the state of A's record, before who sent it,
and could hide a hole); where a route is shared by design (`Route.may`: the network's
opportunities for A's neighbours) the answer carries none of A's private ids or its
participant's details. Public routes answer an attacker as they answer nobody, or at least tell
them nothing of A's that nobody is not told. Internal routes refuse every token but a Chorus
service's.
Untrustworthy tokens get 401 problem+json with an `invalid_token` challenge everywhere, except
on routes that read no token at all, which answer them exactly as they answer nobody. A route
the table does not cover fails the suite. Last, the positive controls: each route's request,
sent by A's own side, succeeds, so every refusal above was about who called.
"""

import re
from collections.abc import Iterable

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI

from tests.security.conftest import World, bearer
from tests.security.routes import DEFAULT_IDS, NORTH, ROUTES, Access, Route
from tests.security.tokens import BAD_TOKENS
from tests.services.notifications.webhook_support import Reply

pytestmark = [pytest.mark.security, pytest.mark.timeout(180)]

ATTACKERS = ["b_staff", "c_staff", "b_person", "neighbour", "b_admin", "partner"]
REFUSALS = {401, 403, 404}
PROBLEM_JSON = "application/problem+json"
# Only the status is compared: metrics count every request, and the AsyncAPI page embeds its
# document with the channels in no fixed order.
VOLATILE = {"/metrics", "/asyncapi"}
NETWORK_SHARED = ("opportunity_id", "scheduled_session_id", "second_opportunity_id",
                  "third_opportunity_id", "consultation_id")
DIRECTORY = ("organisation_id", "network_id")  # members of a network are no secret


def _path(world: World, route: Route) -> str:
    def record(match: re.Match[str]) -> str:
        name = match.group(1)
        owner, _, field = route.ids.get(name, DEFAULT_IDS[name]).rpartition(".")
        return str(getattr(world.b if owner == "b" else world.a, field))

    return re.sub(r"\{(\w+)\}", record, route.path)


async def call(world: World, route: Route, token: str | None) -> httpx.Response:
    """The route, aimed at A's records, as the holder of `token` (nobody if None)."""
    body = route.body(world) if route.body else None
    params = route.query(world) if route.query else None
    return await world.clients[route.service].request(
        route.method, _path(world, route), params=params, headers=bearer(token), json=body)


@pytest.fixture(scope="module")
async def anonymous(world: World) -> dict[Route, httpx.Response]:
    """What nobody gets from every open and public route."""
    routes = [r for r in ROUTES if r.access in (Access.OPEN, Access.PUBLIC)]
    return {route: await call(world, route, None) for route in routes}


def _secrets(world: World) -> dict[str, str]:
    """A's ids and its participant's details, by name."""
    a = world.a
    found = {name: value for name, value in a.ids().items() if name not in DIRECTORY}
    found |= {f"delivery {i}": d for i, d in enumerate(a.delivery_ids)}
    return found | {"participant's e-mail": a.email, "participant's name": a.person_name}


@pytest.fixture(scope="module")
def public_ids(world: World, anonymous: dict[Route, httpx.Response]) -> set[str]:
    """A's ids that nobody already sees on a public route (a change names the responses
    behind it, for one)."""
    seen = " ".join(r.text for route, r in anonymous.items() if route.access is Access.PUBLIC)
    return {value for value in _secrets(world).values() if value in seen}


def _shared_with(world: World, attacker: str) -> set[str]:
    """What A shares with this attacker's network: its opportunities and network consultation
    for A's neighbours, nothing for anyone else."""
    return {getattr(world.a, name) for name in NETWORK_SHARED} if attacker in NORTH else set()


def _hidden(world: World, attacker: str, public: set[str]) -> dict[str, str]:
    """What of A's this attacker must never see."""
    shared = _shared_with(world, attacker)
    return {name: value for name, value in _secrets(world).items()
            if value not in public and value not in shared}


def _leaks(response: httpx.Response, hidden: dict[str, str]) -> list[str]:
    return [name for name, value in hidden.items() if value in response.text]


def _is_problem(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith(PROBLEM_JSON)


def _same(response: httpx.Response, baseline: httpx.Response, route: Route) -> bool:
    if response.status_code != baseline.status_code:
        return False
    if route.path in VOLATILE or response.content == baseline.content:
        return True
    try:
        return bool(response.json() == baseline.json())  # the same, in another order
    except ValueError:
        return False


def _judge(world: World, route: Route, attacker: str, response: httpx.Response,
           hidden: dict[str, str], baseline: httpx.Response | None) -> str | None:
    """Why this answer to this attacker is wrong, or None."""
    status = response.status_code
    if route.access is Access.OPEN:
        assert baseline is not None
        return None if _same(response, baseline, route) else (
            f"answered {status}, not as nobody is ({baseline.status_code})")
    if route.access is Access.PUBLIC and status < 300:
        assert baseline is not None
        if _same(response, baseline, route):
            return None
        shared = _shared_with(world, attacker)
        more = [name for name, value in _secrets(world).items() if value in response.text
                and value not in baseline.text and value not in shared]
        return f"told more of A than nobody gets: {more}" if more else None
    if status < 300:
        if route.access is Access.INTERNAL or (route.access is Access.PROTECTED
                                               and attacker not in route.may):
            return f"SUCCEEDED ({status}): {response.text[:300]}"
        leaked = _leaks(response, hidden)
        if route.own_only and world.a.organisation_id in response.text:
            leaked.append("A's organisation: it acted for A")
        return f"leaked {leaked}: {response.text[:300]}" if leaked else None
    if not _is_problem(response):
        return f"refused with {status} but not as problem+json"
    if status not in REFUSALS and not _domain_rule(response):
        return f"refused with {status}, before asking who called: {response.text[:300]}"
    return None


def _domain_rule(response: httpx.Response) -> bool:
    """A 422 for a rule the service checked with the caller's request in hand (the request
    itself was valid: A's own side sends it with success), e.g. "organisation ... is not a
    member of this network". Not a 422 for a malformed request, and not a 409, which would
    tell the caller the state of A's record."""
    return response.status_code == 422 and "errors" not in response.json()


def _failures(lines: Iterable[str]) -> str:
    return "\n".join(lines)


def _served(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, documented or not."""
    # FastAPI 0.165 keeps included routers whole in `app.routes`; this walks into them.
    flatten = getattr(fastapi.routing, "iter_route_contexts", list)
    served = set()
    for route in flatten(app.routes):
        for method in set(getattr(route, "methods", None) or ()) - {"HEAD"}:
            served.add((method, str(getattr(route, "path_format", ""))))  # `{id:uuid}`: `{id}`
    return served


async def test_the_table_covers_every_route_of_every_service(world: World) -> None:
    apps = {"registry": world.region.registry.app, "opportunities": world.region.app,
            "feedback": world.region.feedback_app,
            "notifications": world.region.notifications_app}
    served = {(service, method, path) for service, app in apps.items()
              for method, path in _served(app)}
    documented = {(service, method.upper(), path) for service, app in apps.items()
                  for path, operations in app.openapi()["paths"].items()
                  for method in operations}
    table = {route.key for route in ROUTES}
    assert documented <= served
    assert not served - table, f"routes the suite does not attack: {sorted(served - table)}"
    assert not table - served, f"routes no service serves: {sorted(table - served)}"


@pytest.mark.parametrize("attacker", ATTACKERS)
async def test_another_tenant_reaches_nothing_of_a(
        world: World, anonymous: dict[Route, httpx.Response], public_ids: set[str],
        attacker: str) -> None:
    token = world.tokens[attacker]
    hidden = _hidden(world, attacker, public_ids)
    wrong = []
    for route in ROUTES:
        response = await call(world, route, token)
        if (why := _judge(world, route, attacker, response, hidden,
                          anonymous.get(route))) is not None:
            wrong.append(f"{route}: {why}")
    assert not wrong, f"{attacker}:\n{_failures(wrong)}"


def _refused_as_untrusted(response: httpx.Response) -> bool:
    return (response.status_code == 401 and _is_problem(response)
            and response.headers.get("www-authenticate", "").startswith(
                'Bearer error="invalid_token"'))


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_a_token_that_must_not_be_trusted_gets_nothing(
        world: World, anonymous: dict[Route, httpx.Response], kind: str) -> None:
    token = BAD_TOKENS[kind](world.signing_key, world.tokens["a_staff"])
    wrong = []
    for route in ROUTES:
        response = await call(world, route, token)
        if _refused_as_untrusted(response):
            continue
        baseline = anonymous.get(route)
        if baseline is not None and _same(response, baseline, route):
            continue  # a route that reads no token answers it as it answers nobody
        wrong.append(f"{route}: {response.status_code} {response.text[:200]}")
    assert not wrong, f"{kind}:\n{_failures(wrong)}"


async def test_internal_routes_refuse_every_token_but_a_services(world: World) -> None:
    internal = [route for route in ROUTES if route.access is Access.INTERNAL]
    assert internal
    wrong = []
    for route in internal:
        for name, token in world.tokens.items():
            if name == route.control or name in route.may:
                continue
            response = await call(world, route, token)
            if response.status_code != 403 or not _is_problem(response):
                wrong.append(f"{route} as {name}: {response.status_code} {response.text[:200]}")
    assert not wrong, _failures(wrong)


async def test_the_same_requests_succeed_for_a_itself(world: World) -> None:
    """The positive controls, last: A's staff, A's participant or an admin (`Route.control`)
    sends each route's request, in stages (what ends things last), and succeeds."""
    first = {route.key: route for route in reversed(ROUTES)}
    uncontrolled = [str(r) for r in first.values() if r.control is None
                    and r.access in (Access.PROTECTED, Access.INTERNAL, Access.SIGNED_IN)]
    assert not uncontrolled, f"routes with no positive control: {uncontrolled}"
    controlled = sorted((r for r in ROUTES if r.control), key=lambda r: r.stage)
    for endpoint in world.region.receiver.endpoints.values():
        endpoint.answer(then=Reply())  # the endpoints that were gone are back
    wrong = []
    for route in controlled:
        assert route.control is not None
        response = await call(world, route, world.tokens[route.control])
        if response.status_code >= 300:
            wrong.append(f"{route} as {route.control}: {response.status_code} "
                         f"{response.text[:300]}")
    assert not wrong, _failures(wrong)
