"""Pages for an organisation's staff: publish an opportunity, see who fits and why, invite;
close a consultation, publish its outcome, record the change it led to; the metrics."""

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Audience,
    Commitment,
    Method,
    OpportunityKind,
    QuestionKind,
    Remuneration,
    Stage,
    SupportOffered,
    Topic,
)
from portal import charts, forms, words
from portal.backend import ServiceRefused
from portal.pages.participant import organisations
from portal.session import SignedIn, flash
from portal.web import Portal, Posted, Staff, State, go, render

router = APIRouter(prefix="/staff")

OPPORTUNITY_CHOICES = {"kind": OpportunityKind, "stage": Stage, "topics": Topic,
                       "methods": Method, "commitment": Commitment,
                       "support_offered": SupportOffered, "remuneration": Remuneration,
                       "accessibility_provided": AccessibilityNeed}


@router.get("", response_class=HTMLResponse)
async def home(request: Request, person: Staff, portal: State) -> HTMLResponse:
    mine = {"organisation_id": person.org_id, "limit": 50}
    offered, asked = await asyncio.gather(
        portal.backend.get("opportunities", "/v1/opportunities", person.token, open_only=False,
                           **mine),
        portal.backend.get("feedback", "/v1/consultations", person.token, **mine))
    return render(request, "staff/home.html", opportunities=offered["items"],
                  consultations=asked["items"])


@router.get("/opportunities/new", response_class=HTMLResponse)
async def new_opportunity(request: Request, _: Staff) -> HTMLResponse:
    return render(request, "staff/new_opportunity.html", given={}, choices=OPPORTUNITY_CHOICES)


@router.post("/opportunities/new", response_class=HTMLResponse)
async def publish(request: Request, person: Staff, portal: State, form: Posted) -> Response:
    body, errors = forms.opportunity(form, date.today())
    if not errors:
        try:
            made = await portal.backend.post("opportunities", "/v1/opportunities", person.token,
                                             json=body)
        except ServiceRefused as refused:
            errors = forms.from_service(refused.errors, OPPORTUNITY_CHOICES) or [
                forms.FieldError("title", refused.detail)]
    if errors:
        return render(request, "staff/new_opportunity.html", errors=errors, given=form.values,
                      choices=OPPORTUNITY_CHOICES)
    flash(request, "Your opportunity is published. These are the people it fits best.")
    return go(f"/staff/opportunities/{made['opportunity_id']}")


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
async def opportunity(request: Request, opportunity_id: str, person: Staff,
                      portal: State) -> HTMLResponse:
    """The opportunity, the people who fit it best with the reasons, and who was invited."""
    path = f"/v1/opportunities/{opportunity_id}"
    found, matches, invited = await asyncio.gather(
        portal.backend.get("opportunities", path, person.token),
        portal.backend.get("opportunities", f"{path}/matches", person.token, limit=20),
        portal.backend.get("opportunities", f"{path}/invitations", person.token))
    return render(request, "staff/opportunity.html", opportunity=found, matches=matches,
                  invitations=invited, excluded={k: v for k, v in matches["excluded"].items()
                                                 if v})


@router.post("/opportunities/{opportunity_id}/invite", response_class=HTMLResponse)
async def invite(request: Request, opportunity_id: str, person: Staff, portal: State,
                 form: Posted) -> Response:
    chosen = form.many("participant_ids")
    if not chosen:
        flash(request, "Choose at least one person to invite.")
        return go(f"/staff/opportunities/{opportunity_id}")
    sent = await portal.backend.post("opportunities",
                                     f"/v1/opportunities/{opportunity_id}/invitations",
                                     person.token, json={"participant_ids": chosen})
    flash(request, f"{len(sent)} {'person has' if len(sent) == 1 else 'people have'} been "
                   "invited. They will be told, and can say yes or no.")
    return go(f"/staff/opportunities/{opportunity_id}")


CONSULTATION_CHOICES = {"stage": Stage, "audience": Audience, "kind": QuestionKind}


@router.get("/consultations/new", response_class=HTMLResponse)
async def new_consultation(request: Request, _: Staff) -> HTMLResponse:
    return render(request, "staff/new_consultation.html", given={},
                  choices=CONSULTATION_CHOICES, slots=range(1, forms.QUESTION_SLOTS + 1))


