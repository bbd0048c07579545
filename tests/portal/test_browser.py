"""The portal in a real browser (Debian's Chromium through Playwright), over the real
services: a participant's journey (to the end: sharing a story, pausing, leaving) and two
staff journeys, every form sent with JavaScript turned off; then every page seen is checked
with axe-core (no serious or critical violations) and photographed with JavaScript on, into
tests/portal/artifacts/."""

from datetime import date, timedelta
from typing import Any

from tests.portal.browser_support import (
    ARTIFACTS,
    Person,
    Visits,
    audit,
    audit_and_photograph,
    axe_source,
    participant_builds_a_profile,
    participant_signs_in,
    person_in,
    staff_signs_in,
)
from tests.portal.scene import build_scene
from tests.services.feedback.conftest import FeedbackRegion

CHANGE = "A named contact after leaving hospital"
CONSULTATION = "Leaving hospital with diabetes"


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
    assert await them.page.locator("svg[role=img]").count() == 4  # over time, stage, reach, spread


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
    await trust.open("/staff/changes/new", "staff-new-change")
    await staff_signs_in(healthwatch, scene.healthwatch)
    consultation_id = await healthwatch_consults(healthwatch)
    await participant_answers(me, consultation_id)
    await healthwatch_closes_the_loop(healthwatch, consultation_id)
    await participant_sees_the_change(me)

    await participant_shares_a_story_and_pauses(me)

    failures = await audit_an_error_page(chromium, base_url, axe)
    for who, person in (("sam", me), ("trust", trust), ("healthwatch", healthwatch)):
        failures |= await audit_and_photograph(chromium, person, visits[who], axe, who)
    assert not failures, failures

    await someone_signs_out(trust)
    await participant_leaves(me)


async def participant_shares_a_story_and_pauses(me: Person) -> None:
    await me.open("/my/stories/new", "story")
    await me.page.get_by_label("Give your story a title").fill("The night nurse who listened")
    await me.page.get_by_label("Which service is it about?").fill("Hospital wards")
    await me.page.get_by_label("What happened?").fill("She sat with my dad until he slept.")
    await me.send("Share my story")
    await me.reads("Thank you for sharing your story")
    await me.open("/my/step-back", "step-back")
    await me.send("Pause")
    await me.reads("This changes nothing about your care")
    await me.send("Come back")
    await me.reads("Welcome back")


async def someone_signs_out(them: Person) -> None:
    await them.send("Sign out")
    await them.reads("You have signed out")
    answer = await them.page.goto(them.base + "/staff")
    assert answer is not None and them.page.url.endswith("/staff/sign-in")


async def participant_leaves(me: Person) -> None:
    await me.open("/my/step-back", "step-back")
    await me.send("Leave Chorus")
    await me.reads("You have left Chorus")
    await me.reads("This changes nothing about your care")
    await me.page.goto(me.base + "/my")
    assert me.page.url.endswith("/sign-in"), "leaving also signs them out"


async def audit_an_error_page(chromium: Any, base: str, axe: str) -> dict[str, Any]:
    """A form sent with a mistake: the error summary takes the focus, links to the field,
    and the page passes axe-core too; so does the page for an address that does not exist."""
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
        answer = await page.goto(base + "/no-such-page")
        assert answer is not None and answer.status == 404
        await page.screenshot(path=str(ARTIFACTS / "not-found.png"), full_page=True)
        found += await audit(page, axe)
    finally:
        await context.close()
    return {"/sign-in with a mistake, and a page not found": found} if found else {}


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
