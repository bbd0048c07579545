"""Renewing a token: how a session stays open while it is used. The registry renews only for
someone still entitled to a token, and gives the same principal back."""

from uuid import UUID

import jwt

from chorus.auth import Principal, Role
from tests.services.registry.conftest import Registry


def claims(headers: dict[str, str]) -> dict[str, object]:
    token = headers["Authorization"].removeprefix("Bearer ")
    found: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return found


async def renewed(registry: Registry, headers: dict[str, str]) -> dict[str, str]:
    answer = await registry.http.post("/v1/auth/renew", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["expires_in"] == 900
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_a_participant_staff_and_the_admin_get_a_fresh_token_for_the_same_principal(
        registry_app: Registry) -> None:
    network = await registry_app.network()
    _, staff = await registry_app.organisation(network, "Healthwatch Example")
    participant_id = await registry_app.join(network, "ren@example.org")
    person = await registry_app.sign_in(participant_id, "ren@example.org")
    for headers in (person, staff, await registry_app.admin()):
        fresh = await renewed(registry_app, headers)
        before, after = claims(headers), claims(fresh)
        assert after["jti"] != before["jti"]
        assert {k: after.get(k) for k in ("sub", "role", "participant_id", "org_id",
                                          "network_id")} == \
               {k: before.get(k) for k in ("sub", "role", "participant_id", "org_id",
                                           "network_id")}
        mine = await registry_app.http.get(f"/v1/networks/{network}/organisations",
                                           headers=fresh)
        assert mine.status_code == 200, "the renewed token works"


async def test_no_renewal_without_a_valid_token(registry_app: Registry) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = await registry_app.http.post("/v1/auth/renew", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"


async def test_an_erased_participant_cannot_renew(registry_app: Registry) -> None:
    network = await registry_app.network()
    participant_id = await registry_app.join(network, "gone@example.org")
    person = await registry_app.sign_in(participant_id, "gone@example.org")
    erased = await registry_app.http.delete(f"/v1/participants/{participant_id}",
                                            headers=person)
    assert erased.status_code == 204, erased.text
    answer = await registry_app.http.post("/v1/auth/renew", headers=person)
    assert answer.status_code == 401, answer.text
    assert "erased" in answer.json()["detail"]


async def test_a_revoked_key_or_an_organisation_that_left_ends_staff_sessions(
        registry_app: Registry) -> None:
    network = await registry_app.network()
    admin = await registry_app.admin()
    revoked_org, revoked = await registry_app.organisation(network, "Example Trust")
    key_id = str(claims(revoked)["sub"]).removeprefix("api-key:")
    gone = await registry_app.http.delete(
        f"/v1/organisations/{revoked_org}/api-keys/{key_id}", headers=admin)
    assert gone.status_code == 204, gone.text
    left_org, leaving = await registry_app.organisation(network, "Example Carers Centre")
    left = await registry_app.http.post(f"/v1/organisations/{left_org}/leave", headers=admin)
    assert left.status_code == 200, left.text
    for headers, why in ((revoked, "revoked"), (leaving, "left the network")):
        answer = await registry_app.http.post("/v1/auth/renew", headers=headers)
        assert answer.status_code == 401, answer.text
        assert why in answer.json()["detail"]


async def test_services_and_partners_exchange_their_own_keys_instead(
        registry_app: Registry) -> None:
    issuer = registry_app.app.state.service.issuer  # type: ignore[attr-defined]
    network = await registry_app.network()
    org_id, _ = await registry_app.organisation(network, "Example Council")
    for principal in (Principal(subject="service:feedback", role=Role.SERVICE,
                                service="feedback"),
                      Principal(subject="partner:x", role=Role.PARTNER, org_id=UUID(org_id))):
        headers = {"Authorization": f"Bearer {issuer.issue(principal)}"}
        answer = await registry_app.http.post("/v1/auth/renew", headers=headers)
        assert answer.status_code == 403, answer.text
