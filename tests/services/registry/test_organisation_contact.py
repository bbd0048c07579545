"""An organisation's contact address: given when it joins, changed by its own staff or its
network's admins, read only by a Chorus service, and never put in an event."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select

from chorus.app import create_app
from chorus.settings import load_settings
from chorus.store.schema import events, outbox
from registry.bootstrap import service as registry
from tests.services.registry.conftest import ADMIN_KEY, Registry, token_for

SERVICE_KEY = "chorus_service_test-key-for-organisation-contacts"
Headers = dict[str, str]


@pytest.fixture
async def region(tmp_path: Path) -> AsyncIterator[Registry]:
    settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY,
                             service_keys={"notifications": SERVICE_KEY})
    app = create_app(registry, settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as http:
        yield Registry(http, app)


async def join(region: Registry, network: str, name: str, **extra: object) -> httpx.Response:
    return await region.http.post("/v1/organisations", headers=await region.admin(), json={
        "network_id": network, "name": name, "kind": "charity", **extra})


async def contact_of(region: Registry, organisation_id: str) -> httpx.Response:
    service = await token_for(region.http, SERVICE_KEY)
    return await region.http.get(f"/internal/v1/organisations/{organisation_id}/contact",
                                 headers=service)


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["detail"])


async def test_an_address_given_on_joining_is_read_by_a_service(region: Registry) -> None:
    network = await region.network()
    joined = await join(region, network, "Example Carers",
                        contact_email=" Digital@Carers.EXAMPLE.org ")
    assert joined.status_code == 201, joined.text
    organisation = joined.json()["organisation_id"]
    assert "contact_email" not in joined.json()  # the directory shows no addresses

    answer = await contact_of(region, organisation)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"organisation_id": organisation, "name": "Example Carers",
                             "email": "Digital@carers.example.org"}


async def test_its_staff_and_its_networks_admins_change_it(region: Registry) -> None:
    network = await region.network()
    organisation, staff = await region.organisation(network, "Example Trust")
    path = f"/v1/organisations/{organisation}/contact"

    by_staff = await region.http.put(path, json={"email": "digital@trust.example.org"},
                                     headers=staff)
    assert by_staff.status_code == 200, by_staff.text
    assert by_staff.json()["email"] == "digital@trust.example.org"
    assert (await contact_of(region, organisation)).json()["email"] == (
        "digital@trust.example.org")

    by_admin = await region.http.put(path, json={"email": "platform@trust.example.org"},
                                     headers=await region.admin())
    assert by_admin.status_code == 200, by_admin.text
    assert (await contact_of(region, organisation)).json()["email"] == (
        "platform@trust.example.org")


async def test_nobody_else_changes_it(region: Registry) -> None:
    network = await region.network()
    organisation, _ = await region.organisation(network, "Example Trust")
    _, other_staff = await region.organisation(network, "Another Charity")
    person = await region.join(network, "river@example.org")
    participant = await region.sign_in(person, "river@example.org")
    service = await token_for(region.http, SERVICE_KEY)
    path = f"/v1/organisations/{organisation}/contact"
    body = {"email": "mine@example.org"}

    for headers in (other_staff, participant, service):
        problem(await region.http.put(path, json=body, headers=headers), 403)
    problem(await region.http.put(path, json=body), 401)
    problem(await region.http.put(f"/v1/organisations/{uuid4()}/contact", json=body,
                                  headers=await region.admin()), 404)
    detail = problem(await contact_of(region, organisation), 404)
    assert "no contact e-mail address" in detail


@pytest.mark.parametrize(("body", "names"), [
    ({"email": "not an address"}, "e-mail address"),
    ({"email": "two@@example.org"}, "e-mail address"),
    ({"email": ""}, "e-mail address"),
    ({}, "body.email"),
    ({"email": "ok@example.org", "surprise": 1}, "body.surprise"),
])
async def test_a_bad_address_is_a_problem_naming_it(region: Registry, body: dict[str, object],
                                                    names: str) -> None:
    network = await region.network()
    organisation, staff = await region.organisation(network, "Example Trust")
    detail = problem(await region.http.put(f"/v1/organisations/{organisation}/contact",
                                           json=body, headers=staff), 422)
    assert names in detail
    assert "no contact e-mail address" in problem(await contact_of(region, organisation), 404)


async def test_joining_with_a_bad_address_writes_nothing(region: Registry) -> None:
    network = await region.network()
    detail = problem(await join(region, network, "Lost", contact_email="nobody at all"), 422)
    assert "body.contact_email" in detail and "e-mail address" in detail
    members = await region.http.get(f"/v1/networks/{network}/organisations",
                                    headers=await region.admin())
    assert members.json() == []


async def test_only_a_service_reads_it_and_only_for_a_member(region: Registry) -> None:
    network = await region.network()
    joined = await join(region, network, "Example Carers", contact_email="hello@example.org")
    organisation = joined.json()["organisation_id"]
    _, staff = await region.organisation(network, "Another Charity")
    person = await region.join(network, "river@example.org")
    path = f"/internal/v1/organisations/{organisation}/contact"

    for headers in (await region.admin(), staff, await region.sign_in(person,
                                                                     "river@example.org")):
        problem(await region.http.get(path, headers=headers), 403)
    problem(await region.http.get(path), 401)
    assert "does not exist" in problem(await contact_of(region, str(uuid4())), 404)
    assert "does not exist" in problem(await contact_of(region, person), 404)

    left = await region.http.post(f"/v1/organisations/{organisation}/leave",
                                  headers=await region.admin())
    assert left.status_code == 200, left.text
    assert "has left" in problem(await contact_of(region, organisation), 404)
    problem(await region.http.put(f"/v1/organisations/{organisation}/contact",
                                  json={"email": "back@example.org"},
                                  headers=await region.admin()), 404)


async def test_the_address_is_in_no_event(region: Registry) -> None:
    network = await region.network()
    joined = await join(region, network, "Example Carers", contact_email="first@example.org")
    organisation = joined.json()["organisation_id"]
    changed = await region.http.put(f"/v1/organisations/{organisation}/contact",
                                    json={"email": "second@example.org"},
                                    headers=await region.admin())
    assert changed.status_code == 200, changed.text

    async with region.app.state.runtime.db.snapshot() as tx:  # type: ignore[attr-defined]
        stored = (await tx.conn.execute(select(events.c.data))).scalars().all()
        queued = (await tx.conn.execute(select(outbox.c.value))).scalars().all()
    everything = json.dumps(stored) + "".join(v.decode() for v in queued)
    assert "Example Carers" in everything  # the events are there, without the address
    assert "first@example.org" not in everything and "second@example.org" not in everything
