"""Staff pages after a session, as a browser with JavaScript off uses them: record a session,
pay for people's time, approve, reject and pay expenses, publish learning, read a closed
consultation's summary and the metrics' four charts; every form also sent wrong once, to see
the mistake explained. Then one walk through every page in Debian's Chromium, with axe-core
and screenshots."""

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.portal.browser_support import (
    Visits,
    audit_and_photograph,
    axe_source,
    person_in,
    staff_signs_in,
)
from tests.portal.conftest import Browser
from tests.portal.scene import EMAIL, Scene, build_scene
from tests.services.feedback.conftest import FeedbackRegion

pytestmark = pytest.mark.timeout(120)

Headers = dict[str, str]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def seated(region: FeedbackRegion, scene: Scene) -> tuple[str, Headers]:
    """A paid online workshop of the trust that Sam has a place in; Sam's own token."""
    staff = scene.trust.headers
    ok(await region.http.put(f"/v1/organisations/{scene.trust.organisation_id}/rate-card",
                             json={"hourly_pence": 2500, "half_day_pence": 7500,
                                   "full_day_pence": 15000}, headers=staff))
    oid = ok(await region.http.post("/v1/opportunities", headers=staff, json={
        "title": "Carers' workshop", "description": "Shape our carers' support.",
        "kind": "co_design_workshop", "stage": "design", "topics": ["carers"],
        "methods": ["online"], "online": True, "commitment": "one_off",
        "time_commitment": "One morning", "seats": 2, "remuneration": "paid",
        "payment_basis": "sessional",
        "closing_date": (date.today() + timedelta(days=30)).isoformat()}), 201)["opportunity_id"]
    await region.pool_has(scene.participant_id)
    sam = await region.registry.sign_in(scene.participant_id, EMAIL)
    invited = ok(await region.http.post(f"/v1/opportunities/{oid}/invitations", headers=staff,
                                        json={"participant_ids": [scene.participant_id]}), 201)
    accepted = ok(await region.http.post(
        f"/v1/invitations/{invited[0]['invitation_id']}/accept", headers=sam))
    assert accepted["status"] == "assigned"
    return str(oid), sam


async def staff_signed_in(browser: Browser, scene: Scene) -> None:
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": scene.trust.api_key})


def yesterday() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


