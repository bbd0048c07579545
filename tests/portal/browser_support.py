"""What the browser tests need: the portal served on a loopback port, Debian's Chromium
driven by Playwright (launched by its path, never downloaded), axe-core from the npm
registry, and a record of every page visited for the accessibility checks and screenshots."""

import asyncio
import shutil
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from portal.settings import ASSETS
from tests.portal.scene import EMAIL, Organisation, Scene
from tests.tools import missing_tool

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = ASSETS / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
WAIT = 30.0
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def missing(what: str, hint: str) -> None:
    missing_tool(f"{what} is missing: {hint}")


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        missing("Chromium", "run scripts/install-browser.sh")
    assert found is not None
    return found


def axe_source() -> str:
    if not AXE.is_file():
        missing("axe-core", "run scripts/install-portal-assets.sh")
    return AXE.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app on a free loopback port, in this event loop (beside the services it calls)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the portal did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@dataclass
class Visits:
    """Every page a journey saw (path and a name for its screenshot), to check afterwards."""

    pages: list[tuple[str, str]] = field(default_factory=list)

    def saw(self, path: str, name: str) -> None:
        if all(seen != path for seen, _ in self.pages):
            self.pages.append((path, name))


async def audit(page: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.evaluate(axe + "\n;true")
    result = await page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))", AXE_TAGS)
    return [v for v in result if v["impact"] in SERIOUS]


class Person:
    """One person at their own browser, with JavaScript off."""

    def __init__(self, page: Any, base: str, visits: Visits) -> None:
        self.page = page
        self.base = base
        self.visits = visits

    async def open(self, path: str, name: str) -> None:
        answer = await self.page.goto(self.base + path)
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        self.visits.saw(path, name)

    async def send(self, button: str, status_path: str | None = None, name: str = "") -> None:
        """Press a form's button and land on a page that worked."""
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name=button).click()
        if name:
            self.visits.saw(self.page.url.removeprefix(self.base), name)
        assert "There is a problem" not in await self.page.content()

    async def reads(self, words: str) -> None:
        assert words in await self.page.inner_text("main"), await self.page.inner_text("main")

    async def until(self, path: str, look: Callable[[], Awaitable[bool]], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while True:
            await self.page.goto(self.base + path)
            if await look():
                return
            assert time.monotonic() < deadline, f"{what}: not within {WAIT:.0f} s"
            await asyncio.sleep(0.3)


async def person_in(chromium: Any, base: str, visits: Visits) -> Person:
    context = await chromium.new_context(java_script_enabled=False)
    return Person(await context.new_page(), base, visits)


async def participant_signs_in(me: Person, scene: Scene) -> None:
    await me.open("/", "start")
    await me.page.get_by_role("link", name="Sign in to take part").click()
    await me.page.get_by_label("What is your email address?").fill(EMAIL)
    await me.send("Send me a code", name="sign-in-code")
    await me.page.get_by_label("Code").fill(scene.code())
    await me.send("Sign in", name="my")
    await me.reads("Your involvement")


async def participant_builds_a_profile(me: Person) -> None:
    await me.open("/my/profile", "profile")
    for method in ("In person", "Speaking"):
        await me.page.get_by_label(method, exact=True).check()
    await me.page.get_by_label("Designing services with staff (co-design)").check()
    await me.page.get_by_label("Diabetes", exact=True).check()
    await me.page.get_by_label("Now and then").check()
    await me.page.get_by_label("The first part of your postcode").fill("LS6")
    await me.page.get_by_label("How far can you travel, in kilometres?").fill("15")
    await me.send("Save")
    await me.reads("Your involvement profile has been saved")
    await me.open("/my/sharing", "sharing")
    await me.page.get_by_label("Any organisation in the partnership").check()
    await me.send("Save")
    await me.open("/my/step-back", "step-back")


async def staff_signs_in(them: Person, organisation: Organisation) -> None:
    await them.open("/staff/sign-in", "staff-sign-in")
    await them.page.get_by_label("Sign in with your organisation's key").fill(
        organisation.api_key)
    await them.send("Sign in", name="staff-home")


async def audit_and_photograph(chromium: Any, person: Person, visits: Visits, axe: str,
                               who: str) -> dict[str, Any]:
    """Every page this person saw, again with JavaScript on and their session: axe-core's
    serious and critical violations, and a screenshot."""
    state = await person.page.context.storage_state()
    context = await chromium.new_context(storage_state=state)
    page = await context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    failures: dict[str, Any] = {}
    try:
        for path, name in visits.pages:
            await page.goto(person.base + path)
            assert await page.evaluate("document.body.classList.contains('js-enabled')"), \
                "the NHS.UK frontend's script did not run under the content security policy"
            if found := await audit(page, axe):
                failures[f"{who} {path}"] = found
            await page.screenshot(path=str(ARTIFACTS / f"{who}-{name}.png"), full_page=True)
    finally:
        await context.close()
    return failures
