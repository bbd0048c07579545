"""Participants through HTTP: sign up, sign in, see, change, pause, leave, be forgotten."""

import httpx

from tests.services.registry.conftest import Registry


async def test_self_sign_up_then_sign_in_and_see_your_own_record(registry_app: Registry) -> None:
    network = await registry_app.network()
    pid = await registry_app.join(network, "alex@example.org")
    me = await registry_app.sign_in(pid, "alex@example.org")
    record = (await registry_app.http.get(f"/v1/participants/{pid}", headers=me)).json()
    assert record["details"]["name"] == "Alex Example"
    assert record["details"]["phone"] == "+441134960000"
    assert record["details"]["postcode"] == "LS6 2AB"
    assert record["profile"]["postcode_district"] == "LS6"
    assert record["status"] == "active"


async def test_pause_resume_leave_are_one_action_each(registry_app: Registry) -> None:
    network = await registry_app.network()
    pid = await registry_app.join(network, "sam@example.org")
    me = await registry_app.sign_in(pid, "sam@example.org")
    http = registry_app.http
    paused = await http.post(f"/v1/participants/{pid}/pause", json={"until": "2999-01-01"},
                             headers=me)
    assert paused.json()["status"] == "paused"
    assert (await http.post(f"/v1/participants/{pid}/resume", headers=me)).json()["status"] \
        == "active"
    assert (await http.post(f"/v1/participants/{pid}/leave", headers=me)).json()["status"] \
        == "left"


async def test_a_pause_that_ends_in_the_past_is_refused(registry_app: Registry) -> None:
    network = await registry_app.network()
    pid = await registry_app.join(network, "kim@example.org")
    me = await registry_app.sign_in(pid, "kim@example.org")
    response = await registry_app.http.post(f"/v1/participants/{pid}/pause",
                                            json={"until": "2001-01-01"}, headers=me)
    assert response.status_code == 422
    assert "after today" in response.json()["detail"]


async def test_a_second_sign_up_with_the_same_email_is_a_conflict(
    registry_app: Registry,
) -> None:
    network = await registry_app.network()
    await registry_app.join(network, "jo@example.org")
    again = await registry_app.http.post("/v1/participants", json={
        "network_id": network, "details": {"name": "Jo Again", "email": "JO@example.org"},
        "profile": {"roles": ["carer"], "methods": ["phone"]}})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "already registered" in again.json()["detail"]


async def test_staff_sign_someone_up_on_their_behalf(registry_app: Registry) -> None:
    network = await registry_app.network()
    org, staff = await registry_app.organisation(network, "Example Carers Centre")
    response = await registry_app.http.post("/v1/participants", headers=staff, json={
        "network_id": network, "details": {"name": "Pat Offline", "phone": "07400 123456"},
        "profile": {"roles": ["carer"], "methods": ["phone", "paper"]},
        "consent": {"scope": "organisations", "organisation_ids": [org],
                    "contact_channels": ["phone", "post"]}})
    assert response.status_code == 201, response.text
    pid = response.json()["participant_id"]
    seen = await registry_app.http.get(f"/v1/participants/{pid}", headers=staff)
    assert seen.json()["details"]["name"] == "Pat Offline"


async def test_staff_can_update_a_visible_profile_but_not_consent(registry_app: Registry) -> None:
    network = await registry_app.network()
    _, staff = await registry_app.organisation(network, "Healthwatch Example")
    pid = await registry_app.join(network, "lee@example.org")
    http = registry_app.http
    profile = {"roles": ["patient", "carer"], "methods": ["in_person"], "travel_radius_km": 10}
    updated = await http.patch(f"/v1/participants/{pid}/profile", json=profile, headers=staff)
    assert updated.status_code == 200, updated.text
    assert updated.json()["profile"]["roles"] == ["patient", "carer"]
    consent = await http.put(f"/v1/participants/{pid}/consent", json={"scope": "network"},
                             headers=staff)
    assert consent.status_code == 403


async def test_wrong_codes_are_refused_and_give_nothing_away(registry_app: Registry) -> None:
    network = await registry_app.network()
    await registry_app.join(network, "max@example.org")
    http = registry_app.http
    unknown = await http.post("/v1/auth/participant-code", json={"email": "who@example.org"})
    assert unknown.status_code == 202
    wrong = await http.post("/v1/auth/participant-token",
                            json={"email": "max@example.org", "code": "000000"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"


async def bad_join(http: httpx.AsyncClient, network: str, **details: object) -> httpx.Response:
    return await http.post("/v1/participants", json={
        "network_id": network, "details": {"name": "Test Person", **details},
        "profile": {"roles": ["patient"], "methods": ["online"]}})


async def test_bad_details_are_refused_naming_what_is_wrong(registry_app: Registry) -> None:
    network = await registry_app.network()
    http = registry_app.http
    cases = [({"email": "not-an-address"}, "details.email"),
             ({"phone": "12345"}, "details.phone"),
             ({"postcode": "NOWHERE"}, "details.postcode"),
             ({"name": "x" * 101}, "details.name"),
             ({"notes": "y" * 2001}, "details.notes")]
    for details, field in cases:
        response = await bad_join(http, network, **details)
        assert response.status_code == 422, (details, response.text)
        assert field in response.json()["detail"], response.json()


async def test_joining_an_unknown_network_is_a_404(registry_app: Registry) -> None:
    response = await bad_join(registry_app.http, "00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


async def test_a_service_key_reaches_only_reachable_people(tmp_path: object) -> None:
    from pathlib import Path

    from chorus.app import create_app
    from chorus.settings import load_settings
    from registry.bootstrap import service as registry
    from tests.services.registry.conftest import ADMIN_KEY

    settings = load_settings(data_dir=Path(str(tmp_path)), admin_api_key=ADMIN_KEY,
                             service_keys={"notifications": "chorus_service_test-key"})
    app = create_app(registry, settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry") as http:
        helper = Registry(http, app)
        network = await helper.network()
        pid = await helper.join(network, "ash@example.org", name="Ash Example")
        service = await http.post("/v1/auth/token", json={"api_key": "chorus_service_test-key"})
        headers = {"Authorization": f"Bearer {service.json()['access_token']}"}
        contact = await http.get(f"/internal/v1/participants/{pid}/contact", headers=headers)
        assert contact.status_code == 200, contact.text
        assert contact.json()["email"] == "ash@example.org"
        me = await helper.sign_in(pid, "ash@example.org")
        await http.post(f"/v1/participants/{pid}/pause", headers=me)
        paused = await http.get(f"/internal/v1/participants/{pid}/contact", headers=headers)
        assert paused.status_code == 410
        staff_route = await http.get(f"/internal/v1/participants/{pid}/contact", headers=me)
        assert staff_route.status_code == 403


async def test_a_change_against_a_stale_version_is_a_conflict(registry_app: Registry) -> None:
    network = await registry_app.network()
    pid = await registry_app.join(network, "eli@example.org")
    me = await registry_app.sign_in(pid, "eli@example.org")
    http = registry_app.http
    version = (await http.get(f"/v1/participants/{pid}", headers=me)).json()["version"]
    profile = {"roles": ["carer"], "methods": ["phone"]}
    first = await http.patch(f"/v1/participants/{pid}/profile", json=profile,
                             headers={**me, "If-Match": f'"{version}"'})
    assert first.status_code == 200
    stale = await http.patch(f"/v1/participants/{pid}/profile", json=profile,
                             headers={**me, "If-Match": f'"{version}"'})
    assert stale.status_code == 409
    assert stale.json()["actual_version"] == version + 1
