"""The registry on the embedded default, driven through HTTP as a client would."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chorus.app import create_app
from chorus.settings import load_settings
from registry.bootstrap import service as registry

ADMIN_KEY = "chorus_admin_test-key-for-the-registry-suite"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY)
    app = create_app(registry, settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as http:
        yield http


async def token_for(client: httpx.AsyncClient, api_key: str) -> dict[str, str]:
    response = await client.post("/v1/auth/token", json={"api_key": api_key})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    """Headers carrying a network admin's token."""
    return await token_for(client, ADMIN_KEY)


class Registry:
    """A client for the registry under test, with the steps most tests need."""

    def __init__(self, http: httpx.AsyncClient, app: object) -> None:
        self.http = http
        self.app = app
        self.codes: dict[str, str] = {}  # participant id -> last code sent
        self.app.state.service.access.send_code = self._remember  # type: ignore[attr-defined]

    async def _remember(self, participant_id: object, code: str) -> None:
        self.codes[str(participant_id)] = code

    async def admin(self) -> dict[str, str]:
        return await token_for(self.http, ADMIN_KEY)

    async def network(self, name: str = "North Example") -> str:
        response = await self.http.post("/v1/networks", json={"name": name},
                                        headers=await self.admin())
        assert response.status_code == 201, response.text
        return str(response.json()["network_id"])

    async def organisation(self, network_id: str, name: str,
                           kind: str = "charity") -> tuple[str, dict[str, str]]:
        """A member organisation and headers carrying its staff's token."""
        admin = await self.admin()
        created = await self.http.post("/v1/organisations", json={
            "network_id": network_id, "name": name, "kind": kind}, headers=admin)
        assert created.status_code == 201, created.text
        org_id = str(created.json()["organisation_id"])
        key = await self.http.post(f"/v1/organisations/{org_id}/api-keys",
                                   json={"label": "tests"}, headers=admin)
        assert key.status_code == 201, key.text
        return org_id, await token_for(self.http, key.json()["api_key"])

    async def join(self, network_id: str, email: str, *, name: str = "Alex Example",
                   consent: dict[str, object] | None = None, **extra: object) -> str:
        body = {"network_id": network_id,
                "details": {"name": name, "email": email, "phone": "0113 496 0000",
                            "postcode": "LS6 2AB"},
                "profile": {"roles": ["patient"], "methods": ["online"],
                            "topics": ["diabetes"]},
                "consent": consent or {"scope": "network"}, **extra}
        response = await self.http.post("/v1/participants", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["participant_id"])

    async def sign_in(self, participant_id: str, email: str) -> dict[str, str]:
        """A participant's headers, through the one-time code flow."""
        sent = await self.http.post("/v1/auth/participant-code", json={"email": email})
        assert sent.status_code == 202, sent.text
        token = await self.http.post("/v1/auth/participant-token", json={
            "email": email, "code": self.codes[participant_id]})
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture
async def registry_app(tmp_path: Path) -> AsyncIterator[Registry]:
    settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY)
    app = create_app(registry, settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as http:
        yield Registry(http, app)
