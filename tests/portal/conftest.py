"""The portal over the real registry, opportunities and feedback services, in process on
the embedded bus (the feedback suite's region, reused), and a helper that drives the portal
as a browser with JavaScript off would: follow links, send forms with their token."""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from portal.backend import Backend
from portal.bootstrap import create_app
from portal.settings import PortalSettings, load
from tests.portal.browser_support import chromium_path, served
from tests.services.feedback import conftest as feedback_suite
from tests.services.feedback.conftest import FeedbackRegion

region = feedback_suite.region  # the feedback suite's region: registry, opportunities, feedback

SECRET = "portal-tests-session-secret-0123456789abcdef"
FORM = "application/x-www-form-urlencoded"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def portal_settings(tmp_path: Path) -> PortalSettings:
    return load(data_dir=tmp_path, portal_session_secret=SECRET)


def backend_for(region: FeedbackRegion) -> Backend:
    away = httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=1)
    return Backend({"registry": region.registry.http, "opportunities": region.http,
                    "feedback": region.feedback, "notifications": away})


class Browser:
    """A person using the portal with JavaScript off: each form is sent as the page gave
    it, with the anti-forgery token of the page it came from."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.page = ""

    async def get(self, path: str, status: int = 200) -> str:
        answer = await self.http.get(path, follow_redirects=True)
        assert answer.status_code == status, f"GET {path}: {answer.status_code}\n{answer.text}"
        self.page = answer.text
        return self.page

    async def until(self, path: str, words: str, within: float = 20.0) -> None:
        """Look at the page again until it says `words` (what another service has to hear
        first takes a moment on the bus)."""
        deadline = time.monotonic() + within
        while words not in self.text():
            assert time.monotonic() < deadline, f"{path} never said {words!r}:\n{self.text()}"
            await asyncio.sleep(0.1)
            await self.get(path)

    async def submit(self, path: str, data: dict[str, Any] | list[tuple[str, str]],
                     status: int = 200) -> str:
        """Send a form from the current page (its token added) and follow the redirect."""
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        flat = [(k, v) for k, value in fields
                for v in (value if isinstance(value, list) else [value])]
        answer = await self.post(path, [("csrf_token", self.csrf()), *flat])
        assert answer.status_code == status, \
            f"POST {path}: {answer.status_code}\n{answer.text}"
        self.page = answer.text
        return self.page

    async def post(self, path: str, fields: list[tuple[str, str]]) -> httpx.Response:
        """A form as a browser sends it (application/x-www-form-urlencoded)."""
        return await self.http.post(path, content=urlencode(fields), follow_redirects=True,
                                    headers={"content-type": FORM})

    def csrf(self) -> str:
        found = CSRF.search(self.page)
        assert found, "no form token on the page"
        return found.group(1)

    def text(self) -> str:
        """The page's words, without tags, for asserting what a person reads."""
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", self.page)).split())


@pytest.fixture
async def portal_app(region: FeedbackRegion, tmp_path: Path) -> AsyncIterator[Any]:
    app = create_app(portal_settings(tmp_path), backend_for(region))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def browser(portal_app: Any) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal_app),
                                 base_url="http://portal") as http:
        yield Browser(http)


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    path = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def base_url(portal_app: Any) -> AsyncIterator[str]:
    async with served(portal_app) as url:
        yield url
