"""The portal's forms, checked without a request or a service: what people type becomes the
services' request bodies, and every mistake becomes one plain message on its own field."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chorus.errors import SettingsError
from portal import charts, forms, words
from portal.forms import FieldError, Form
from portal.settings import load

TODAY = date(2026, 3, 2)


def form(**fields: str | list[str]) -> Form:
    return Form({name: value if isinstance(value, list) else [value]
                 for name, value in fields.items()})


def test_a_browser_form_is_read_with_every_value_of_every_field() -> None:
    parsed = Form.parse(b"methods=online&methods=phone&email=+sam%40example.org+&empty=")
    assert parsed.many("methods") == ["online", "phone"]
    assert parsed.one("email") == "sam@example.org"
    assert (parsed.one("empty"), parsed.one("absent"), parsed.many("absent")) == ("", "", [])


@pytest.mark.parametrize(("given", "message"), [
    ("", "Enter your email address"),
    ("sam", "Enter an email address in the correct format, like name@example.com"),
])
def test_an_email_address_is_asked_for_plainly(given: str, message: str) -> None:
    assert forms.email_address(form(email=given)) == ("", [FieldError("email", message)])


def test_a_sign_in_code_is_six_numbers_spaces_allowed() -> None:
    assert forms.sign_in_code(form(code="123 456")) == ("123456", [])
    assert forms.sign_in_code(form(code="12345a"))[1][0].field == "code"


def test_a_profile_keeps_what_the_form_does_not_ask_and_tidies_the_district() -> None:
    current = {"availability": [{"day": "monday", "part": "morning"}], "languages": ["cy"],
               "methods": ["online"]}
    body, errors = forms.profile(form(methods=["in_person", "speaking"], topics="diabetes",
                                      roles="carer",
                                      postcode_district="ls6 ", travel_radius_km="15",
                                      online_only="yes", payment_preference="decline"),
                                 current)
    assert errors == []
    assert body["availability"] == current["availability"] and body["languages"] == ["cy"]
    assert (body["methods"], body["postcode_district"], body["travel_radius_km"]) == (
        ["in_person", "speaking"], "LS6", 15)
    assert (body["online_only"], body["payment_preference"]) == (True, "decline")


def test_a_profile_with_mistakes_names_each_field_in_page_order() -> None:
    _, errors = forms.profile(form(methods=[], topics="not_a_topic",
                                   postcode_district="LS6 2AB", travel_radius_km="far"), {})
    assert [e.field for e in errors] == ["methods", "topics", "roles", "postcode_district",
                                         "travel_radius_km"]


def test_consent_to_named_organisations_needs_one_and_drops_strangers() -> None:
    known = ["org-1", "org-2"]
    body, errors = forms.consent(form(scope="organisations", organisation_ids=["org-9"]),
                                 {}, known)
    assert [e.field for e in errors] == ["organisation_ids"]
    body, errors = forms.consent(form(scope="organisations",
                                      organisation_ids=["org-2", "org-9"],
                                      contact_channels="email", equality_monitoring="yes"),
                                 {"deprivation_decile": 2}, known)
    assert errors == [] and body["organisation_ids"] == ["org-2"]
    assert body["deprivation_decile"] == 2


def test_stopping_equality_monitoring_drops_its_answers() -> None:
    body, _ = forms.consent(form(scope="network", equality_monitoring="no"),
                            {"deprivation_decile": 2, "age_band": "65-74"}, [])
    assert (body["deprivation_decile"], body["age_band"]) == (None, None)


QUESTIONS: list[dict[str, Any]] = [
    {"question_id": "q1", "kind": "single_choice", "prompt": "Was it clear?",
     "options": ["Yes", "No"], "required": True},
    {"question_id": "q2", "kind": "rating", "prompt": "Overall?"},
    {"question_id": "q3", "kind": "multiple_choice", "prompt": "Who read it?",
     "options": ["Me", "My carer"]},
    {"question_id": "q4", "kind": "free_text", "prompt": "What would help?"},
]


def test_answers_follow_each_question_kind() -> None:
    body, errors = forms.answers(Form({"q-q1": ["No"], "q-q2": ["4"], "q-q3": ["Me", "My carer"],
                                       "q-q4": [" A call "]}), QUESTIONS)
    assert errors == []
    assert body["answers"] == [{"question_id": "q1", "choices": ["No"]},
                               {"question_id": "q2", "rating": 4},
                               {"question_id": "q3", "choices": ["Me", "My carer"]},
                               {"question_id": "q4", "text": "A call"}]


def test_a_required_question_left_out_and_a_made_up_choice_are_named() -> None:
    _, errors = forms.answers(Form({"q-q2": ["9"], "q-q3": ["Someone else"]}), QUESTIONS)
    assert [e.field for e in errors] == ["q-q1", "q-q2", "q-q3"]
    assert errors[0].message == "Answer “Was it clear?”"


def test_an_opportunity_needs_the_facts_matching_uses() -> None:
    _, errors = forms.opportunity(form(), TODAY)
    assert {e.field for e in errors} >= {"title", "description", "kind", "stage", "methods",
                                         "postcode_district", "seats", "closing_date"}
    body, errors = forms.opportunity(form(
        title="Workshop", description="Design it with us", kind="co_design_workshop",
        stage="design", methods=["in_person"], postcode_district="ls1", seats="2",
        commitment="one_off", remuneration="paid", closing_date="2026-03-31"), TODAY)
    assert errors == []
    assert (body["postcode_district"], body["seats"], body["payment_basis"]) == ("LS1", 2,
                                                                                 "sessional")


def test_an_opportunity_cannot_close_in_the_past() -> None:
    _, errors = forms.opportunity(form(closing_date="2026-03-01"), TODAY)
    assert FieldError("closing_date", "The closing date must be today or later") in errors


def test_a_change_links_only_this_consultations_responses_and_real_partners() -> None:
    body, errors = forms.change(form(title="Named contact", what_changed="A contact",
                                     service_area="Discharge", owner="Lead",
                                     feedback_ids=["f1", "f9"], partners=["org-2", "org-9"]),
                                "org-1", TODAY, ["f1", "f2"], ["org-1", "org-2"])
    assert errors == []
    assert body["feedback_ids"] == ["f1"]
    assert [p["organisation_id"] for p in body["organisations"]] == ["org-1", "org-2"]
    _, errors = forms.change(form(), "org-1", TODAY, ["f1"], [])
    assert [e.field for e in errors] == ["title", "what_changed", "service_area", "owner",
                                         "feedback_ids"]


def test_a_change_can_come_from_stories_alone_and_links_only_known_ones() -> None:
    base = {"title": "Night checks", "what_changed": "Hourly checks", "service_area": "Wards",
            "owner": "Ward Manager"}
    body, errors = forms.change(form(**base, story_ids=["s1", "s9"]), "org-1", TODAY, [],
                                ["org-1"], ["s1", "s2"])
    assert errors == [] and body["story_ids"] == ["s1"] and body["feedback_ids"] == []
    _, errors = forms.change(form(**base), "org-1", TODAY, [], ["org-1"], ["s1"])
    assert errors == [forms.FieldError("story_ids", "Choose the stories that led to the change")]
    _, errors = forms.change(form(**base), "org-1", TODAY, ["f1"], ["org-1"], ["s1"])
    assert [e.field for e in errors] == ["feedback_ids"]


def test_a_story_names_only_the_networks_organisations() -> None:
    body, errors = forms.story(form(title="T", service_area="Wards", text="It happened",
                                    organisation_ids=["org-1", "elsewhere"]), ["org-1"])
    assert errors == [] and body["organisation_ids"] == ["org-1"]


def test_a_services_field_errors_land_on_the_forms_fields() -> None:
    found = forms.from_service([{"location": "body.methods.0", "message": "bad"}],
                               ["roles", "methods"])
    assert found == [FieldError("methods", "bad")]


def test_words_are_plain() -> None:
    assert words.label("in_person") == "In person"
    assert words.label("mental_health") == "Mental health"
    assert words.labels([]) == "None given"
    assert words.day("2026-03-02") == "2 March 2026"
    assert words.day("2026-03-02T10:00:00+00:00") == "2 March 2026"
    assert words.pounds(540) == "£5.40"


def test_a_chart_is_svg_with_a_title_and_every_value_in_words() -> None:
    svg = charts.bar_chart("Loop <closure>", [("Outcomes", 50.0), ("Reach", None)], unit="%",
                           most=100)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title>Loop &lt;closure&gt;</title>" in svg
    assert "Outcomes: 50%" in svg and "Reach: not known" in svg
    assert 'width="150"' in svg  # half of the 300-pixel bar
    assert "<script" not in svg


def test_production_refuses_a_missing_session_secret_or_local_services() -> None:
    with pytest.raises(SettingsError, match="CHORUS_PORTAL_SESSION_SECRET"):
        load(environment="production")
    with pytest.raises(SettingsError, match="CHORUS_REGISTRY_URL"):
        load(environment="production", portal_session_secret="x" * 40)
    settings = load(portal_port=8100, port_offset=5)
    assert settings.url_of("feedback") == "http://127.0.0.1:8008"
    assert settings.secure_cookies is False


def test_the_portal_will_not_start_without_its_front_end_packages(tmp_path: Path) -> None:
    from portal.bootstrap import create_app

    with pytest.raises(SettingsError, match=r"install-portal-assets\.sh"):
        create_app(load(data_dir=tmp_path, portal_assets_dir=tmp_path / "nowhere"))


def test_chorus_up_gets_the_portal_and_its_port(tmp_path: Path) -> None:
    from portal.bootstrap import for_platform

    app, port = for_platform(data_dir=tmp_path, host=None, port_offset=5)
    assert port == 8005 and app.title == "Chorus portal"
    assert (tmp_path / "portal-session-secret").stat().st_mode & 0o777 == 0o600


def test_a_sessions_time_is_given_in_uk_time_so_two_on_one_day_differ() -> None:
    assert words.when("2026-06-01T09:00:00+00:00", "2026-06-01T11:30:00+00:00") == \
        "1 June 2026, 10:00 to 12:30"  # British Summer Time
    assert words.when("2026-12-01T09:00:00+00:00") == "1 December 2026, 09:00"