@router.post("/consultations/new", response_class=HTMLResponse)
async def open_consultation(request: Request, person: Staff, portal: State,
                            form: Posted) -> Response:
    body, errors = forms.consultation(form, date.today())
    if not errors:
        try:
            made = await portal.backend.post("feedback", "/v1/consultations", person.token,
                                             json=body)
        except ServiceRefused as refused:
            errors = [forms.FieldError("title", refused.detail)]
    if errors:
        return render(request, "staff/new_consultation.html", errors=errors,
                      given=form.values, choices=CONSULTATION_CHOICES,
                      slots=range(1, forms.QUESTION_SLOTS + 1))
    flash(request, "Your consultation is open. People it is for will be told.")
    return go(f"/staff/consultations/{made['consultation_id']}")


@router.get("/consultations/{consultation_id}", response_class=HTMLResponse)
async def consultation(request: Request, consultation_id: str, person: Staff,
                       portal: State) -> HTMLResponse:
    """A consultation of this organisation: close it, read its summary, publish the outcome,
    record the change it led to."""
    return await _consultation_page(request, consultation_id, person, portal)


async def _consultation_page(request: Request, consultation_id: str, person: SignedIn,
                             portal: Portal, form: forms.Form | None = None,
                             errors: list[forms.FieldError] | None = None) -> HTMLResponse:
    path = f"/v1/consultations/{consultation_id}"
    found, responses, named, stories = await asyncio.gather(
        portal.backend.get("feedback", path, person.token),
        portal.backend.get("feedback", f"{path}/feedback", person.token, limit=100),
        organisations(portal, person), _stories_about(portal, person))
    return render(request, "staff/consultation.html", errors=errors, consultation=found,
                  responses=responses["items"], given=form.values if form else {},
                  organisations=named, stories=stories)


async def _stories_about(portal: Portal, person: SignedIn) -> list[dict[str, Any]]:
    """The published stories naming this organisation, newest first: a change can be
    linked to them too."""
    page = await portal.backend.get("feedback", "/v1/stories", person.token,
                                    organisation_id=person.org_id, limit=50)
    items: list[dict[str, Any]] = page["items"]
    return items


@router.post("/consultations/{consultation_id}/close")
async def close(request: Request, consultation_id: str, person: Staff, portal: State,
                _: Posted) -> Response:
    await portal.backend.post("feedback", f"/v1/consultations/{consultation_id}/close",
                              person.token)
    flash(request, "The consultation is closed. Its summary is below; now tell people what "
                   "you will do.")
    return go(f"/staff/consultations/{consultation_id}")


@router.post("/consultations/{consultation_id}/outcome", response_class=HTMLResponse)
async def publish_outcome(request: Request, consultation_id: str, person: Staff,
                          portal: State, form: Posted) -> Response:
    body, errors = forms.outcome(form)
    if errors:
        return await _consultation_page(request, consultation_id, person, portal, form, errors)
    await portal.backend.post("feedback", f"/v1/consultations/{consultation_id}/outcome",
                              person.token, json=body)
    flash(request, "The outcome is published: “you said, we did”.")
    return go(f"/staff/consultations/{consultation_id}")


@router.post("/consultations/{consultation_id}/change", response_class=HTMLResponse)
async def record_change(request: Request, consultation_id: str, person: Staff, portal: State,
                        form: Posted) -> Response:
    responses, named, stories = await asyncio.gather(
        portal.backend.get("feedback", f"/v1/consultations/{consultation_id}/feedback",
                           person.token, limit=100),
        organisations(portal, person), _stories_about(portal, person))
    body, errors = forms.change(form, str(person.org_id), date.today(),
                                [str(r["feedback_id"]) for r in responses["items"]], named,
                                [str(s["story_id"]) for s in stories])
    if errors:
        return await _consultation_page(request, consultation_id, person, portal, form, errors)
    made = await portal.backend.post("feedback", "/v1/changes", person.token,
                                     json=body | {"consultation_ids": [consultation_id]})
    flash(request, f"The change is recorded. {made['voices']} "
                   f"{'person' if made['voices'] == 1 else 'people'} whose feedback led to it "
                   "will be told.")
    return go(f"/staff/consultations/{consultation_id}")


