"""RFC 9457 problem details for every error a Chorus API returns.

Bad input is answered with a 4xx naming what is wrong; an unexpected failure is logged
and answered with a 500 problem body that reveals nothing internal.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import Match

from chorus.errors import ConcurrencyError, Conflict, DomainRuleBroken, Gone, NotFound
from chorus.store.database import database_away

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(Exception):
    """A dependency (database, bus) is away; the client may retry later."""


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, in words a client can show."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response whose body is problem+json, for a route's extra error answers."""
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}}


_problem_response = problem_response


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("The request body is not well-formed"),
    401: _problem_response("No valid bearer token"),
    403: _problem_response("The caller may not do this"),
    404: _problem_response("Not found, or not visible to the caller"),
    409: _problem_response("Clashes with the current state"),
    410: _problem_response("No longer available"),
    413: _problem_response("The request body is too large"),
    422: _problem_response("The input breaks a rule; the detail names which"),
    503: _problem_response("A dependency is unavailable; try again later"),
}
"""Declared on every route, so the OpenAPI document says how errors look."""


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error to problem+json."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in error.errors()]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        answer = problem(error.status_code, _title(error.status_code), str(error.detail))
        answer.headers.update(error.headers or {})
        if error.status_code == 405:
            answer.headers["Allow"] = ", ".join(_allowed_methods(request))
        return answer

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(error))

    @app.exception_handler(ConcurrencyError)
    async def conflict(_: Request, error: ConcurrencyError) -> JSONResponse:
        return problem(409, "Changed by someone else", str(error),
                       expected_version=error.expected, actual_version=error.actual)

    @app.exception_handler(Conflict)
    async def clash(_: Request, error: Conflict) -> JSONResponse:
        return problem(409, "Conflict", str(error))

    @app.exception_handler(Gone)
    async def gone(_: Request, error: Gone) -> JSONResponse:
        return problem(410, "Gone", str(error))

    @app.exception_handler(DomainRuleBroken)
    async def rule(_: Request, error: DomainRuleBroken) -> JSONResponse:
        return problem(422, "Not allowed", str(error))

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_: Request, error: ServiceUnavailable) -> JSONResponse:
        return problem(503, "Service unavailable", str(error))

    @app.exception_handler(OSError)  # refused or reset connections, timeouts
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)  # every connection busy for longer than it waits
    async def away(request: Request, error: Exception) -> JSONResponse:
        if not database_away(error):
            return await unexpected(request, error)
        log.warning("%s %s: the database is unavailable (%s)", request.method,
                    request.url.path, type(error).__name__)
        answer = problem(503, "Service unavailable",
                         "The database is unavailable; nothing was changed. Try again shortly.")
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return answer

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "Something went wrong on our side.")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route offers at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
