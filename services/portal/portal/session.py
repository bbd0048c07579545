"""Who is signed in: the token a service gave them, kept in the signed session cookie, and
the anti-forgery token every form carries."""

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request

CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class SignedIn:
    """The person behind this browser, as their token says (the services check the token
    itself on every call; the portal only uses it to choose pages)."""

    token: str
    role: str
    label: str
    network_id: str | None = None
    org_id: str | None = None
    participant_id: str | None = None

    @property
    def is_participant(self) -> bool:
        return self.role == "participant" and self.participant_id is not None

    @property
    def is_staff(self) -> bool:
        return self.role == "org_staff" and self.org_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "network_admin"


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a token the registry just gave us (its signature is the services'
    business; ours is on the cookie that carries it)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def sign_in(request: Request, token: str, label: str) -> None:
    """Start a fresh session (a new anti-forgery token too) for this person."""
    request.session.clear()
    request.session.update({"token": token, "label": label, "since": time.time(),
                            CSRF_FIELD: secrets.token_urlsafe(32)})


IDLE_MINUTES = 15
"""A session ends when its token expires: 15 minutes after the last renewal."""
RENEW_AFTER = 5 * 60
"""Seconds after which a token in use is swapped for a fresh one (so at most one call to
the registry every 5 minutes per person)."""
LONGEST_HOURS = 8
"""However active, a session ends this long after signing in."""


def renewal_due(request: Request, now: float) -> bool:
    """Whether the signed-in person's token is old enough to renew, within the session's
    longest life."""
    token = request.session.get("token")
    since = request.session.get("since")
    if not isinstance(token, str) or not isinstance(since, int | float):
        return False
    if now - since > LONGEST_HOURS * 3600:
        return False
    return now - float(claims_of(token).get("iat", now)) > RENEW_AFTER


def renewed(request: Request, token: str) -> None:
    request.session["token"] = token


def ended(request: Request, now: float) -> str | None:
    """Why a session that was open has ended (it is then cleared), or None."""
    token = request.session.get("token")
    if not isinstance(token, str):
        return None
    since = request.session.get("since")
    if isinstance(since, int | float) and now - since > LONGEST_HOURS * 3600:
        why = (f"For your security, you were signed out {LONGEST_HOURS} hours after signing "
               "in. Sign in again to carry on.")
    elif signed_in(request) is None:
        why = (f"For your security, you were signed out because nothing happened for "
               f"{IDLE_MINUTES} minutes. Sign in again to carry on.")
    else:
        return None
    sign_out(request)
    return why


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request) -> SignedIn | None:
    """The signed-in person, or None (also once their token has expired)."""
    token = request.session.get("token")
    if not isinstance(token, str):
        return None
    try:
        claims = claims_of(token)
    except jwt.PyJWTError:
        return None
    if float(claims.get("exp", 0)) <= time.time():
        return None
    return SignedIn(token=token, role=str(claims.get("role")),
                    label=str(request.session.get("label", "")),
                    network_id=claims.get("network_id"), org_id=claims.get("org_id"),
                    participant_id=claims.get("participant_id"))


def csrf_token(request: Request) -> str:
    """This session's anti-forgery token, made on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def csrf_matches(request: Request, submitted: str | None) -> bool:
    expected = request.session.get(CSRF_FIELD)
    return (isinstance(expected, str) and submitted is not None
            and hmac.compare_digest(expected.encode(), submitted.encode()))


def flash(request: Request, message: str) -> None:
    """A one-line confirmation shown on the next page."""
    request.session["flash"] = message


def take_flash(request: Request) -> str | None:
    message = request.session.pop("flash", None)
    return message if isinstance(message, str) else None
