"""The registry and the opportunities service together on the embedded default, one bus,
driven through HTTP as clients would; registry's events reach opportunities as in a region."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from chorus.app import create_app
from chorus.service import build_bus
from chorus.settings import load_settings
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.registry.conftest import ADMIN_KEY, Registry

Headers = dict[str, str]


def next_tuesday_morning(after_days: int = 14) -> datetime:
    day = date.today() + timedelta(days=after_days)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def opportunity(**changes: Any) -> dict[str, Any]:
    """A co-design workshop at the trust, in person in LS1, on a Tuesday morning soon."""
    starts = next_tuesday_morning()
    body: dict[str, Any] = {
        "title": "Redesign the discharge letter", "description": "Two workshops with staff.",
        "kind": "co_design_workshop", "stage": "design", "topics": ["diabetes"],
        "methods": ["in_person", "speaking"], "online": False, "postcode_district": "LS1",
        "sessions": [{"starts_at": starts.isoformat(),
                      "ends_at": (starts + timedelta(hours=3)).isoformat()}],
        "commitment": "one_off", "time_commitment": "One 3-hour workshop", "seats": 2,
        "support_offered": ["briefing", "expenses_up_front"], "remuneration": "paid",
        "payment_basis": "sessional", "accessibility_provided": ["step_free_access"],
        "closing_date": (date.today() + timedelta(days=30)).isoformat(),
    }
    return body | changes


class Region:
    """Registry and opportunities under test, with the steps most tests need."""

    def __init__(self, registry: Registry, http: httpx.AsyncClient, app: Any) -> None:
        self.registry = registry
        self.http = http
        self.app = app
        self.network_id = ""
        self._emails = 0

    @property
    def state(self) -> Any:
        return self.app.state.service

    async def start(self) -> None:
        self.network_id = await self.registry.network()

    async def organisation(self, name: str = "Example Trust",
                           kind: str = "nhs_trust") -> tuple[str, Headers]:
        if kind == "nhs_trust":
            admin = await self.registry.admin()
            created = await self.registry.http.post("/v1/organisations", json={
                "network_id": self.network_id, "name": name, "kind": kind,
                "ods_code": "RXX"}, headers=admin)
            assert created.status_code == 201, created.text
            org_id = str(created.json()["organisation_id"])
            key = await self.registry.http.post(f"/v1/organisations/{org_id}/api-keys",
                                                json={"label": "tests"}, headers=admin)
            from tests.services.registry.conftest import token_for
            return org_id, await token_for(self.registry.http, key.json()["api_key"])
        return await self.registry.organisation(self.network_id, name, kind)

    async def person(self, *, profile: dict[str, Any] | None = None,
                     consent: dict[str, Any] | None = None) -> tuple[str, Headers]:
        """A participant who fits the default opportunity unless told otherwise."""
        self._emails += 1
        email = f"person{self._emails}@example.org"
        body = {"network_id": self.network_id,
                "details": {"name": "Alex Example", "email": email},
                "profile": {"roles": ["patient"], "methods": ["in_person", "speaking"],
                            "topics": ["diabetes"], "postcode_district": "LS6",
                            "travel_radius_km": 15, **(profile or {})},
                "consent": consent or {"scope": "network"}}
        response = await self.registry.http.post("/v1/participants", json=body)
        assert response.status_code == 201, response.text
        participant_id = str(response.json()["participant_id"])
        return participant_id, await self.registry.sign_in(participant_id, email)

    async def pool_has(self, *participant_ids: str, status: str | None = None) -> None:
        """Wait until registry's events about these people have reached opportunities."""
        from sqlalchemy import select

        from opportunities.tables import pool_members
        for _ in range(200):
            async with self.state.matcher.db.snapshot() as tx:
                rows = {str(r.participant_id): r.status for r in await tx.conn.execute(
                    select(pool_members.c.participant_id, pool_members.c.status))}
            if all(p in rows and (status is None or rows[p] == status)
                   for p in participant_ids):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"pool never held {participant_ids} ({status})")

    async def publish(self, staff: Headers, **changes: Any) -> dict[str, Any]:
        response = await self.http.post("/v1/opportunities", json=opportunity(**changes),
                                        headers=staff)
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
async def region(tmp_path: Path) -> AsyncIterator[Region]:
    settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY)
    bus = build_bus(settings, "chorus-tests")
    await bus.start()
    registry_app = create_app(registry, settings, bus)
    opportunities_app = create_app(opportunities, settings, bus)
    try:
        async with registry_app.router.lifespan_context(registry_app), \
                opportunities_app.router.lifespan_context(opportunities_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                  base_url="http://registry") as registry_http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=opportunities_app),
                                  base_url="http://opportunities") as http:
            region = Region(Registry(registry_http, registry_app), http, opportunities_app)
            await region.start()
            yield region
    finally:
        await bus.stop()
