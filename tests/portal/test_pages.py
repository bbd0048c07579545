"""The portal against the real services in process, as a browser with JavaScript off uses it:
every form sent with its token, every answer checked for what a person would read."""

import asyncio
from datetime import date, timedelta

from tests.portal.conftest import Browser
from tests.portal.scene import EMAIL, Scene, build_scene
from tests.services.feedback.conftest import CLEAR, RATING, FeedbackRegion


async def sign_in(browser: Browser, scene: Scene) -> None:
    await browser.get("/sign-in")
    await browser.submit("/sign-in", {"email": EMAIL})
    assert "Check your email" in browser.text()
    await browser.submit("/sign-in/code", {"code": scene.code()})
    assert "Your involvement" in browser.text()


async def test_the_start_page_names_the_demo_accounts_in_development(browser: Browser) -> None:
    await browser.get("/")
    text = browser.text()
    assert "Have your say in your local health and care services" in text
    assert "sam@example.org" in text and "Example Carers Centre" in text


async def test_every_page_carries_the_security_headers(browser: Browser) -> None:
    answer = await browser.http.get("/")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in answer.text  # no inline script anywhere: only src= files


async def test_the_session_cookie_is_signed_http_only_and_same_site(
        browser: Browser, region: FeedbackRegion) -> None:
    answer = await browser.http.get("/sign-in")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_a_form_without_its_token_is_refused(browser: Browser,
                                                   region: FeedbackRegion) -> None:
    await browser.get("/sign-in")
    for token in ([], [("csrf_token", "forged")]):
        answer = await browser.post("/sign-in", [*token, ("email", EMAIL)])
        assert answer.status_code == 403
        assert "Your form could not be sent" in answer.text
    assert not region.registry.codes, "a refused form did nothing"


