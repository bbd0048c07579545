"""Every notice renders in plain words, short, with no jargon and nothing left unfilled; the
"led to a change" one thanks the person and names what changed and who changed it."""

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from notifications.people.adapters.letters import Letters, Told
from notifications.people.domain.notices import NoticeKind

letters = Letters(ZoneInfo("Europe/London"))

OFFER = {"organisation": "Leeds Teaching Hospitals", "opportunity": "Redesign the discharge letter"}
FACTS: dict[NoticeKind, dict[str, Any]] = {
    NoticeKind.INVITATION: OFFER | {"expires_at": "2024-05-14T16:00:00+00:00"},
    NoticeKind.INVITATION_REMINDER: OFFER | {"expires_at": "2024-05-14T16:00:00+00:00"},
    NoticeKind.CONSULTATION_OPENED: {
        "organisation": "Carers Leeds", "title": "Support for carers",
        "purpose": "What would help you most?", "closes_at": "2024-06-01T23:00:00+00:00"},
    NoticeKind.CHANGE_MADE: {
        "title": "Clearer discharge letters", "what_changed": "Letters now use plain words.",
        "organisations": ["Leeds Teaching Hospitals", "Carers Leeds"],
        "changed_on": "2024-05-01"},
    NoticeKind.EXPENSE_PAID: {"organisation": "Carers Leeds", "amount_pence": 1250},
    NoticeKind.EXPENSE_ADVANCED: OFFER | {"amount_pence": 840},
    NoticeKind.PAYMENT_MADE: OFFER | {"amount_pence": 7500},
    NoticeKind.SESSION_REMINDER: OFFER | {"starts_at": "2024-05-21T09:00:00+00:00"},
    NoticeKind.SIGN_IN_CODE: {"code": "482913", "expires_at": "2024-05-14T16:10:00+00:00"},
}
JARGON = re.compile(r"notification|participant|stakeholder|engagement|leverage|event|"
                    r"None|null|\{|\}|_id|utilis|facilitat|\bPPI\b|\bICB\b", re.IGNORECASE)


@pytest.mark.parametrize("kind", list(FACTS))
def test_each_notice_reads_in_plain_words(kind: NoticeKind) -> None:
    wording = letters.wording(kind, FACTS[kind])
    html = letters.html(kind, FACTS[kind])
    for words in (wording.title, wording.text):
        assert words and not JARGON.search(words), words
    assert len(wording.title) <= 90 and len(wording.text.split()) <= 80
    assert "\n\n\n" not in wording.text
    assert "<p>" in html and not JARGON.search(re.sub(r"<[^>]+>", "", html))


def test_the_change_thanks_them_and_names_what_changed_and_who() -> None:
    wording = letters.wording(NoticeKind.CHANGE_MADE, FACTS[NoticeKind.CHANGE_MADE])
    assert wording.title == "Your feedback led to a change: Clearer discharge letters"
    assert wording.text.startswith("Thank you.")
    assert "Leeds Teaching Hospitals and Carers Leeds" in wording.text
    assert "Letters now use plain words." in wording.text


def test_times_amounts_and_unknown_titles_read_naturally() -> None:
    reminder = letters.wording(NoticeKind.SESSION_REMINDER, FACTS[NoticeKind.SESSION_REMINDER])
    assert "Tuesday 21 May at 10:00" in reminder.text  # 09:00 UTC is 10:00 in summer
    invited = letters.wording(NoticeKind.INVITATION, OFFER | {
        "opportunity": None, "expires_at": "2024-01-14T16:00:00+00:00"})
    assert "one of its opportunities" in invited.text and "Sunday 14 January" in invited.text
    paid = letters.wording(NoticeKind.PAYMENT_MADE, FACTS[NoticeKind.PAYMENT_MADE])
    assert "£75.00" in paid.text


def test_html_is_escaped() -> None:
    html = letters.html(NoticeKind.CHANGE_MADE, FACTS[NoticeKind.CHANGE_MADE] | {
        "title": "<script>alert(1)</script>", "organisations": ["A & B"]})
    assert "<script>" not in html and "&lt;script&gt;" in html and "A &amp; B" in html


def test_a_digest_gathers_everything_into_one_message() -> None:
    told = [Told(kind, FACTS[kind], *letters.wording(kind, FACTS[kind]).__dict__.values())
            for kind in (NoticeKind.CHANGE_MADE, NoticeKind.CONSULTATION_OPENED)]
    digest = letters.digest("weekly", told)
    assert digest.title == "Your weekly round-up from Chorus"
    assert "Clearer discharge letters" in digest.text and "Support for carers" in digest.text
    html = letters.digest_html(told)
    assert "Clearer discharge letters" in html and "Carers Leeds" in html


def test_the_email_greets_them_and_carries_both_bodies() -> None:
    kind = NoticeKind.EXPENSE_PAID
    message = letters.email(sender="Chorus <no-reply@chorus.localhost>", name="Sam Example",
                            address="sam@example.org", wording=letters.wording(kind, FACTS[kind]),
                            html=letters.html(kind, FACTS[kind]))
    assert message["To"] == "Sam Example <sam@example.org>"
    assert message["Subject"] == "Your expenses have been paid"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().startswith("Hello Sam Example,")
    assert "£12.50" in html.get_content()
    with pytest.raises(ValueError):
        letters.email(sender="x@example.org", name="Sam", address="not an address",
                      wording=letters.wording(kind, FACTS[kind]),
                      html=letters.html(kind, FACTS[kind]))
