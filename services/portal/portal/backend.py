"""The services' APIs, called with the signed-in person's token. The portal keeps nothing:
every page asks the services afresh."""

from collections.abc import Mapping
from typing import Any

import httpx
from opentelemetry.propagate import inject

SERVICES = ("registry", "opportunities", "feedback", "notifications")


class ServiceRefused(Exception):
    """A service answered 4xx: the problem details it gave, to show the person."""

    def __init__(self, status: int, title: str, detail: str,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []


class ServiceAway(Exception):
    """A service did not answer, or answered 5xx: nothing the person did wrong."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is not answering")
        self.service = service


class Backend:
    """One HTTP client per service; `call` returns the JSON answer or raises."""

    def __init__(self, clients: Mapping[str, httpx.AsyncClient]) -> None:
        self.clients = dict(clients)

    @classmethod
    def over_http(cls, urls: Mapping[str, str], timeout: float) -> "Backend":
        return cls({name: httpx.AsyncClient(base_url=url, timeout=timeout)
                    for name, url in urls.items()})

    async def call(self, service: str, method: str, path: str, *, token: str | None = None,
                   json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        inject(headers)  # the services' spans join the page's trace (W3C traceparent)
        try:
            answer = await self.clients[service].request(
                method, path, json=json, params=params, headers=headers)
        except httpx.HTTPError:
            raise ServiceAway(service) from None
        if answer.status_code >= 500:
            raise ServiceAway(service)
        if answer.status_code >= 400:
            raise _refusal(answer)
        return answer.json() if answer.content else None

    async def get(self, service: str, path: str, token: str | None = None,
                  **params: Any) -> Any:
        wanted = {name: value for name, value in params.items() if value is not None}
        return await self.call(service, "GET", path, token=token, params=wanted)

    async def post(self, service: str, path: str, token: str | None = None,
                   json: Any = None) -> Any:
        return await self.call(service, "POST", path, token=token, json=json)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


def _refusal(answer: httpx.Response) -> ServiceRefused:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return ServiceRefused(answer.status_code, str(body.get("title", "Refused")),
                          str(body.get("detail", answer.reason_phrase)),
                          body.get("errors") if isinstance(body.get("errors"), list) else None)
