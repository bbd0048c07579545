"""What the tests of a participant's money and notification pages share: a session sam took
part in (recorded by the trust through the opportunities API), signing sam in with JavaScript
off, and the portal over all four services, the notifications service included (the portal
conftest's region has none)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.backend import Backend
from portal.bootstrap import create_app
from tests.portal.conftest import Browser, portal_settings
from tests.portal.scene import EMAIL, Scene
from tests.services.feedback.conftest import FeedbackRegion
from tests.services.notifications.people_support import PeopleRegion, running_region
from tests.services.opportunities.conftest import opportunity

TITLE = "Carers' voices on hospital discharge"


@dataclass(frozen=True)
class Attended:
    opportunity_id: str
    session_id: str
    person: dict[str, str]  # sam's headers for the services

    @property
    def claim_path(self) -> str:
        return (f"/my/expenses/new?opportunity_id={self.opportunity_id}"
                f"&session_id={self.session_id}")


def _ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


async def attended(region: FeedbackRegion, scene: Scene) -> Attended:
    """The trust publishes a paid online workshop, invites sam, sam says yes, and the trust
    records the session sam took part in (2 hours, ended an hour ago)."""
    staff, http = scene.trust.headers, region.http
    body = opportunity(title=TITLE, online=True, postcode_district=None, methods=["online"],
                       topics=["carers"], accessibility_provided=[])
    oid = str(_ok(await http.post("/v1/opportunities", json=body, headers=staff), 201)[
        "opportunity_id"])
    await region.pool_has(scene.participant_id)
    [invitation] = _ok(await http.post(f"/v1/opportunities/{oid}/invitations", headers=staff,
                                       json={"participant_ids": [scene.participant_id]}), 201)
    person = await region.registry.sign_in(scene.participant_id, EMAIL)
    _ok(await http.post(f"/v1/invitations/{invitation['invitation_id']}/accept",
                        headers=person))
    starts = datetime.now(UTC) - timedelta(hours=3)
    held = _ok(await http.post(f"/v1/opportunities/{oid}/sessions", headers=staff, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "attendance": [{"participant_id": scene.participant_id, "hours": 2}]}), 201)
    return Attended(oid, str(held["session_id"]), person)


async def sam_signs_in(browser: Browser, scene: Scene) -> None:
    await browser.get("/sign-in")
    await browser.submit("/sign-in", {"email": EMAIL})
    await browser.submit("/sign-in/code", {"code": scene.code()})
    assert "Your involvement" in browser.text()


def today() -> str:
    return f"{date.today().day} {date.today():%B %Y}"


@pytest.fixture
async def region(tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PeopleRegion]:
    """The four services, notifications included, with its SMTP server on loopback."""
    async with running_region(tmp_path, monkeypatch) as region:
        yield region


@pytest.fixture
async def portal_app(region: PeopleRegion, tmp_path: Path) -> AsyncIterator[Any]:
    """The portal over all four services (overrides the conftest's, whose notifications
    service does not answer)."""
    backend = Backend({"registry": region.registry.http, "opportunities": region.http,
                       "feedback": region.feedback, "notifications": region.notifications})
    app = create_app(portal_settings(tmp_path), backend)
    async with app.router.lifespan_context(app):
        yield app
