"""Pages for everyone, no sign-in needed: the start page, "you said, we did" and the
region's learning library."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from portal.web import State, render

router = APIRouter()

DEMO_ORGANISATIONS = ("Example Valley NHS Foundation Trust", "Healthwatch Example",
                      "Example Carers Centre")


@router.get("/", response_class=HTMLResponse)
async def start(request: Request) -> HTMLResponse:
    """What Chorus is, how to sign in, and (in development) the demo region's accounts."""
    return render(request, "start.html", demo_organisations=DEMO_ORGANISATIONS)


@router.get("/you-said-we-did", response_class=HTMLResponse)
async def you_said_we_did(request: Request, portal: State) -> HTMLResponse:
    """The changes organisations made because of what people said, newest first."""
    page = await portal.backend.get("feedback", "/v1/changes", limit=50)
    changes = await asyncio.gather(*(
        portal.backend.get("feedback", f"/v1/changes/{item['change_id']}")
        for item in page["items"]))
    return render(request, "changes.html", changes=changes, total=page["total"])


@router.get("/learning", response_class=HTMLResponse)
async def learning(request: Request, portal: State, q: str = "") -> HTMLResponse:
    """The region's learning library, searched by its words."""
    query = q.strip()[:200]
    page: dict[str, Any] = await portal.backend.get("feedback", "/v1/learning", q=query or None,
                                                    limit=50)
    return render(request, "learning.html", items=page["items"], total=page["total"], q=query)


@router.get("/healthz/live", response_class=PlainTextResponse)
async def live() -> str:
    return "ok"
