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
