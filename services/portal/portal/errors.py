"""When something goes wrong, a page that says what happened and what to do next; never a
stack trace, never a bare status code."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from portal.backend import ServiceAway, ServiceRefused
from portal.session import sign_out
from portal.web import FormForged, NeedsSignIn, go, render

FORBIDDEN = ("You cannot do that", "This page or action is not open to you. If you think it "
             "should be, ask the organisation you work with.")
NOT_FOUND = ("Page not found", "If you typed the web address, check it is correct. If you "
             "pasted it, check you copied all of it.")


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(NeedsSignIn, _needs_sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(FormForged, _forged)  # type: ignore[arg-type]
    app.add_exception_handler(ServiceAway, _away)  # type: ignore[arg-type]
    app.add_exception_handler(ServiceRefused, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]


def _page(request: Request, status: int, heading: str, message: str) -> Response:
    return render(request, "error.html", status=status, heading=heading, message=message)


async def _needs_sign_in(request: Request, error: NeedsSignIn) -> Response:
    return go("/staff/sign-in" if error.staff else "/sign-in")


async def _forged(request: Request, _: FormForged) -> Response:
    return _page(request, 403, "Your form could not be sent",
                 "For your security, forms only work from the page we sent them on, and "
                 "only for a while. Go back, reload the page and try again.")


async def _away(request: Request, error: ServiceAway) -> Response:
    return _page(request, 503, "Sorry, there is a problem with the service",
                 "Try again later. Nothing you entered has been lost on our side: if you "
                 "were sending a form, check whether it went through before sending it again.")


async def _refused(request: Request, error: ServiceRefused) -> Response:
    if error.status == 401:
        sign_out(request)
        return go("/sign-in")
    if error.status == 403:
        return _page(request, 403, *FORBIDDEN)
    if error.status == 404:
        return _page(request, 404, *NOT_FOUND)
    return _page(request, 400 if error.status < 500 else 503, "That could not be done",
                 error.detail)


async def _http(request: Request, error: HTTPException) -> Response:
    if error.status_code == 404:
        return _page(request, 404, *NOT_FOUND)
    if error.status_code == 405:
        return _page(request, 405, "That page cannot be used that way",
                     "Go back and use the links and buttons on the page.")
    return _page(request, error.status_code, "That could not be done", str(error.detail))
