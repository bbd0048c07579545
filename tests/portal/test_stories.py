"""Stories in the portal, over the real services with JavaScript off: the network's
moderators publish, redact or reject what people shared; the organisations a story names
answer it in public; everyone reads what was published, and only that. The pages also pass
axe-core in a real Chromium."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from portal.forms import Form
from portal.story_forms import answer, moderation
from tests.portal.browser_support import (
    Visits,
    audit_and_photograph,
    axe_source,
    person_in,
    staff_signs_in,
)
from tests.portal.conftest import Browser
from tests.portal.scene import EMAIL, Organisation, Scene, build_scene
from tests.portal.test_admin import admin_signs_in
from tests.portal.test_pages import sign_in
from tests.services.feedback.conftest import FeedbackRegion
from tests.services.registry.conftest import ADMIN_KEY

PHONE = "07700 900123"
HOME = "Home at last"
WAIT = "A long wait in A&E"
DOOR = "The wrong door"


@pytest.fixture
async def others(portal_app: Any) -> AsyncIterator[list[Browser]]:
    """More people at their own browsers, each with their own session."""
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=portal_app),
                                 base_url="http://portal") for _ in range(2)]
    try:
        yield [Browser(client) for client in clients]
    finally:
        for client in clients:
            await client.aclose()


async def shared(region: FeedbackRegion, scene: Scene, title: str, text: str,
                 *named: Organisation) -> str:
    """A story the participant shares through the feedback API, naming these organisations."""
    me = await region.registry.sign_in(scene.participant_id, EMAIL)
    made = await region.feedback.post("/v1/stories", headers=me, json={
        "organisation_ids": [o.organisation_id for o in named], "service_area": "Hospital",
        "title": title, "text": text})
    assert made.status_code == 201, made.text
    return str(made.json()["story_id"])


async def published(region: FeedbackRegion, story_id: str) -> None:
    done = await region.feedback.post(f"/v1/stories/{story_id}/moderate",
                                      headers=await region.registry.admin(),
                                      json={"decision": "publish"})
    assert done.status_code == 200, done.text


def test_the_moderation_and_answer_forms_say_what_is_missing() -> None:
    empty = Form({"redacted_text": [" "], "reason": [""]})
    assert moderation(empty, "publish") == ({"decision": "publish", "redacted_text": None,
                                             "reason": None}, [])
    assert [e.field for e in moderation(empty, "redact")[1]] == ["redacted_text"]
    assert [e.field for e in moderation(empty, "reject")[1]] == ["reason"]
    assert [e.field for e in moderation(empty, "delete")[1]] == ["decision"]
    _, errors = moderation(Form({"reason": ["x" * 1001]}), "reject")
    assert errors and "1,000 characters" in errors[0].message
    assert answer(Form({"response": ["  Thank you. "]})) == ({"response": "Thank you."}, [])
    assert answer(Form({}))[1][0].message == "Write your answer to the story"


async def test_moderators_publish_redact_and_reject_and_the_public_reads_only_what_is_published(
        browser: Browser, others: list[Browser], region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    home = await shared(region, scene, HOME, f"The discharge nurse rang me on {PHONE} the day "
                        "after. It helped.", scene.trust)
    wait = await shared(region, scene, WAIT, "We waited six hours and the nurse on the desk "
                        "was rude.", scene.trust, scene.healthwatch)
    participant, public = others
    await sign_in(participant, scene)  # the third story comes through the portal, naming no one
    await participant.get("/my/stories/new")
    await participant.submit("/my/stories/new", {"title": DOOR, "service_area": "Outpatients",
                                                 "text": "The letter sent me to the wrong "
                                                         "building."})
    assert "moderators read it first" in participant.text()

    await admin_signs_in(browser)
    queue = f"/admin/networks/{region.network_id}/stories"
    await browser.get(queue)
    text = browser.text()
    assert "3 stories are waiting" in text
    assert all(title in text for title in (HOME, WAIT, DOOR))
    assert PHONE in text, "the moderator reads the teller's own words"
    assert "In their own words" in text and "As it would be published" in text
    assert "Example Valley NHS Foundation Trust, Healthwatch Example" in text
    assert browser.page.count(f'value="{browser.csrf()}"') == 1 + 3 * 3, "every form's token"
    door = next(s for s in (await region.feedback.get(
        "/v1/stories", params={"network_id": region.network_id,
                               "status": "awaiting_moderation"},
        headers=await region.registry.admin())).json()["items"] if s["title"] == DOOR)
    door_id = str(door["story_id"])

    await browser.submit(f"{queue}/{home}/publish", {})
    assert f"The story “{HOME}” is published as it was shown" in browser.text()

    await browser.submit(f"{queue}/{wait}/redact", {"redacted_text": ""}, status=400)
    assert "There is a problem" in browser.text() and "Enter the text to publish" in browser.text()
    assert f'href="#redacted_text-{wait}"' in browser.page and f'id="redacted_text-{wait}"' in \
        browser.page
    await browser.submit(f"{queue}/{wait}/redact", {"redacted_text": "We waited six hours."})
    assert "is published with your changes" in browser.text()

    await browser.submit(f"{queue}/{door_id}/reject", {"reason": " "}, status=400)
    assert "Say why the story is not being published" in browser.text()
    assert browser.page.count("<title>Error: ") == 1
    await browser.submit(f"{queue}/{door_id}/reject", {"reason": "It says where you live."})
    assert "is not published. The person who shared it is told why" in browser.text()

    await browser.submit(f"{queue}/{home}/reject", {"reason": "Changed my mind"})
    assert "this story has already been moderated" in browser.text(), "a 409 is a message"
    text = browser.text()
    assert "There are no stories waiting for moderation" in text
    assert HOME in text and DOOR in text  # recently published and not published

    await public.get("/stories")
    text = public.text()
    assert HOME in text and "It helped." in text
    assert PHONE not in text, "only the scrubbed text is published"
    assert "We waited six hours." in text and "rude" not in text, "the redacted text only"
    assert DOOR not in text and "wrong building" not in text, "never a rejected story"
    assert "2 stories, newest first" in text
    await public.get(f"/stories/{wait}")
    assert "We waited six hours." in public.text() and "No answers yet" in public.text()
    await public.get(f"/stories/{door_id}", status=404)
    await public.get("/stories/not-a-story", status=404)
    await browser.get(f"/stories/{door_id}", status=404)  # not even for a moderator


async def test_the_organisation_a_story_names_answers_it_in_public(
        browser: Browser, others: list[Browser], region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    story = await shared(region, scene, HOME, "The discharge nurse rang me the day after.",
                         scene.trust)
    waiting = await shared(region, scene, WAIT, "Not moderated yet.", scene.trust)
    await published(region, story)
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    await browser.get("/staff/stories")
    text = browser.text()
    assert HOME in text and "No answers yet" in text
    assert browser.page.count(f'value="{browser.csrf()}"') == 2, "the answer form's token"
    assert WAIT not in text, "staff see only published stories"
    await browser.submit(f"/staff/stories/{story}/answer", {"response": ""}, status=400)
    assert "Write your answer to the story" in browser.text()
    assert f'href="#response-{story}"' in browser.page
    await browser.submit(f"/staff/stories/{story}/answer",
                         {"response": "Thank you. Every patient now gets that call."})
    assert "Your answer is published under the story" in browser.text()
    assert "Example Valley NHS Foundation Trust answered on" in browser.text()
    await browser.submit(f"/staff/stories/{waiting}/answer", {"response": "Too soon"})
    assert "Nothing was changed" in browser.text(), "a refusal is a message, not an error"

    healthwatch, public = others
    await healthwatch.get("/staff/sign-in")
    await healthwatch.submit("/staff/sign-in", {"api_key": scene.healthwatch.api_key})
    await healthwatch.get("/staff/stories")
    assert "No published story names your organisation yet" in healthwatch.text()
    await healthwatch.submit(f"/staff/stories/{story}/answer", {"response": "Us too"})
    assert "Nothing was changed" in healthwatch.text(), "only an organisation named answers"

    await public.get("/stories")
    text = public.text()
    assert "about Example Valley NHS Foundation Trust" in text  # the network's members are
    # public: anyone reads who answered
    assert "Thank you. Every patient now gets that call." in text and "1 answer" in text
    assert "Us too" not in text and "Too soon" not in text
    await public.get(f"/stories/{story}")
    assert "Every patient now gets that call." in public.text()


async def test_only_moderators_open_the_moderation_page_and_forms_need_their_token(
        browser: Browser, others: list[Browser], region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    story = await shared(region, scene, HOME, "Words.", scene.trust)
    queue = f"/admin/networks/{region.network_id}/stories"
    answer = await browser.http.get(queue)
    assert (answer.status_code, answer.headers["location"]) == (303, "/staff/sign-in")
    participant, staff = others
    await sign_in(participant, scene)
    answer = await participant.http.get(queue)
    assert answer.status_code == 303, "a participant is not a moderator"
    await staff.get("/staff/sign-in")
    await staff.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    answer = await staff.http.get(queue)
    assert answer.status_code == 303, "an organisation's staff do not moderate stories"
    answer = await participant.http.get("/staff/stories")
    assert answer.headers["location"] == "/staff/sign-in"

    await admin_signs_in(browser)
    await browser.get(queue)
    for token in ([], [("csrf_token", "forged")]):
        refused = await browser.post(f"{queue}/{story}/publish", token)
        assert refused.status_code == 403 and "Your form could not be sent" in refused.text
    refused = await staff.post(f"/staff/stories/{story}/answer", [("response", "Hi")])
    assert refused.status_code == 403
    await browser.submit(f"{queue}/{uuid4()}/publish", {})
    assert "that story could not be found" in browser.text(), "a 404 is a message"
    await browser.submit(f"{queue}/{story}/delete", {}, status=404)
    still = await region.feedback.get(f"/v1/stories/{story}",
                                      headers=await region.registry.admin())
    assert still.json()["status"] == "awaiting_moderation", "a refused form did nothing"


async def test_the_story_pages_pass_axe_in_a_real_browser(
        chromium: Any, base_url: str, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    story = await shared(region, scene, HOME, f"The nurse rang me on {PHONE}. It helped.",
                         scene.trust)
    await shared(region, scene, WAIT, "We waited six hours.", scene.trust)  # left waiting

    admin_visits, staff_visits, public_visits = Visits(), Visits(), Visits()
    admin = await person_in(chromium, base_url, admin_visits)
    await admin.open("/staff/sign-in", "admin-sign-in")
    await admin.page.get_by_label("Sign in with your organisation's key").fill(ADMIN_KEY)
    await admin.send("Sign in")
    await admin.open(f"/admin/networks/{region.network_id}/stories", "stories-moderation")
    await admin.reads(PHONE)
    await admin.page.locator(f"#redacted_text-{story}").fill("The nurse rang me. It helped.")
    await admin.send(f"Publish with my changes (story: {HOME})")
    await admin.reads("is published with your changes")

    trust = await person_in(chromium, base_url, staff_visits)
    await staff_signs_in(trust, scene.trust)
    await trust.open("/staff/stories", "staff-stories")
    await trust.page.locator(f"#response-{story}").fill("Thank you: everyone gets a call now.")
    await trust.send(f"Answer in public (story: {HOME})")
    await trust.reads("Your answer is published under the story")

    reader = await person_in(chromium, base_url, public_visits)
    await reader.open("/stories", "stories")
    await reader.reads("Thank you: everyone gets a call now.")
    assert PHONE not in await reader.page.inner_text("main")
    await reader.page.get_by_role("link", name=HOME).click()
    public_visits.saw(reader.page.url.removeprefix(base_url), "story")
    await reader.reads("The nurse rang me. It helped.")

    axe = axe_source()
    failures = await audit_and_photograph(chromium, admin, admin_visits, axe, "stories-admin")
    failures |= await audit_and_photograph(chromium, trust, staff_visits, axe, "stories-staff")
    failures |= await audit_and_photograph(chromium, reader, public_visits, axe,
                                           "stories-public")
    assert not failures, failures
