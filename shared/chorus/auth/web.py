"""FastAPI wiring: a bearer token in, a Principal out; 401 and 403 as problem+json."""

import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chorus.auth.errors import Forbidden, Unauthenticated
from chorus.auth.principal import Principal, Role
from chorus.auth.tokens import TokenVerifier
from chorus.problems import problem

_bearer = HTTPBearer(auto_error=False, description="An access token from registry's "
                     "`POST /v1/auth/token` or `POST /v1/auth/participant-token`.")


async def authenticate(
    request: Request,
    # Declared only so the OpenAPI document shows the bearer scheme; the header is read below.
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal:
    """The caller, from the request's `Authorization: Bearer` token.

    Checked by the TokenVerifier on `app.state.token_verifier`; raises Unauthenticated.
    """
    return await _verifier(request).verify(_bearer_token(request))


Authenticated = Annotated[Principal, Depends(authenticate)]


async def authenticate_if_given(
    request: Request,
    # An optional header rather than the bearer scheme, so that the OpenAPI document says
    # a token may be sent, not that one must be.
    authorization: Annotated[str | None, Header(
        description="Optional: `Bearer <token>`. Without it you are anonymous.")] = None,
) -> Principal | None:
    """The caller if the request carries a token, else None (an anonymous caller).

    A token that is given must be valid: a bad one is refused, never taken as anonymous.
    """
    if authorization is None:
        return None
    return await authenticate(request)


MaybeAuthenticated = Annotated[Principal | None, Depends(authenticate_if_given)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only callers with one of these roles (else Forbidden)."""
    if not roles:
        raise ValueError("require() needs at least one role")
    allowed = frozenset(roles)
    needed = " or ".join(sorted(allowed))

    async def check(principal: Authenticated) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"this needs the {needed} role")
        return principal

    return check


def install_auth_problem_handlers(app: FastAPI) -> None:
    """Answer Unauthenticated with 401 and Forbidden with 403, both problem+json."""

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        response = problem(401, "Not authenticated", error.reason)
        response.headers["WWW-Authenticate"] = _challenge(error)
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
        return problem(403, "Forbidden", error.reason)


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("no bearer token", token_given=False)
    return token.strip()


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("app.state.token_verifier must hold the TokenVerifier")
    return verifier


def _challenge(error: Unauthenticated) -> str:
    # RFC 6750 §3.1: a request that sent no credentials gets no error code.
    if not error.token_given:
        return "Bearer"
    description = re.sub(r'[^\x20-\x7e]|["\\]', "", error.reason)
    return f'Bearer error="invalid_token", error_description="{description}"'
