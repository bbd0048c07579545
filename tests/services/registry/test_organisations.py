"""Organisations: NHS bodies carry their ODS code; leaving a network ends their access."""

import asyncio

from tests.services.registry.conftest import Registry, token_for


async def test_an_nhs_trust_without_an_ods_code_is_refused(registry_app: Registry) -> None:
    network = await registry_app.network()
    response = await registry_app.http.post("/v1/organisations", headers=await registry_app.admin(),
                                            json={"network_id": network, "name": "A Trust",
                                                  "kind": "nhs_trust"})
    assert response.status_code == 422
    assert "ODS code" in response.json()["detail"]


async def test_an_organisation_that_leaves_loses_access_at_once(registry_app: Registry) -> None:
    http = registry_app.http
    network = await registry_app.network()
    org, staff = await registry_app.organisation(network, "Example Carers Centre")
    key = await http.post(f"/v1/organisations/{org}/api-keys", json={"label": "kept"},
                          headers=staff)
    pid = await registry_app.join(network, "river@example.org")
    assert (await http.get(f"/v1/participants/{pid}", headers=staff)).status_code == 200

    left = await http.post(f"/v1/organisations/{org}/leave", headers=await registry_app.admin())
    assert left.status_code == 200, left.text

    assert (await http.get(f"/v1/participants/{pid}", headers=staff)).status_code == 404
    refused = await http.post("/v1/auth/token", json={"api_key": key.json()["api_key"]})
    assert refused.status_code == 401
    async with asyncio.timeout(10):
        while org in [o["organisation_id"] for o in (await http.get(
                f"/v1/networks/{network}/organisations", headers=await registry_app.admin())
                ).json()]:
            await asyncio.sleep(0.02)


async def test_staff_manage_only_their_own_keys_and_revoked_keys_stop_working(
    registry_app: Registry,
) -> None:
    http = registry_app.http
    network = await registry_app.network()
    org_a, staff_a = await registry_app.organisation(network, "A")
    org_b, _ = await registry_app.organisation(network, "B")
    assert (await http.get(f"/v1/organisations/{org_b}/api-keys",
                           headers=staff_a)).status_code == 403
    created = (await http.post(f"/v1/organisations/{org_a}/api-keys", json={"label": "x"},
                               headers=staff_a)).json()
    await token_for(http, created["api_key"])
    revoked = await http.delete(f"/v1/organisations/{org_a}/api-keys/{created['key_id']}",
                                headers=staff_a)
    assert revoked.status_code == 204
    again = await http.post("/v1/auth/token", json={"api_key": created["api_key"]})
    assert again.status_code == 401
    listed = (await http.get(f"/v1/organisations/{org_a}/api-keys", headers=staff_a)).json()
    assert all("api_key" not in row for row in listed)
