"""A portal session stays open while it is used and ends when it is not: the token is
renewed every few minutes through the registry, the session ends 15 minutes after the last
renewal or 8 hours after signing in, and it ends at once when the registry stops renewing
it (a person erased, a key revoked). Each ending says why on the sign-in page."""

import base64
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from itsdangerous import TimestampSigner

from portal import session as portal_session
from tests.portal.conftest import SECRET, Browser
from tests.portal.scene import EMAIL, Scene, build_scene
from tests.services.feedback.conftest import FeedbackRegion


class Clock:
    """The portal's clock, moved on by the test (the services keep the real one)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr("portal.session.time", moved)
    monkeypatch.setattr("portal.web.time", moved)
    return moved


def session_of(browser: Browser) -> dict[str, Any]:
    """What the signed session cookie holds (the tests know the portal's secret)."""
    cookie = browser.http.cookies["chorus_portal"]
    payload = TimestampSigner(SECRET).unsign(cookie.encode())
    found: dict[str, Any] = json.loads(base64.b64decode(payload))
    return found


def token_id(browser: Browser) -> str:
    return str(jwt.decode(session_of(browser)["token"], options={"verify_signature": False})
               ["jti"])


async def signed_in(browser: Browser, scene: Scene) -> None:
    await browser.get("/sign-in")
    await browser.submit("/sign-in", {"email": EMAIL})
    await browser.submit("/sign-in/code", {"code": scene.code()})
    assert "Your involvement" in browser.text()


async def test_a_session_in_use_is_renewed_and_keeps_working(
        browser: Browser, region: FeedbackRegion, clock: Clock) -> None:
    await signed_in(browser, await build_scene(region))
    first = token_id(browser)
    await browser.get("/my")
    assert token_id(browser) == first, "a fresh token is not renewed"
    clock.ahead = portal_session.RENEW_AFTER + 60
    await browser.get("/my")
    assert "Your involvement" in browser.text()
    assert token_id(browser) != first, "a token older than RENEW_AFTER is swapped"


async def test_a_session_left_alone_for_15_minutes_ends_and_says_why(
        browser: Browser, region: FeedbackRegion, clock: Clock) -> None:
    await signed_in(browser, await build_scene(region))
    clock.ahead = 16 * 60
    await browser.get("/my/profile")
    assert "nothing happened for 15 minutes" in browser.text()
    assert "What is your email address?" in browser.text()  # the sign-in page
    assert "token" not in session_of(browser)


async def test_a_session_ends_8_hours_after_signing_in_however_busy(
        browser: Browser, region: FeedbackRegion, clock: Clock) -> None:
    await signed_in(browser, await build_scene(region))
    clock.ahead = 8 * 3600 + 60
    await browser.get("/my")
    assert "8 hours after signing in" in browser.text()


async def test_a_session_ends_at_once_when_the_registry_will_not_renew_it(
        browser: Browser, region: FeedbackRegion, clock: Clock) -> None:
    scene = await build_scene(region)
    key_id = jwt.decode(scene.trust.headers["Authorization"].removeprefix("Bearer "),
                        options={"verify_signature": False})["sub"].removeprefix("api-key:")
    staff = Browser(browser.http)
    await staff.get("/staff/sign-in")
    await staff.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    revoked = await region.registry.http.delete(
        f"/v1/organisations/{scene.trust.organisation_id}/api-keys/{key_id}",
        headers=await region.registry.admin())
    assert revoked.status_code == 204, revoked.text
    clock.ahead = portal_session.RENEW_AFTER + 60
    await staff.get("/staff")
    assert "Your session has ended" in staff.text()
    assert "Sign in with your organisation's key" in staff.text()


async def test_the_services_calls_carry_the_pages_trace() -> None:
    """A page's span is the parent of the services' spans: each call carries `traceparent`."""
    from opentelemetry.sdk.trace import TracerProvider

    from portal.backend import Backend

    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent"))
        return httpx.Response(200, json={})

    backend = Backend({"feedback": httpx.AsyncClient(transport=httpx.MockTransport(answer),
                                                      base_url="http://feedback")})
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("page") as span:
        await backend.get("feedback", "/v1/changes")
    await backend.close()
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert seen[0] is not None and seen[0].split("-")[1] == trace_id
