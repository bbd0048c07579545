"""A service whose database goes away answers 503 with a problem body, changes nothing, and
serves again by itself once the database is back (no restart)."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from chorus.app import create_app
from chorus.devservers.postgres import LocalPostgres, ensure_postgres_installed
from chorus.problems import install_problem_handlers
from chorus.settings import load_settings
from chorus.store.database import database_away
from registry.bootstrap import service as registry
from tests.integration.kafka_support import until
from tests.services.registry.conftest import ADMIN_KEY

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


@pytest.fixture
async def served(postgres_workdir: Path, tmp_path: Path
                 ) -> AsyncIterator[tuple[httpx.AsyncClient, LocalPostgres]]:
    with LocalPostgres.start(postgres_workdir, bindir=ensure_postgres_installed()) as server:
        server.create_database("registry")
        settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY,
                                 database_url=server.url("{service}"))
        app = create_app(registry, settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://registry") as http:
            yield http, server


async def test_database_away_means_503_and_back_means_served(
        served: tuple[httpx.AsyncClient, LocalPostgres]) -> None:
    http, server = served
    token = (await http.post("/v1/auth/token", json={"api_key": ADMIN_KEY})).json()
    admin = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await http.post("/v1/networks", json={"name": "Before"}, headers=admin)
            ).status_code == 201

    server.stop()
    for answer in (await http.post("/v1/networks", json={"name": "During"}, headers=admin),
                   await http.get("/v1/networks", headers=admin),
                   await http.get("/healthz/ready")):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["checks"]["database"] != "ok"

    server.start_again()  # the pool's dead connections are noticed and replaced
    after = await http.post("/v1/networks", json={"name": "After"}, headers=admin)
    assert after.status_code == 201, after.text

    async def both_listed() -> bool:  # the list is a projection: it catches up
        listed = (await http.get("/v1/networks", headers=admin)).json()
        return sorted(n["name"] for n in listed) == ["After", "Before"]

    await until(both_listed, 30, "both networks, and no other, to be listed")
    assert (await http.get("/healthz/ready")).status_code == 200


async def test_no_connection_free_in_time_means_503_not_500() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/busy")
    async def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://service") as http:
        answer = await http.get("/busy")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "5"


@pytest.mark.parametrize(("error", "away"), [
    (ConnectionRefusedError(111, "refused"), True),
    (PoolTimeout("QueuePool limit reached"), True),
    (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    (IntegrityError("INSERT", {}, Exception("duplicate key")), False),
    (ValueError("a bug"), False),
])
def test_what_counts_as_the_database_being_away(error: BaseException, away: bool) -> None:
    assert database_away(error) is away