@router.get("/changes/new", response_class=HTMLResponse)
async def new_change(request: Request, person: Staff, portal: State) -> HTMLResponse:
    """A change that stories about the organisation led to, outside any consultation."""
    return await _change_page(request, person, portal)


async def _change_page(request: Request, person: SignedIn, portal: Portal,
                       form: forms.Form | None = None,
                       errors: list[forms.FieldError] | None = None) -> HTMLResponse:
    named, stories = await asyncio.gather(organisations(portal, person),
                                          _stories_about(portal, person))
    return render(request, "staff/new_change.html", errors=errors, organisations=named,
                  stories=stories, given=form.values if form else {})


@router.post("/changes/new", response_class=HTMLResponse)
async def record_change_from_stories(request: Request, person: Staff, portal: State,
                                     form: Posted) -> Response:
    named, stories = await asyncio.gather(organisations(portal, person),
                                          _stories_about(portal, person))
    body, errors = forms.change(form, str(person.org_id), date.today(), [], named,
                                [str(s["story_id"]) for s in stories])
    if errors:
        return await _change_page(request, person, portal, form, errors)
    made = await portal.backend.post("feedback", "/v1/changes", person.token,
                                     json=body | {"consultation_ids": []})
    flash(request, f"The change is recorded and shown on “you said, we did”. {made['voices']} "
                   f"{'person' if made['voices'] == 1 else 'people'} whose story led to it "
                   "will be told.")
    return go("/staff")


@router.get("/metrics", response_class=HTMLResponse)
async def metrics(request: Request, person: Staff, portal: State) -> HTMLResponse:
    """The organisation's accountability figures: four charts drawn here, each with a table of
    the same figures, and every figure with its definition."""
    found = await portal.backend.get("feedback", f"/v1/metrics/organisations/{person.org_id}",
                                     person.token)
    figures: dict[str, Any] = found["figures"]
    quarters: list[dict[str, Any]] = found.get("loop_closure_by_quarter", [])
    stages = [(words.label(stage), float(count))
              for stage, count in found["opportunities_by_stage"].items()]
    return render(request, "staff/metrics.html", figures=figures, quarters=quarters,
                  stages=found["opportunities_by_stage"], gini=gini_in_words(figures),
                  loop_chart=charts.column_chart(
                      "Loop closure by quarter: outcomes published and changes made, per cent "
                      "of the consultations closed", [(_short(q["period"]), (
                          q["outcomes_published_percent"], q["led_to_change_percent"]))
                          for q in quarters], ("Outcome published", "Led to a change"),
                      missing="none closed"),
                  stage_chart=charts.bar_chart("Opportunities by stage of the work", stages),
                  reach_chart=charts.bar_chart(
                      "Reach: share of involvement by people from the most deprived areas, "
                      "per cent", _split(figures.get("reach_most_deprived"),
                                         "Most deprived areas", "Everyone else who told us"),
                      unit="%", most=100, missing="withheld"),
                  spread_chart=charts.bar_chart(
                      "Concentration: share of involvement held by the most involved tenth, "
                      "per cent", _split(figures.get("top_tenth_share"), "Most involved tenth",
                                         "Everyone else"), unit="%", most=100))


def _short(period: str) -> str:
    """"2025/26 Q1 (Apr to Jun 2025)" as "2025/26 Q1", to fit under a column."""
    return period.split(" (")[0]


def _split(figure: dict[str, Any] | None, part: str,
           rest: str) -> list[tuple[str, float | None]]:
    value = None if figure is None else figure.get("value")
    if value is None:
        return [(part, None), (rest, None)]
    return [(part, float(value)), (rest, round(100 - float(value), 1))]


def gini_in_words(figures: dict[str, Any]) -> str:
    """The Gini coefficient of involvement, said plainly."""
    value = (figures.get("gini") or {}).get("value")
    if value is None:
        return "Nobody has been involved yet, so there is nothing to compare."
    if value < 0.2:
        spread = "shared out evenly: most people took part about as often as each other"
    elif value < 0.4:
        spread = "fairly evenly shared, with some people taking part more often than others"
    elif value < 0.6:
        spread = "uneven: a smaller group of people takes part much more often than the rest"
    else:
        spread = "concentrated: a few people hold most of it"
    return f"The Gini coefficient is {value:g} (0 is perfectly even, 1 is one person holding " \
           f"it all). Involvement is {spread}."
