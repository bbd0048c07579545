"""Pages for a network's administrators: the organisations in the network, and the dashboard
comparing them on the same definitions."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal import charts, words
from portal.backend import ServiceRefused
from portal.web import Admin, State, render

router = APIRouter(prefix="/admin")

COMPARED = ("outcomes_published", "median_days_to_outcome", "led_to_change",
            "involved_from_the_beginning", "involved_only_at_evaluation",
            "participants_involved", "top_tenth_share", "gini", "reach_most_deprived",
            "median_days_to_expense_payment")
"""The figures every organisation is compared on, in the order the dashboard shows them."""
CHARTED = ("outcomes_published", "led_to_change", "involved_from_the_beginning")


@router.get("", response_class=HTMLResponse)
async def networks(request: Request, person: Admin, portal: State) -> HTMLResponse:
    """The networks this administrator looks after (one, unless they run the platform)."""
    found = await portal.backend.get("registry", "/v1/networks", person.token)
    mine = [n for n in found if person.network_id in (None, str(n["network_id"]))]
    return render(request, "admin/networks.html", networks=mine)


async def _network(portal: State, person: Admin, network_id: str) -> dict[str, Any]:
    found = await portal.backend.get("registry", "/v1/networks", person.token)
    return next((n for n in found if str(n["network_id"]) == network_id),
                {"network_id": network_id, "name": "This network"})


@router.get("/networks/{network_id}", response_class=HTMLResponse)
async def organisations(request: Request, network_id: str, person: Admin,
                        portal: State) -> HTMLResponse:
    """The organisations that belong to the network."""
    network, members = await asyncio.gather(
        _network(portal, person, network_id),
        portal.backend.get("registry", f"/v1/networks/{network_id}/organisations",
                           person.token))
    return render(request, "admin/organisations.html", network=network, members=members)


async def _figures_of(portal: State, person: Admin, organisation_id: str) -> dict[str, Any]:
    """An organisation's figures; none yet for one that joined a moment ago, before the
    feedback service has heard of it."""
    try:
        found = await portal.backend.get(
            "feedback", f"/v1/metrics/organisations/{organisation_id}", person.token)
    except ServiceRefused as refused:
        if refused.status != 404:
            raise
        return {}
    figures: dict[str, Any] = found["figures"]
    return figures


@router.get("/networks/{network_id}/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, network_id: str, person: Admin,
                    portal: State) -> HTMLResponse:
    """Every organisation beside the others and the whole network, on the same figures and
    the same definitions, with charts of the loop-closure figures."""
    network, members, whole = await asyncio.gather(
        _network(portal, person, network_id),
        portal.backend.get("registry", f"/v1/networks/{network_id}/organisations",
                           person.token),
        portal.backend.get("feedback", f"/v1/metrics/networks/{network_id}", person.token))
    each = await asyncio.gather(*(_figures_of(portal, person, str(m["organisation_id"]))
                                  for m in members))
    columns = [(str(m["name"]), figures) for m, figures in zip(members, each, strict=True)]
    columns.append(("Whole network", whole["figures"]))
    rows = [(name, whole["figures"][name]["definition"],
             [words.figure(figures.get(name)) for _, figures in columns])
            for name in COMPARED if name in whole["figures"]]
    comparisons = [(words.label(name), charts.bar_chart(
        f"{words.label(name)}, by organisation (per cent)",
        [(column, (figures.get(name) or {}).get("value")) for column, figures in columns],
        unit="%", most=100)) for name in CHARTED]
    return render(request, "admin/dashboard.html", network=network,
                  headings=[name for name, _ in columns], rows=rows, charts=comparisons,
                  declined=whole["figures"].get("invitations_declined"))
