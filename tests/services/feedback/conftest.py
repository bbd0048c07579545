"""Registry, opportunities and feedback together on the embedded default, one bus, driven
through HTTP as clients would; registry's and opportunities' events reach feedback as in a
region."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from chorus.app import create_app
from chorus.service import build_bus
from chorus.settings import load_settings
from feedback.bootstrap import service as feedback
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.opportunities.conftest import Region
from tests.services.registry.conftest import ADMIN_KEY, Registry

Headers = dict[str, str]


def consultation(**changes: Any) -> dict[str, Any]:
    """A public consultation on discharge letters, closing in four weeks."""
    body: dict[str, Any] = {
        "title": "Discharge letters", "purpose": "How should our discharge letters read?",
        "stage": "design", "audience": "public",
        "questions": [
            {"question_id": "00000000-0000-4000-8000-000000000001", "kind": "single_choice",
             "prompt": "Was your letter clear?", "options": ["Yes", "Partly", "No"],
             "required": True},
            {"question_id": "00000000-0000-4000-8000-000000000002", "kind": "rating",
             "prompt": "How was your discharge overall?"},
            {"question_id": "00000000-0000-4000-8000-000000000003", "kind": "free_text",
             "prompt": "What would have helped?"},
            {"question_id": "00000000-0000-4000-8000-000000000004",
             "kind": "multiple_choice", "prompt": "Who read it?",
             "options": ["Me", "My carer", "My GP"]},
        ],
        "closes_at": (datetime.now(UTC) + timedelta(days=28)).isoformat(),
    }
    return body | changes


CLEAR, RATING, WORDS, READERS = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 5))


def answers(clear: str = "Partly", rating: int | None = 4, words: str | None = None,
            readers: list[str] | None = None) -> dict[str, Any]:
    given: list[dict[str, Any]] = [{"question_id": CLEAR, "choices": [clear]}]
    if rating is not None:
        given.append({"question_id": RATING, "rating": rating})
    if words is not None:
        given.append({"question_id": WORDS, "text": words})
    if readers:
        given.append({"question_id": READERS, "choices": readers})
    return {"answers": given}


class FeedbackRegion(Region):
    """The three services under test: `self.http` is opportunities, `self.feedback` feedback."""

    def __init__(self, registry: Registry, http: httpx.AsyncClient, app: Any,
                 feedback: httpx.AsyncClient, feedback_app: Any) -> None:
        super().__init__(registry, http, app)
        self.feedback = feedback
        self.feedback_app = feedback_app

    @property
    def fb(self) -> Any:
        return self.feedback_app.state.service

    async def admin_of_network(self) -> Headers:
        return await self.registry.admin()

    async def known(self, *organisation_ids: str) -> None:
        """Wait until registry's events about these organisations have reached feedback."""
        from sqlalchemy import select

        from feedback.tables import organisations
        for _ in range(200):
            async with self.fb.consultations.db.snapshot() as tx:
                found = {str(o) for o in (await tx.conn.execute(
                    select(organisations.c.organisation_id))).scalars()}
            if set(organisation_ids) <= found:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"feedback never heard of {organisation_ids}")

    async def open(self, staff: Headers, **changes: Any) -> dict[str, Any]:
        response = await self.feedback.post("/v1/consultations", json=consultation(**changes),
                                            headers=staff)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def respond(self, consultation_id: str, who: Headers | None = None,
                      **given: Any) -> dict[str, Any]:
        response = await self.feedback.post(f"/v1/consultations/{consultation_id}/feedback",
                                            json=answers(**given), headers=who or {})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def caught_up(self) -> None:
        """Let the projections read everything stored so far."""
        runtime = self.feedback_app.state.runtime
        for runner in runtime.runners:
            await runner.catch_up()


@pytest.fixture
async def region(tmp_path: Path) -> AsyncIterator[FeedbackRegion]:
    settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY)
    bus = build_bus(settings, "chorus-tests")
    await bus.start()
    apps = [create_app(s, settings, bus) for s in (registry, opportunities, feedback)]
    registry_app, opportunities_app, feedback_app = apps
    try:
        async with registry_app.router.lifespan_context(registry_app), \
                opportunities_app.router.lifespan_context(opportunities_app), \
                feedback_app.router.lifespan_context(feedback_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                  base_url="http://registry") as registry_http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=opportunities_app),
                                  base_url="http://opportunities") as http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=feedback_app),
                                  base_url="http://feedback") as feedback_http:
            region = FeedbackRegion(Registry(registry_http, registry_app), http,
                                    opportunities_app, feedback_http, feedback_app)
            await region.start()
            yield region
    finally:
        await bus.stop()