async def test_a_participant_signs_in_with_a_code_and_a_wrong_code_is_explained(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await browser.get("/sign-in")
    await browser.submit("/sign-in", {"email": "not an address"}, status=400)
    assert "There is a problem" in browser.text() and 'href="#email"' in browser.page
    assert browser.page.count("<title>Error: ") == 1
    await browser.submit("/sign-in", {"email": EMAIL})
    await browser.submit("/sign-in/code", {"code": "000000" if scene.code() != "000000"
                                           else "111111"}, status=400)
    assert "That code is not right" in browser.text()
    await browser.submit("/sign-in/code", {"code": scene.code()})
    assert "Your involvement" in browser.text()


async def test_pages_for_participants_send_others_to_sign_in(browser: Browser) -> None:
    for path in ("/my", "/my/profile", "/my/opportunities", "/my/changes"):
        answer = await browser.http.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    answer = await browser.http.get("/staff")
    assert answer.headers["location"] == "/staff/sign-in"


async def test_a_participant_sets_up_their_profile_and_consent(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await sign_in(browser, scene)
    await browser.get("/my/profile")
    assert "How would you like to take part?" in browser.text()
    await browser.submit("/my/profile", {"postcode_district": "LS6"}, status=400)
    assert "Choose at least one way you would like to take part" in browser.text()
    await browser.submit("/my/profile", {
        "methods": ["in_person", "speaking"], "kinds_wanted": ["co_design", "survey"],
        "topics": ["diabetes", "carers"], "roles": ["carer"], "commitment": "occasional",
        "postcode_district": "ls6", "travel_radius_km": "15",
        "accessibility_needs": ["step_free_access"], "payment_preference": "accept"})
    assert "Your involvement profile has been saved" in browser.text()
    await browser.get("/my/sharing")
    await browser.submit("/my/sharing", {"scope": "organisations"}, status=400)
    assert "Choose at least one organisation" in browser.text()
    await browser.submit("/my/sharing", {"scope": "organisations",
                                         "organisation_ids": [scene.trust.organisation_id],
                                         "contact_channels": ["email"],
                                         "equality_monitoring": "no"})
    record = (await region.registry.http.get(
        f"/v1/participants/{scene.participant_id}", headers=scene.trust.headers)).json()
    assert record["profile"]["methods"] == ["in_person", "speaking"]
    assert record["profile"]["postcode_district"] == "LS6"
    assert record["consent"]["organisation_ids"] == [scene.trust.organisation_id]


async def test_pausing_reassures_and_can_be_undone(browser: Browser,
                                                  region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await sign_in(browser, scene)
    await browser.get("/my/step-back")
    assert "changes nothing about your care" in browser.text()
    await browser.submit("/my/pause", {})
    assert "You have paused" in browser.text()
    await browser.submit("/my/resume", {})
    assert "Welcome back" in browser.text()


async def test_the_public_sees_you_said_we_did_without_signing_in(browser: Browser) -> None:
    await browser.get("/you-said-we-did")
    assert "You said, we did" in browser.text()
    await browser.get("/learning?q=discharge")
    assert "Learning from across the region" in browser.text()


async def test_an_unknown_page_is_a_plain_not_found_page(browser: Browser) -> None:
    await browser.get("/no-such-page", status=404)
    assert "Page not found" in browser.text()


async def test_staff_sign_in_with_their_organisations_key_only(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": "chorus_nonsense"}, status=400)
    assert "That key is not right" in browser.text()
    await browser.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    assert "Example Valley NHS Foundation Trust" in browser.text()
    assert "Your opportunities" in browser.text()


async def test_staff_publishing_with_mistakes_see_each_one_and_keep_what_they_typed(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    await browser.get("/staff/opportunities/new")
    await browser.submit("/staff/opportunities/new", {"title": "Kept title", "seats": "0"},
                         status=400)
    text = browser.text()
    assert "There is a problem" in text and "Describe what people will do" in text
    assert "Enter the number of places, from 1 to 500" in text
    assert 'value="Kept title"' in browser.page
    summary = browser.page.index('href="#description"'), browser.page.index('href="#seats"')
    assert summary == tuple(sorted(summary)), "the summary lists errors in the page's order"


async def test_a_participant_cannot_use_staff_pages(browser: Browser,
                                                    region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await sign_in(browser, scene)
    answer = await browser.http.get("/staff/metrics")
    assert answer.headers["location"] == "/staff/sign-in"


async def staff_signed_in(browser: Browser, api_key: str) -> None:
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": api_key})


async def test_a_participant_shares_a_story_for_the_moderators(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await sign_in(browser, scene)
    await browser.get("/my/stories/new")
    await browser.submit("/my/stories/new", {"title": "My discharge"}, status=400)
    assert "Tell us what happened" in browser.text()
    await browser.submit("/my/stories/new", {"title": "My discharge", "service_area": "Wards",
                                             "text": "Nobody told me whom to call."})
    assert "moderators read it first" in browser.text()


async def test_a_story_naming_the_trust_leads_to_a_change_its_teller_is_told_of(
        browser: Browser, region: FeedbackRegion) -> None:
    """Sam's story names the trust; once the moderators publish it, the trust's staff link a
    change to it, and it shows under what Sam's input led to."""
    scene = await build_scene(region)
    await sign_in(browser, scene)
    await browser.get("/my/stories/new")
    assert "Example Valley NHS Foundation Trust" in browser.text()
    await browser.submit("/my/stories/new", {
        "title": "Nobody checked on dad", "service_area": "Wards",
        "text": "Nobody checked on my dad at night.",
        "organisation_ids": [scene.trust.organisation_id]})
    stories = (await region.feedback.get("/v1/stories", headers=await region.admin_of_network(),
                                         params={"network_id": region.network_id,
                                                 "status": "awaiting_moderation"})).json()
    [story] = stories["items"]
    read = await region.feedback.get(f"/v1/stories/{story['story_id']}",
                                     headers=await region.admin_of_network())
    assert read.json()["organisation_ids"] == [scene.trust.organisation_id]
    published = await region.feedback.post(f"/v1/stories/{story['story_id']}/moderate",
                                           json={"decision": "publish"},
                                           headers=await region.admin_of_network())
    assert published.status_code == 200, published.text

    await browser.submit("/sign-out", {})
    staff = browser
    await staff.get("/staff/sign-in")
    await staff.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    await staff.until("/staff/changes/new", "Nobody checked on dad")
    change = {"title": "Hourly checks at night", "what_changed": "A nurse checks every hour.",
              "service_area": "Wards", "owner": "Ward Manager"}
    await staff.submit("/staff/changes/new", change, status=400)
    assert "Choose the stories that led to the change" in staff.text()
    await staff.submit("/staff/changes/new", change | {"story_ids": [story["story_id"]]})
    assert "1 person whose story led to it will be told" in staff.text()

    await staff.submit("/sign-out", {})
    await sign_in(browser, scene)
    await browser.until("/my/changes", "Hourly checks at night")


async def test_staff_open_a_consultation_and_mistakes_are_explained(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await staff_signed_in(browser, scene.healthwatch.api_key)
    await browser.get("/staff/consultations/new")
    fields = {"title": "GP appointments", "purpose": "How to book", "stage": "design",
              "audience": "public", "closes_on": (date.today() + timedelta(days=9)).isoformat(),
              "q1_prompt": "How did you book?", "q1_kind": "single_choice",
              "q1_options": "Phone", "q1_required": "yes"}
    await browser.submit("/staff/consultations/new", fields, status=400)
    assert "Give at least 2 answers to choose from for question 1" in browser.text()
    await browser.submit("/staff/consultations/new", fields | {"q1_options": "Phone\r\nOnline"})
    assert "Your consultation is open" in browser.text()
    assert "How did you book?" not in browser.text()  # staff see the responses, not the form


async def test_the_public_answer_a_public_consultation_anonymously(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    opened = await region.open(scene.healthwatch.headers)
    path = f"/consultations/{opened['consultation_id']}"
    await browser.get(path)
    assert "your answers are anonymous" in browser.text()
    await browser.submit(path, {f"q-{CLEAR}": "No", f"q-{RATING}": "2"})
    assert "Your answers have been sent" in browser.text()
    responses = await region.feedback.get(f"/v1/consultations/{opened['consultation_id']}"
                                          "/feedback", headers=scene.healthwatch.headers)
    assert [r["channel"] for r in responses.json()["items"]] == ["anonymous"]


async def test_declining_an_invitation_is_one_step_and_never_held_against_them(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await sign_in(browser, scene)
    await browser.get("/my/profile")
    await browser.submit("/my/profile", {"methods": ["in_person", "speaking"],
                                         "roles": "patient", "topics": ["diabetes"],
                                         "postcode_district": "LS6",
                                         "travel_radius_km": "15"})
    published = await region.publish(scene.trust.headers)
    for _ in range(200):
        ranked = (await region.http.get(f"/v1/opportunities/{published['opportunity_id']}"
                                        "/matches", headers=scene.trust.headers)).json()
        if ranked["matches"]:
            break
        await asyncio.sleep(0.05)
    sent = await region.http.post(f"/v1/opportunities/{published['opportunity_id']}"
                                  "/invitations", json={"participant_ids": [scene.participant_id]},
                                  headers=scene.trust.headers)
    assert sent.status_code == 201, sent.text
    invitation_id = sent.json()[0]["invitation_id"]
    await browser.until(f"/my/opportunities/{published['opportunity_id']}", "You are invited")
    assert "Paid for your time" in browser.text()
    await browser.submit(f"/my/invitations/{invitation_id}/decline", {})
    assert "it never counts against you" in browser.text()
    assert "you said no" in browser.text()


async def test_a_signed_in_form_without_its_token_changes_nothing(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await sign_in(browser, scene)
    answer = await browser.post("/my/pause", [])
    assert answer.status_code == 403 and "Your form could not be sent" in answer.text
    record = await region.registry.http.get(f"/v1/participants/{scene.participant_id}",
                                            headers=scene.trust.headers)
    assert record.json()["status"] == "active"
