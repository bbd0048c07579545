"""Contact details from the registry, asked for at send time and never kept.

The registry answers its internal route only for a service token, which this client gets by
exchanging the notifications service's API key (`POST /v1/auth/token`) and keeps until
shortly before it expires. Someone paused, left or erased is not given out (404 or 410):
they must not be contacted.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

TIMEOUT = 10.0
RENEW_BEFORE = 60.0  # seconds before expiry that a token is renewed


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None
    channels: frozenset[str]


class Unreachable(Exception):
    """The registry will not give out this person's details: they are paused, have left,
    were erased, or are unknown."""


class RegistryUnavailable(Exception):
    """The registry could not be asked; try again later."""


class RegistryContacts:
    """Set `http` to point the client elsewhere (tests hand it the registry app in process)."""

    def __init__(self, base_url: str, api_key: str | None, *,
                 http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http
        self._owned: httpx.AsyncClient | None = None
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def contact(self, participant_id: UUID, *, sign_in: bool = False) -> Contact:
        """How to reach this person now; Unreachable or RegistryUnavailable otherwise. For a
        sign-in code (`sign_in`) the registry answers for someone paused too."""
        try:
            response = await self._ask(participant_id, sign_in)
            if response.status_code == 401:  # the token was refused (keys rotated): renew once
                self._token = None
                response = await self._ask(participant_id, sign_in)
        except httpx.HTTPError as error:
            raise RegistryUnavailable(f"registry unreachable: {type(error).__name__}") from error
        if response.status_code in (404, 410):
            raise Unreachable(_detail(response) or f"registry answered {response.status_code}")
        if response.status_code != 200:
            raise RegistryUnavailable(f"registry answered {response.status_code}")
        return _contact(response.json())

    async def organisation_contact(self, organisation_id: UUID) -> Contact:
        """The mailbox a member organisation's staff want platform messages at, asked for
        now; Unreachable if it has none, has left or is unknown, RegistryUnavailable if the
        registry could not say."""
        url = f"{self.base_url}/internal/v1/organisations/{organisation_id}/contact"
        try:
            for _ in range(2):  # a refused token (keys rotated) is renewed once
                token = await self._service_token()
                response = await self._client().get(
                    url, headers={"Authorization": f"Bearer {token}"})
                if response.status_code != 401:
                    break
                self._token = None
            body = response.json() if response.status_code == 200 else None
        except httpx.HTTPError as error:
            raise RegistryUnavailable(f"registry unreachable: {type(error).__name__}") from error
        except ValueError:
            raise RegistryUnavailable("registry answered with something unexpected") from None
        if response.status_code in (404, 410):
            raise Unreachable(_detail(response) or f"registry answered {response.status_code}")
        if response.status_code != 200:
            raise RegistryUnavailable(f"registry answered {response.status_code}")
        return _contact(body)

    async def close(self) -> None:
        if self._owned is not None:
            await self._owned.aclose()
            if self.http is self._owned:
                self.http = None
            self._owned = None

    async def _ask(self, participant_id: UUID, sign_in: bool) -> httpx.Response:
        token = await self._service_token()
        return await self._client().get(
            f"{self.base_url}/internal/v1/participants/{participant_id}/contact",
            params={"purpose": "sign_in" if sign_in else "notice"},
            headers={"Authorization": f"Bearer {token}"})

    async def _service_token(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._token, lifetime = await self._exchange()
                self._renew_at = time.monotonic() + max(lifetime - RENEW_BEFORE, 0.0)
            return self._token

    async def _exchange(self) -> tuple[str, float]:
        if not self.api_key:
            raise RegistryUnavailable("the notifications service has no API key")
        response = await self._client().post(f"{self.base_url}/v1/auth/token",
                                             json={"api_key": self.api_key})
        if response.status_code != 200:
            raise RegistryUnavailable(f"registry refused the service key ({response.status_code})")
        try:
            body = response.json()
            return str(body["access_token"]), float(body.get("expires_in", 0))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RegistryUnavailable("registry answered the key exchange oddly") from None

    def _client(self) -> httpx.AsyncClient:
        if self.http is None:
            self.http = self._owned = httpx.AsyncClient(timeout=TIMEOUT)
        return self.http


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    return str(body.get("detail", ""))[:200] if isinstance(body, dict) else ""


def _contact(body: Any) -> Contact:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise RegistryUnavailable("registry answered with something unexpected")
    email = body.get("email")
    return Contact(name=body["name"], email=email if isinstance(email, str) else None,
                   channels=frozenset(str(c) for c in body.get("channels") or ()))
