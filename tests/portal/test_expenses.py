"""A participant's expenses and payments in the portal, with JavaScript off: the sessions
they took part in, a mileage claim worked out by the opportunities service's quote and sent,
mistakes and refusals shown on the form's fields, and what they have been paid."""

from chorus.contracts.vocabulary import ExpenseKind
from portal import claims
from portal.forms import Form
from portal.pages.expenses import KINDS
from tests.portal.conftest import Browser
from tests.portal.participant_support import TITLE, attended, sam_signs_in
from tests.portal.scene import build_scene
from tests.services.feedback.conftest import FeedbackRegion

MILEAGE = {"kind": "mileage", "miles": "17", "return_journey": "yes"}


async def test_a_participant_works_out_their_mileage_then_claims_it(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    session = await attended(region, scene)
    await sam_signs_in(browser, scene)
    await browser.until("/my/expenses", TITLE)
    assert "2 hours" in browser.text()
    assert session.claim_path.replace("&", "&amp;") in browser.page
    await browser.get(session.claim_path)
    assert "Claim expenses" in browser.text() and TITLE in browser.text()

    await browser.submit("/my/expenses/new", {
        "opportunity_id": session.opportunity_id, "session_id": session.session_id,
        **MILEAGE, "action": "calculate"})
    assert "34 miles at 45p a mile: £15.30" in browser.text()
    assert 'value="17"' in browser.page and "checked" in browser.page  # kept as typed
    quote = await browser.http.get("/my/expenses/mileage",
                                   params={"miles": "17", "return_journey": "yes"})
    assert "<html" not in quote.text  # what htmx fetches as they type: the answer alone
    fragment = Browser(browser.http)
    fragment.page = quote.text
    assert "34 miles at 45p a mile: £15.30" in fragment.text()

    await browser.submit("/my/expenses/new", {
        "opportunity_id": session.opportunity_id, "session_id": session.session_id,
        **MILEAGE, "action": "send"})
    assert "Your claim for 34 miles (£15.30) has been sent" in browser.text()
    await browser.until("/my/expenses", "Waiting for the organisation to check it")
    assert "Mileage (34 miles)" in browser.text() and "£15.30" in browser.text()


async def test_the_calculator_says_when_miles_are_paid_at_the_lower_rate(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    session = await attended(region, scene)
    for miles in [1_000] * 9 + [990]:
        claimed = await region.http.post("/v1/expenses", headers=session.person, json={
            "participant_id": scene.participant_id, "opportunity_id": session.opportunity_id,
            "session_id": session.session_id, "kind": "mileage", "miles": miles})
        assert claimed.status_code == 201, claimed.text
    await sam_signs_in(browser, scene)
    await browser.until("/my/expenses", TITLE)
    await browser.get(session.claim_path)
    await browser.submit("/my/expenses/new", {
        "opportunity_id": session.opportunity_id, "session_id": session.session_id,
        "miles": "34", "action": "calculate"})  # no kind chosen yet: the calculator means it
    text = browser.text()
    assert "10 miles at 45p a mile and 24 miles at 25p a mile: £10.50" in text
    assert "You have already claimed 9,990 miles this tax year" in text
    assert 'value="mileage" checked' in browser.page


async def test_mistakes_are_explained_on_their_fields_and_a_forged_form_is_refused(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    session = await attended(region, scene)
    await sam_signs_in(browser, scene)
    await browser.until("/my/expenses", TITLE)
    await browser.get(session.claim_path)
    ids = {"opportunity_id": session.opportunity_id, "session_id": session.session_id}
    await browser.submit("/my/expenses/new", {**ids, "kind": "parking", "amount": "twelve",
                                              "action": "send"}, status=400)
    assert "There is a problem" in browser.text() and 'href="#amount"' in browser.page
    assert "Enter the amount in pounds and pence, like 12.50" in browser.text()
    assert browser.page.count("<title>Error: ") == 1
    await browser.submit("/my/expenses/new", {**ids, "miles": "lots", "action": "calculate"},
                         status=400)
    assert "Enter the miles as a whole number, like 17" in browser.text()
    assert 'href="#miles"' in browser.page
    await browser.submit("/my/expenses/new", {**ids, "kind": "meals", "amount": "8.40",
                                              "action": "calculate"})  # Enter in a field
    assert "Nothing has been sent yet" in browser.text()
    await browser.submit("/my/expenses/new", {**ids, "action": "send"}, status=400)
    assert "Choose what you are claiming for" in browser.text()
    fields = [*ids.items(), ("kind", "parking"), ("amount", "3.00"), ("action", "send")]
    for token in ([], [("csrf_token", "forged")]):
        answer = await browser.post("/my/expenses/new", [*token, *fields])
        assert answer.status_code == 403 and "Your form could not be sent" in answer.text
    record = await region.http.get(f"/v1/participants/{scene.participant_id}/involvement",
                                   headers=session.person)
    assert record.json()["expenses"] == []


async def test_a_claim_the_service_refuses_is_shown_on_its_field(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    session = await attended(region, scene)
    for path in ("/my/expenses", session.claim_path):
        answer = await browser.http.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    await sam_signs_in(browser, scene)
    await browser.until("/my/expenses", TITLE)
    # Only a session the person took part in can be claimed for.
    await browser.get(session.claim_path.replace(session.session_id, session.opportunity_id),
                      status=404)
    await browser.get("/my/expenses/new?opportunity_id=nonsense&session_id=", status=404)
    assert "Page not found" in browser.text()
    await browser.get(session.claim_path)
    await browser.submit("/my/expenses/new", {
        "opportunity_id": session.opportunity_id, "session_id": session.session_id,
        "kind": "parking", "amount": "4.50", "receipt_reference": "Ticket №42",
        "action": "send"}, status=400)
    assert "There is a problem" in browser.text()
    assert 'href="#receipt_reference"' in browser.page
    assert 'id="receipt_reference-error"' in browser.page
    assert 'value="4.50"' in browser.page  # what they typed is kept


async def test_payments_and_paid_expenses_are_listed_with_the_totals(
        browser: Browser, region: FeedbackRegion) -> None:
    scene = await build_scene(region)
    session = await attended(region, scene)
    staff, http = scene.trust.headers, region.http
    paid = await http.post(f"/v1/opportunities/{session.opportunity_id}/payments",
                           headers=staff, json={"session_id": session.session_id,
                                                "participant_id": scene.participant_id})
    assert paid.status_code == 201, paid.text
    fare = (await http.post("/v1/expenses", headers=session.person, json={
        "participant_id": scene.participant_id, "opportunity_id": session.opportunity_id,
        "session_id": session.session_id, "kind": "public_transport",
        "amount_pence": 640})).json()
    for step in ("approve", "pay"):
        done = await http.post(f"/v1/expenses/{fare['expense_id']}/{step}", headers=staff)
        assert done.status_code == 200, done.text
    await sam_signs_in(browser, scene)
    await browser.until("/my/expenses", "Paid to you")
    await browser.until("/my/expenses", "Bus, train or taxi fares")
    text = browser.text()
    assert "Payments for your time £75.00" in text  # a half day at the trust's rates
    assert "Expenses paid to you £6.40" in text
    assert "£75.00 £75.00 Paid to you" in text  # due, paid, what happened
    assert "£6.40 Paid" in text


def test_every_kind_of_expense_is_offered_in_plain_words() -> None:
    assert [value for value, *_ in KINDS] == [member.value for member in ExpenseKind]


def test_amounts_are_read_as_people_write_them() -> None:
    assert [claims.pence(text) for text in ("12.50", "£12.5", "12", "1,000.00", "0.07")] == [
        1250, 1250, 1200, 100_000, 7]
    assert [claims.pence(text) for text in ("12.505", "twelve", "-3", "")] == [None] * 4
    body, errors = claims.claim(Form({"kind": ["other"], "amount": ["1000.01"]}), "p", "o", "s")
    assert [e.field for e in errors] == ["amount", "receipt_reference"]
    body, errors = claims.claim(Form({"kind": ["mileage"], "miles": ["600"],
                                      "return_journey": ["yes"]}), "p", "o", "s")
    assert [e.field for e in errors] == ["miles"]
    body, errors = claims.claim(Form({"kind": ["mileage"], "miles": ["17"]}), "p", "o", "s")
    assert (body["miles"], errors) == (17, [])