async def test_staff_record_a_session_and_pay_for_people_s_time(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    oid, _ = await seated(region, scene)
    await staff_signed_in(browser, scene)
    await browser.get(f"/staff/opportunities/{oid}")
    assert f'href="/staff/opportunities/{oid}/sessions/new"' in browser.page
    await browser.get(f"/staff/opportunities/{oid}/sessions/new")
    assert "Person 1 attended" in browser.text()
    await browser.submit(f"/staff/opportunities/{oid}/sessions/new", {
        "day": yesterday(), "starts": "13:00", "ends": "10:00", "attended-1": "yes",
        "hours-1": "2.1"}, status=400)
    assert "There is a problem" in browser.text()
    assert "The end time must be after the start time" in browser.text()
    assert "Enter the hours Person 1 took part in quarter hours" in browser.text()
    assert 'href="#hours-1"' in browser.page and 'value="2.1"' in browser.page  # kept
    await browser.submit(f"/staff/opportunities/{oid}/sessions/new", {
        "day": yesterday(), "starts": "10:00", "ends": "13:00", "attended-1": "yes",
        "hours-1": ""})
    assert "The session is recorded: 1 person attended." in browser.text()
    assert "Person 1 3 hours" in browser.text()

    await browser.submit(f"/staff/opportunities/{oid}/payments", pay_form(browser.page, "£1.234"),
                         status=400)
    assert "Enter the smaller amount they asked for in pounds" in browser.text()
    await browser.submit(f"/staff/opportunities/{oid}/payments", pay_form(browser.page, ""))
    assert "Person 1 will be paid £75.00 for their time (a half day)." in browser.text()
    assert "Pay for their time" not in browser.text() and "Done" in browser.text()


async def test_paying_someone_who_asked_for_less_pays_what_they_asked(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    oid, sam = await seated(region, scene)
    ok(await region.registry.http.patch(
        f"/v1/participants/{scene.participant_id}/profile", headers=sam, json={
            "roles": ["carer"], "methods": ["online"], "topics": ["carers"],
            "payment_preference": "reduce", "payment_reduced_to_pence": 2000}))
    for _ in range(200):
        member = await region.state.matcher.pool.member(UUID(scene.participant_id))
        if member is not None and member.payment_preference == "reduce":
            break
        await asyncio.sleep(0.05)
    await staff_signed_in(browser, scene)
    await browser.get(f"/staff/opportunities/{oid}/sessions/new")
    await browser.submit(f"/staff/opportunities/{oid}/sessions/new", {
        "day": yesterday(), "starts": "10:00", "ends": "13:00", "attended-1": "yes"})
    await browser.submit(f"/staff/opportunities/{oid}/payments", pay_form(browser.page, ""),
                         status=400)
    assert "Person 1 asked to be paid less: enter the amount they asked for" in browser.text()
    await browser.submit(f"/staff/opportunities/{oid}/payments", pay_form(browser.page, "20"))
    assert "Person 1 asked to be paid less than the £75.00 due: £20.00 will be paid." \
        in browser.text()


def pay_form(page: str, reduced_to: str) -> dict[str, str]:
    found = re.search(r'name="session_id" value="([^"]+)">\s*<input type="hidden" '
                      r'name="participant_id" value="([^"]+)"', page)
    assert found, page
    return {"session_id": found.group(1), "participant_id": found.group(2),
            "reduced_to": reduced_to}


async def claims_made(region: FeedbackRegion, scene: Scene, oid: str, sam: Headers,
                      *amounts: int) -> None:
    """Sam holds a session's place and claims these amounts for parking."""
    starts = datetime.now(UTC) - timedelta(hours=5)
    held = ok(await region.http.post(f"/v1/opportunities/{oid}/sessions",
                                     headers=scene.trust.headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "attendance": [{"participant_id": scene.participant_id, "hours": 2}]}), 201)
    for pence in amounts:
        ok(await region.http.post("/v1/expenses", headers=sam, json={
            "participant_id": scene.participant_id, "opportunity_id": oid,
            "session_id": held["session_id"], "kind": "parking", "amount_pence": pence}), 201)


def action(page: str, verb: str) -> str:
    found = re.search(rf'(/staff/expenses/[0-9a-f-]+/{verb})"', page)
    assert found, f"no {verb} on the page"
    return found.group(1)


async def test_staff_approve_pay_and_reject_expenses(browser: Browser,
                                                     region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    oid, sam = await seated(region, scene)
    await claims_made(region, scene, oid, sam, 450, 1200)
    await staff_signed_in(browser, scene)
    await browser.get("/staff/expenses")
    await browser.until("/staff/expenses", "£12.00")
    assert "To approve Claimed For Opportunity Amount" in browser.text()
    assert "Parking" in browser.text() and "Carers' workshop" in browser.text()

    await browser.submit(action(browser.page, "approve"), {})
    assert "The claim is approved" in browser.text()
    await browser.until("/staff/expenses", "To pay Claimed")  # it waits under "To pay"
    await browser.submit(action(browser.page, "pay"), {})
    assert "The claim is marked as paid" in browser.text()
    await browser.until("/staff/expenses", "Paid Claimed For")

    await browser.get(action(browser.page, "reject"))
    await browser.submit(action(browser.page, "reject"), {"reason": ""}, status=400)
    assert "Say why you are rejecting the claim" in browser.text()
    await browser.submit(action(browser.page, "reject"), {"reason": "Please send a receipt."})
    assert "The claim is rejected" in browser.text()
    await browser.until("/staff/expenses", "Rejected Claimed For")
    assert "To approve None." in browser.text()
    statuses = {e["amount_pence"]: e["status"] for e in ok(await region.http.get(
        "/v1/expenses", params={"organisation_id": scene.trust.organisation_id},
        headers=scene.trust.headers))}
    assert sorted(statuses.values()) == ["paid", "rejected"]


async def test_staff_publish_learning_to_the_public_library(browser: Browser,
                                                           region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    asked = await region.open(scene.trust.headers, title="Carers' breaks")
    await staff_signed_in(browser, scene)
    await browser.get("/staff")
    assert 'href="/staff/learning/new"' in browser.page
    await browser.get("/staff/learning/new")
    assert "Carers' breaks" in browser.text()
    await browser.submit("/staff/learning/new", {"title": "", "summary": "",
                                                 "tags": "ok, Not a tag!"}, status=400)
    for message in ("Enter a title", "Say what you learnt", "Give at most 20 tags"):
        assert message in browser.text()
    await browser.submit("/staff/learning/new", {
        "title": "Asking carers early", "summary": "Carers told us what breaks they need.",
        "tags": "carers, breaks", "consultation_ids": asked["consultation_id"]})
    assert "Your learning is published" in browser.text()
    await browser.until("/learning", "Asking carers early")
    shared = ok(await region.feedback.get("/v1/learning", params={"q": "carers"}))
    item = next(i for i in shared["items"] if i["title"] == "Asking carers early")
    assert item["tags"] == ["carers", "breaks"]
    assert item["consultation_ids"] == [asked["consultation_id"]]


async def test_staff_read_a_closed_consultation_s_summary(browser: Browser,
                                                         region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    cid = (await region.open(scene.trust.headers))["consultation_id"]
    await region.respond(cid, clear="Partly", rating=4, readers=["Me", "My GP"])
    await region.respond(cid, clear="Yes", rating=5, words="A phone number to call")
    await region.respond(cid, clear="Partly", rating=None)
    ok(await region.feedback.post(f"/v1/consultations/{cid}/close",
                                  headers=scene.trust.headers))
    await staff_signed_in(browser, scene)
    await browser.get(f"/staff/consultations/{cid}")
    text = browser.text()
    assert "3 responses: 3 anonymous." in text
    assert "Was your letter clear? 3 of 3 answered." in text
    assert "Yes 1 33% Partly 2 67% No 0 0%" in text
    assert "How was your discharge overall? 2 of 3 answered. Average rating: 4.5 out of 5." \
        in text
    assert "Who read it? 1 of 3 answered." in text and "My GP 1 100%" in text
    assert "What would have helped? 1 of 3 answered." in text
    assert "Themes staff tagged No responses have been tagged." in text


async def test_the_metrics_page_draws_four_charts_each_with_its_table(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    cid = (await region.open(scene.trust.headers))["consultation_id"]
    ok(await region.feedback.post(f"/v1/consultations/{cid}/close",
                                  headers=scene.trust.headers))
    await staff_signed_in(browser, scene)
    await browser.get("/staff/metrics")
    await browser.until("/staff/metrics", "Loop closure by quarter Quarter")
    assert browser.page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 4
    assert "<script" not in browser.page.split("<main", 1)[1]
    text = browser.text()
    assert re.search(r"20\d\d/\d\d Q\d \(\w{3} to \w{3} 20\d\d\) 1 0 \(0.0%\) 0 \(0.0%\)", text)
    assert "Involvement by people from the most deprived areas Withheld: fewer than 5" in text
    assert "Nobody has been involved yet" in text
    for heading in ("Loop closure over time", "Stage of involvement", "Reach",
                    "Concentration"):
        assert f"<h2>{heading}</h2>" in browser.page


async def test_staff_pages_walked_in_a_real_browser_with_javascript_off(
        region: FeedbackRegion, chromium: Any, base_url: str) -> None:
    scene = await build_scene(region)
    oid, sam = await seated(region, scene)
    await claims_made(region, scene, oid, sam, 450, 1200)
    cid = (await region.open(scene.trust.headers))["consultation_id"]
    await region.respond(cid)
    ok(await region.feedback.post(f"/v1/consultations/{cid}/close",
                                  headers=scene.trust.headers))
    visits = Visits()
    them = await person_in(chromium, base_url, visits)
    await staff_signs_in(them, scene.trust)
    page = them.page

    await them.open(f"/staff/opportunities/{oid}", "staff-opportunity-sessions")
    await page.get_by_role("link", name="Record a session").click()
    visits.saw(page.url.removeprefix(base_url), "staff-new-session")
    await page.get_by_label("Day of the session").fill(yesterday())
    await page.get_by_label("Start time").fill("10:00")
    await page.get_by_label("End time").fill("12:30")
    await page.get_by_label("Person 1 attended").check()
    await page.get_by_label("Hours Person 1 took part").fill("2.5")
    await them.send("Record the session", name="staff-sessions")
    await them.reads("The session is recorded: 1 person attended.")
    on = (datetime.now(UTC) - timedelta(days=1)).date()
    async with page.expect_navigation():
        await page.get_by_role(
            "button", name=f"Person 1, session on {on.day} {on:%B %Y}, 10:00 to 12:30").click()
    await them.reads("Person 1 will be paid £75.00 for their time (a half day).")

    async def claims_listed() -> bool:
        return "£12.00" in await page.inner_text("main")

    await them.until("/staff/expenses", claims_listed, "the claims reach the expenses page")
    visits.saw("/staff/expenses", "staff-expenses")
    await them.send("Approve claim 1")
    await them.reads("The claim is approved")

    async def to_pay() -> bool:  # the expenses list is a read model: a moment behind
        return bool(await page.get_by_role("button", name="claim 1 to pay").count())

    await them.until("/staff/expenses", to_pay, "the approved claim is listed to pay")
    await them.send("claim 1 to pay")
    await them.reads("The claim is marked as paid")
    await page.get_by_role("link", name="Reject claim 1").click()
    visits.saw(page.url.removeprefix(base_url), "staff-reject-expense")
    await page.get_by_label("Why are you rejecting it?").fill("Please send a receipt.")
    await them.send("Reject the claim")
    await them.reads("The claim is rejected")

    await them.open(f"/staff/consultations/{cid}", "staff-consultation-summary")
    await them.reads("Average rating: 4.0 out of 5")
    await them.open("/staff/learning/new", "staff-new-learning")
    await page.get_by_label("Title").fill("What carers told us")
    await page.get_by_label("What did you learn?").fill("Ask carers before planning.")
    await page.get_by_label("Tags (optional)").fill("carers")
    await them.send("Publish the learning")
    await them.reads("Your learning is published")
    await them.open("/staff/metrics", "staff-metrics-charts")
    assert await page.locator("svg[role=img]").count() == 4

    failures = await audit_and_photograph(chromium, them, visits, axe_source(), "involvement")
    assert not failures, failures


def test_a_session_is_read_in_uk_time_and_blank_hours_mean_the_whole_session() -> None:
    from portal.forms import Form
    from portal.staff_forms import session_held

    form = Form({"day": ["2026-07-01"], "starts": ["10:00"], "ends": ["12.45"],
                 "attended-1": ["yes"], "attended-3": ["yes"], "hours-3": ["1.75"],
                 "hours-2": ["9"]})
    body, errors = session_held(form, {1: "p1", 2: "p2", 3: "p3"},
                                datetime(2026, 7, 2, tzinfo=UTC))
    assert errors == []
    assert (body["starts_at"], body["ends_at"]) == ("2026-07-01T09:00:00+00:00",
                                                    "2026-07-01T11:45:00+00:00")  # BST
    assert body["attendance"] == [{"participant_id": "p1", "hours": 2.75},
                                  {"participant_id": "p3", "hours": 1.75}]  # 2 did not come


def test_a_session_not_yet_ended_or_longer_hours_than_it_lasted_are_explained() -> None:
    from portal.forms import Form
    from portal.staff_forms import session_held

    form = Form({"day": ["2026-07-01"], "starts": ["10:00"], "ends": ["11:00"],
                 "attended-1": ["yes"], "hours-1": ["2"]})
    _, errors = session_held(form, {1: "p1"}, datetime(2026, 7, 1, 9, 30, tzinfo=UTC))
    assert [e.field for e in errors] == ["ends", "hours-1"]
    _, errors = session_held(Form({}), {}, datetime(2026, 7, 1, tzinfo=UTC))
    assert [e.field for e in errors] == ["day", "starts", "ends"]
