"""Steps the opportunities HTTP suites share: problem answers, waiting, seats and sessions."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

import httpx

from tests.services.opportunities.conftest import Headers, Region

T = TypeVar("T")

PROBLEM_JSON = "application/problem+json"
PROFILE: dict[str, Any] = {"roles": ["patient"], "methods": ["in_person", "speaking"],
                           "topics": ["diabetes"], "postcode_district": "LS6",
                           "travel_radius_km": 15}
"""The profile `Region.person` gives everyone, for a PATCH that replaces it."""


def assert_problem(response: httpx.Response, status: int, *words: str) -> None:
    """A 4xx problem+json answer whose detail names the problem in these words."""
    assert response.status_code == status, response.text
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM_JSON, response.headers
    detail = response.json()["detail"]
    assert detail, response.text
    for word in words:
        assert word in detail, detail


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def eventually(check: Callable[[], Awaitable[T]], what: str) -> T:
    """Poll a read model (or anything asynchronous) until `check` gives something truthy."""
    for _ in range(200):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def now() -> datetime:
    return datetime.now(UTC)


async def invite(region: Region, staff: Headers, oid: str, *pids: str) -> list[str]:
    """Invite these people by id; their invitation ids, in the same order."""
    invited = ok(await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                        json={"participant_ids": list(pids)}, headers=staff), 201)
    return [i["invitation_id"] for i in invited]


async def accept(region: Region, invitation_id: str, person: Headers) -> dict[str, Any]:
    return dict(ok(await region.http.post(f"/v1/invitations/{invitation_id}/accept",
                                          headers=person)))


async def assign(region: Region, staff: Headers, oid: str,
                 *people: tuple[str, Headers]) -> list[str]:
    """Invite these people and have each accept; their invitation ids."""
    invitations = await invite(region, staff, oid, *(pid for pid, _ in people))
    for invitation_id, (_, person) in zip(invitations, people, strict=True):
        assert (await accept(region, invitation_id, person))["status"] == "assigned"
    return invitations


async def statuses(region: Region, staff: Headers, oid: str) -> dict[str, str]:
    """Each invited person's invitation status, as the owning staff see them."""
    listed = ok(await region.http.get(f"/v1/opportunities/{oid}/invitations", headers=staff))
    return {i["participant_id"]: i["status"] for i in listed}


async def hold_session(region: Region, staff: Headers, oid: str, hours: dict[str, float], *,
                       starts_at: datetime | None = None, length: float = 3) -> dict[str, Any]:
    """Record a session that ended an hour ago (or started at `starts_at`)."""
    starts = starts_at or now() - timedelta(hours=length + 1)
    body = {"starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=length)).isoformat(),
            "attendance": [{"participant_id": p, "hours": h} for p, h in hours.items()]}
    return dict(ok(await region.http.post(f"/v1/opportunities/{oid}/sessions", json=body,
                                          headers=staff), 201))


async def events_of(region: Region, oid: str) -> list[tuple[str, dict[str, Any]]]:
    """The opportunity's stored events, as (type, data), oldest first."""
    opportunities = region.state.opportunities
    async with opportunities.db.snapshot() as tx:
        recorded = await opportunities.opportunities.store.read_stream(tx, oid)
    return [(e.event_type, dict(e.data)) for e in recorded]


async def change_profile(region: Region, pid: str, person: Headers, **changes: Any) -> None:
    """Replace the person's registry profile and wait until matching knows it."""
    profile = PROFILE | changes
    ok(await region.registry.http.patch(f"/v1/participants/{pid}/profile", json=profile,
                                        headers=person))

    async def known() -> bool:
        member = await region.state.matcher.pool.member(UUID(pid))
        if member is None:
            return False
        return (member.payment_preference == profile.get("payment_preference", "accept")
                and member.candidate.methods == frozenset(profile["methods"]))

    await eventually(known, f"pool knows {pid}'s new profile")


class Outsider(NamedTuple):
    """Someone from another network: its id, one organisation's staff, and one person."""

    network_id: str
    staff: Headers
    participant_id: str
    person: Headers


async def outsider(region: Region) -> Outsider:
    """A second network in the region, with an organisation and a person of its own."""
    network = await region.registry.network("South Example")
    _, staff = await region.registry.organisation(network, "Southern Carers")
    email = "outsider@example.org"
    pid = await region.registry.join(network, email)
    return Outsider(network, staff, pid, await region.registry.sign_in(pid, email))
