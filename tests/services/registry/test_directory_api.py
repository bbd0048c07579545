"""The registry's directory through HTTP, on the embedded default."""

import asyncio

import httpx
import pytest


async def eventually(client: httpx.AsyncClient, path: str, count: int,
                     headers: dict[str, str]) -> list[dict]:
    async with asyncio.timeout(10):
        while len(found := (await client.get(path, headers=headers)).json()) < count:
            await asyncio.sleep(0.02)
    return found  # type: ignore[no-any-return]


async def test_a_network_and_its_members_are_listed(
    client: httpx.AsyncClient, admin: dict[str, str],
) -> None:
    created = await client.post("/v1/networks", json={"name": "North Example",
                                                      "region_code": "E54000099"}, headers=admin)
    assert created.status_code == 201
    network_id = created.json()["network_id"]
    joined = await client.post("/v1/organisations", json={
        "network_id": network_id, "name": "Example Trust", "kind": "nhs_trust",
        "ods_code": "RXX"}, headers=admin)
    assert joined.status_code == 201
    assert joined.json()["kind"] == "nhs_trust"
    [member] = await eventually(client, f"/v1/networks/{network_id}/organisations", 1,
                                    admin)
    assert member["name"] == "Example Trust"
    anyone = await client.get(f"/v1/networks/{network_id}/organisations")
    assert anyone.json() == [member], "a partnership's members are public"
    [network] = await eventually(client, "/v1/networks", 1, admin)
    assert network["organisation_count"] == 1
    assert network["created_at"].endswith("Z") or "+00:00" in network["created_at"]


@pytest.mark.parametrize(("body", "names"), [
    ({"name": ""}, "body.name"),
    ({"name": "x" * 201}, "body.name"),
    ({"name": "ok", "region_code": "not a code!"}, "body.region_code"),
    ({"name": "ok", "surprise": 1}, "body.surprise"),
])
async def test_bad_network_input_gets_a_problem_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict, names: str,
) -> None:
    response = await client.post("/v1/networks", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert names in response.json()["detail"]


async def test_an_organisation_for_an_unknown_network_is_a_404_and_writes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str],
) -> None:
    response = await client.post("/v1/organisations", json={
        "network_id": "00000000-0000-4000-8000-000000000000", "name": "Lost",
        "kind": "charity"}, headers=admin)
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"
    assert (await client.get("/v1/networks", headers=admin)).json() == []


async def test_a_malformed_ods_code_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str],
) -> None:
    network = await client.post("/v1/networks", json={"name": "N"}, headers=admin)
    response = await client.post("/v1/organisations", json={
        "network_id": network.json()["network_id"], "name": "Trust", "kind": "nhs_trust",
        "ods_code": "r!"}, headers=admin)
    assert response.status_code == 422
    assert "ods_code" in response.json()["detail"]


async def test_operations_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz/live")).json() == {"status": "ok"}
    ready = (await client.get("/healthz/ready")).json()
    assert ready["checks"] == {"database": "ok", "bus": "ok"}
    assert "chorus_request_seconds" in (await client.get("/metrics")).text
    assert "/v1/networks" in (await client.get("/openapi.json")).json()["paths"]
    asyncapi = (await client.get("/asyncapi.json")).json()
    assert "chorus.registry.events" in str(asyncapi["channels"])
    assert "NetworkCreated" in str(asyncapi["components"])
