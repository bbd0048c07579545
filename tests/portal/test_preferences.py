"""A participant's notification preferences in the portal, over the real notifications
service: how often and when we tell them things, what we have told them; and, in a real
browser with JavaScript off, every page of their money and notifications: a mileage claim
worked out with the calculator and sent, then listed, and their preferences changed."""

import re
from collections.abc import Awaitable, Callable
from typing import Any

from tests.portal.browser_support import (
    Person,
    Visits,
    audit_and_photograph,
    axe_source,
    participant_signs_in,
    person_in,
)
from tests.portal.conftest import Browser
from tests.portal.participant_support import (
    TITLE,
    attended,
    portal_app,
    region,
    sam_signs_in,
)
from tests.portal.scene import build_scene
from tests.services.notifications.people_support import PeopleRegion

__all__ = ["portal_app", "region"]  # the fixtures: all four services, and the portal over them


async def _preferences(region: PeopleRegion, participant_id: str,
                       person: dict[str, str]) -> dict[str, Any]:
    answer = await region.notifications.get(
        f"/v1/participants/{participant_id}/notification-preferences", headers=person)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_preferences_are_explained_changed_and_what_we_told_them_is_listed(
        browser: Browser, region: PeopleRegion) -> None:
    scene = await build_scene(region)
    session = await attended(region, scene)  # the trust's invitation is a notice
    await sam_signs_in(browser, scene)
    await browser.until("/my/notifications", TITLE)
    text = browser.text()
    assert "By email" in text and "Text messages and letters are not offered yet" in text
    assert 'name="frequency" type="radio" value="immediate" checked' in browser.page
    assert "What we have told you" in text
    assert not re.search(r'value="(sms|letter)"', browser.page)

    await browser.submit("/my/notifications", {"frequency": "daily", "quiet_from": "21:30",
                                               "quiet_to": "7:00"})
    assert "Your choices about how we tell you things have been saved" in browser.text()
    assert 'value="daily" checked' in browser.page
    assert 'value="21:30"' in browser.page and 'value="07:00"' in browser.page
    chosen = await _preferences(region, scene.participant_id, session.person)
    assert (chosen["channel"], chosen["frequency"], chosen["quiet_hours"]) == (
        "email", "daily", {"start": "21:30:00", "end": "07:00:00"})

    await browser.submit("/my/notifications", {"frequency": "weekly", "quiet_from": "",
                                               "quiet_to": ""})
    chosen = await _preferences(region, scene.participant_id, session.person)
    assert (chosen["frequency"], chosen["quiet_hours"]) == ("weekly", None)


async def test_quiet_hours_need_both_times_and_a_forged_form_is_refused(
        browser: Browser, region: PeopleRegion) -> None:
    scene = await build_scene(region)
    await sam_signs_in(browser, scene)
    await browser.get("/my/notifications")
    cases = [({"frequency": "daily", "quiet_from": "21:30"}, "quiet_to",
              "Enter when your quiet hours end, like 07:00"),
             ({"frequency": "daily", "quiet_from": "25:00", "quiet_to": "07:00"}, "quiet_from",
              "Enter a time on the 24-hour clock, like 21:30"),
             ({"frequency": "daily", "quiet_from": "07:00", "quiet_to": "7.00"}, "quiet_to",
              "must end at a different time"),
             ({"frequency": "hourly"}, "frequency", "Choose how often we tell you things")]
    for form, field, words in cases:
        await browser.submit("/my/notifications", form, status=400)
        assert f'href="#{field}"' in browser.page and words in browser.text()
        assert browser.page.count("<title>Error: ") == 1
    assert 'value="25:00"' not in browser.page  # the last form, as typed
    for token in ([], [("csrf_token", "forged")]):
        answer = await browser.post("/my/notifications", [*token, ("frequency", "weekly")])
        assert answer.status_code == 403 and "Your form could not be sent" in answer.text
    person = await region.registry.sign_in(scene.participant_id, "sam@example.org")
    chosen = await _preferences(region, scene.participant_id, person)
    assert (chosen["frequency"], chosen["updated_at"]) == ("immediate", None)


async def the_calculator_answers_as_they_type(chromium: Any, me: Person, claim: str) -> None:
    """With JavaScript on, htmx fetches the quote as the miles are typed (no button)."""
    context = await chromium.new_context(storage_state=await me.page.context.storage_state())
    try:
        page = await context.new_page()
        await page.goto(me.base + claim)
        await page.get_by_label("How many miles did you drive, one way?").fill("20")
        await page.locator("#mileage-quote", has_text="20 miles at 45p a mile: £9.00").wait_for()
        await page.get_by_label("I drove there and back (a return journey)").check()
        await page.locator("#mileage-quote", has_text="40 miles at 45p a mile: £18.00").wait_for()
    finally:
        await context.close()


async def test_a_participant_claims_mileage_and_chooses_round_ups_in_a_real_browser(
        chromium: Any, base_url: str, region: PeopleRegion) -> None:
    scene = await build_scene(region)
    await attended(region, scene)
    visits = Visits()
    me = await person_in(chromium, base_url, visits)
    await participant_signs_in(me, scene)
    visits.pages.clear()  # the sign-in pages are the main journey's to check

    def listed(words: str) -> Callable[[], Awaitable[bool]]:
        async def look() -> bool:
            return words in await me.page.inner_text("main")
        return look

    await me.until("/my/expenses", listed(TITLE), "the session reaches the record")
    visits.saw("/my/expenses", "expenses")
    await me.page.get_by_role("link", name=re.compile("^Claim expenses")).first.click()
    claim = me.page.url.removeprefix(me.base)
    visits.saw(claim, "expense-claim")
    await me.page.get_by_label("Mileage", exact=True).check()
    await me.page.get_by_label("How many miles did you drive, one way?").fill("17")
    await me.page.get_by_label("I drove there and back (a return journey)").check()
    await me.send("Work out my mileage")
    await me.reads("34 miles at 45p a mile: £15.30")
    await me.send("Send my claim")
    await me.reads("Your claim for 34 miles (£15.30) has been sent")
    await me.until("/my/expenses", listed("Waiting for the organisation to check it"),
                   "the claim is listed")
    await the_calculator_answers_as_they_type(chromium, me, claim)

    await me.open("/my/notifications", "notifications")
    await me.page.get_by_label("A daily round-up").check()
    await me.page.get_by_label("From").fill("21:30")
    await me.page.get_by_label("To", exact=True).fill("07:00")
    await me.send("Save my choices")
    await me.reads("Your choices about how we tell you things have been saved")
    assert await me.page.get_by_label("A daily round-up").is_checked()

    failures = await audit_and_photograph(chromium, me, visits, axe_source(), "participant")
    assert not failures, failures
