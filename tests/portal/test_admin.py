"""A network administrator's pages: the organisations of the network, and the dashboard
comparing them on the same definitions. Over the real services, with JavaScript off; the
pages also pass axe-core in a real Chromium."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.portal.browser_support import Visits, audit_and_photograph, axe_source, person_in
from tests.portal.conftest import Browser
from tests.portal.scene import Scene, build_scene
from tests.services.feedback.conftest import FeedbackRegion
from tests.services.registry.conftest import ADMIN_KEY

CLOSES = (datetime.now(UTC) + timedelta(days=30)).isoformat()


async def admin_signs_in(browser: Browser) -> None:
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": ADMIN_KEY})
    assert "Your networks" in browser.text()


async def a_closed_consultation_with_its_outcome(region: FeedbackRegion, scene: Scene) -> None:
    """Healthwatch closes a consultation and publishes its outcome: 100% for it, nothing to
    measure for the trust."""
    made = await region.feedback.post("/v1/consultations", headers=scene.healthwatch.headers,
                                      json={"title": "Home from hospital", "purpose": "Ask",
                                            "stage": "design", "audience": "public",
                                            "closes_at": CLOSES,
                                            "questions": [{"kind": "free_text",
                                                           "prompt": "What helped?"}]})
    assert made.status_code == 201, made.text
    path = f"/v1/consultations/{made.json()['consultation_id']}"
    closed = await region.feedback.post(f"{path}/close", headers=scene.healthwatch.headers)
    assert closed.status_code == 200, closed.text
    outcome = await region.feedback.post(f"{path}/outcome", headers=scene.healthwatch.headers,
                                         json={"you_said": "Ring me", "we_did": "We ring"})
    assert outcome.status_code == 200, outcome.text


async def test_an_administrator_sees_the_organisations_and_compares_them(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    await a_closed_consultation_with_its_outcome(region, scene)
    await admin_signs_in(browser)
    network = f"/admin/networks/{region.network_id}"
    assert f'href="{network}"' in browser.page

    await browser.get(network)
    text = browser.text()
    assert "Example Valley NHS Foundation Trust" in text and "Healthwatch Example" in text
    assert "NHS trust" in text and "RXX" in text  # kind in plain words, ODS code

    await browser.until(f"{network}/dashboard", "100% (1 of 1)")
    text = browser.text()
    assert "Whole network" in text
    assert "Of the consultations that have closed, the percentage whose outcome" in text
    assert browser.page.count('role="img"') == 3  # the loop-closure figures, charted
    # The trust closed nothing; Healthwatch, and so the network, published 1 outcome of 1.
    assert "Outcomes published Nothing to measure yet 100% (1 of 1) 100% (1 of 1)" in text


async def test_only_an_administrator_opens_the_administrators_pages(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    answer = await browser.http.get("/admin")
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/sign-in"
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": scene.trust.api_key})
    answer = await browser.http.get(f"/admin/networks/{region.network_id}/dashboard")
    assert answer.status_code == 303, "a member organisation's staff are not administrators"


async def test_a_service_key_is_not_a_way_in(browser: Browser, region: FeedbackRegion) -> None:
    await browser.get("/staff/sign-in")
    await browser.submit("/staff/sign-in", {"api_key": "chorus_not-a-real-key"}, status=400)
    assert "That key is not right" in browser.text()


async def test_the_administrators_pages_pass_axe_in_a_real_browser(
        chromium: Any, base_url: str, region: FeedbackRegion) -> None:
    await build_scene(region)
    visits = Visits()
    admin = await person_in(chromium, base_url, visits)
    await admin.open("/staff/sign-in", "admin-sign-in")
    await admin.page.get_by_label("Sign in with your organisation's key").fill(ADMIN_KEY)
    await admin.send("Sign in", name="admin-networks")
    await admin.page.get_by_role("link", name="North Example").first.click()
    visits.saw(admin.page.url.removeprefix(base_url), "admin-organisations")
    await admin.reads("Healthwatch Example")
    await admin.page.get_by_role("link", name="Compare the organisations").click()
    visits.saw(admin.page.url.removeprefix(base_url), "admin-dashboard")
    await admin.reads("Whole network")
    assert not await audit_and_photograph(chromium, admin, visits, axe_source(), "admin")
