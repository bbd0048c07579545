"""The portal in a real browser (Debian's Chromium through Playwright), over the real
services: a participant's journey and two staff journeys, every form sent with JavaScript
turned off; then every page seen is checked with axe-core (no serious or critical
violations) and photographed with JavaScript on, into tests/portal/artifacts/."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.portal.browser_support import (
    ARTIFACTS,
    Visits,
    audit,
    axe_source,
    chromium_path,
    served,
)
from tests.portal.scene import EMAIL, Organisation, Scene, build_scene
from tests.services.feedback.conftest import FeedbackRegion

WAIT = 30.0
CHANGE = "A named contact after leaving hospital"
CONSULTATION = "Leaving hospital with diabetes"


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


async def trust_publishes_and_invites(them: Person, region: FeedbackRegion,
                                      participant_id: str) -> str:
    await them.open("/staff/opportunities/new", "staff-new-opportunity")
    page = them.page
    await page.get_by_label("Title").fill("Redesign the diabetes discharge letter")
    await page.get_by_label("What will people do?").fill("Work with our discharge team.")
    await page.get_by_label("Co-design workshop").check()
    await page.locator("#stage-2").check()  # design
    await page.locator("input[name=topics][value=diabetes]").check()
    for method in ("in_person", "speaking"):
        await page.locator(f"input[name=methods][value={method}]").check()
    await page.get_by_label("Venue postcode district").fill("LS1")
    await page.get_by_label("Number of places").fill("2")
    await page.locator("input[name=commitment][value=one_off]").check()
    await page.locator("input[name=remuneration][value=expenses_only]").check()
    await page.locator("input[name=support_offered][value=briefing]").check()
    await page.get_by_label("Closing date").fill((date.today() + timedelta(days=30)).isoformat())
    await them.send("Publish")
    path = page.url.removeprefix(them.base)
    them.visits.saw(path, "staff-matches")
    await region.pool_has(participant_id)

    async def matched() -> bool:
        return bool(await page.locator("input[name=participant_ids]").count() > 0)

    await them.until(path, matched, "the participant appears among the matches")
    await them.reads("lived experience of 1 of 1 topic")  # each score has its reasons
    await page.locator("input[name=participant_ids]").first.check()
    await them.send("Invite the people ticked")
    await them.reads("1 person has been invited")
    return str(path)


async def participant_accepts(me: Person) -> None:
    async def invited() -> bool:
        return "Waiting for your answer" in await me.page.inner_text("main")

    await me.until("/my/opportunities", invited, "the invitation reaches the participant")
    me.visits.saw("/my/opportunities", "opportunities")
    await me.page.get_by_role("link", name="Redesign the diabetes discharge letter").click()
    me.visits.saw(me.page.url.removeprefix(me.base), "opportunity")
    await me.reads("Your expenses are paid")
    await me.send("Yes, I would like to take part")
    await me.reads("You have a place")


async def healthwatch_consults(them: Person) -> str:
    await them.open("/staff/consultations/new", "staff-new-consultation")
    page = them.page
    await page.get_by_label("Title").fill(CONSULTATION)
    await page.get_by_label("What is it for?").fill("What would make going home easier?")
    await page.locator("#stage-2").check()  # design
    await page.get_by_label("People in the partnership's pool").check()
    await page.get_by_label("Closing date").fill((date.today() + timedelta(days=28)).isoformat())
    await page.get_by_label("Question 1", exact=True).fill("Was your discharge letter clear?")
    await page.locator("input[name=q1_kind][value=single_choice]").check()
    await page.get_by_label("Answers to choose from, for question 1").fill("Yes\nPartly\nNo")
    await page.get_by_label("People must answer question 1").check()
    await page.get_by_label("Question 2", exact=True).fill("What would have helped?")
    await page.locator("input[name=q2_kind][value=free_text]").check()
    await them.send("Open the consultation")
    await them.reads("Your consultation is open")
    return str(page.url).rsplit("/", 1)[-1]


async def participant_answers(me: Person, consultation_id: str) -> None:
    await me.open("/my/consultations", "consultations")
    await me.page.get_by_role("link", name=CONSULTATION).click()
    me.visits.saw(f"/consultations/{consultation_id}", "consultation")
    page = me.page
    await page.get_by_label("Partly").check()
    await page.get_by_label("What would have helped? (optional)").fill(
        "A number to ring at home.")
    await me.send("Send my answers")
    await me.reads("Your answers have been sent")


async def healthwatch_closes_the_loop(them: Person, consultation_id: str) -> None:
    path = f"/staff/consultations/{consultation_id}"

    async def answered() -> bool:
        return "1 response" in await them.page.inner_text("main")

    await them.until(path, answered, "the response reaches the consultation's page")
    them.visits.saw(path, "staff-consultation")
    await them.send("Close the consultation now")
    await them.page.get_by_label("You said").fill("Nobody told you whom to call at home.")
    await them.page.get_by_label("We did").fill("Everyone now gets a named contact.")
    await them.send("Publish the outcome")
    await them.page.get_by_label("What is the change called?").fill(CHANGE)
    await them.page.get_by_label("What changed?").fill("A named contact for everyone.")
    await them.page.get_by_label("Which service changed?").fill("Discharge")
    await them.page.get_by_label("Who is responsible for it?").fill("Discharge Lead")
    await them.page.locator("input[name=feedback_ids]").first.check()
    await them.send("Record the change")
    await them.reads("1 person whose feedback led to it will be told")
    await them.open("/staff/metrics", "staff-metrics")
    assert await them.page.locator("svg[role=img]").count() == 2


async def participant_sees_the_change(me: Person) -> None:
    async def told() -> bool:
        return CHANGE in await me.page.inner_text("main")

    await me.until("/my/changes", told, "the change reaches 'what my input led to'")
    me.visits.saw("/my/changes", "my-changes")
    await me.open("/you-said-we-did", "you-said-we-did")
    await me.reads(CHANGE)
    await me.open("/learning", "learning")


async def test_a_participant_and_staff_close_the_loop_in_a_real_browser(
        chromium: Any, base_url: str, region: FeedbackRegion) -> None:
    axe = axe_source()
    scene = await build_scene(region)
    visits: dict[str, Visits] = {who: Visits() for who in ("sam", "trust", "healthwatch")}
    me = await person_in(chromium, base_url, visits["sam"])
    trust = await person_in(chromium, base_url, visits["trust"])
    healthwatch = await person_in(chromium, base_url, visits["healthwatch"])

    await participant_signs_in(me, scene)
    await participant_builds_a_profile(me)
    await staff_signs_in(trust, scene.trust)
    await trust_publishes_and_invites(trust, region, scene.participant_id)
    await participant_accepts(me)
    await staff_signs_in(healthwatch, scene.healthwatch)
    consultation_id = await healthwatch_consults(healthwatch)
    await participant_answers(me, consultation_id)
    await healthwatch_closes_the_loop(healthwatch, consultation_id)
    await participant_sees_the_change(me)

    failures = await audit_an_error_page(chromium, base_url, axe)
    for who, person in (("sam", me), ("trust", trust), ("healthwatch", healthwatch)):
        failures |= await audit_and_photograph(chromium, person, visits[who], axe, who)
    assert not failures, failures


async def audit_an_error_page(chromium: Any, base: str, axe: str) -> dict[str, Any]:
    """A form sent with a mistake: the error summary takes the focus, links to the field,
    and the page passes axe-core too."""
    context = await chromium.new_context()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page = await context.new_page()
        await page.goto(base + "/sign-in")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Send me a code").click()
        assert (await page.title()).startswith("Error: Sign in")
        focused = await page.evaluate("document.activeElement.className")
        assert "nhsuk-error-summary" in focused, focused
        await page.get_by_role("link", name="Enter your email address").click()
        assert await page.evaluate("document.activeElement.id") == "email"
        await page.screenshot(path=str(ARTIFACTS / "sign-in-error.png"), full_page=True)
        found = await audit(page, axe)
    finally:
        await context.close()
    return {"/sign-in with a mistake": found} if found else {}


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


async def test_axe_finds_what_a_broken_page_gets_wrong(chromium: Any) -> None:
    """The check is real: a page with an unlabelled field and an image with no text fails."""
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        await page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
        found = {v["id"] for v in await audit(page, axe_source())}
    finally:
        await context.close()
    assert {"image-alt", "label"} <= found
