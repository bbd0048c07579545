"""How the registry sends a one-time sign-in code: through the notifications service, which
fetches the address from the registry and e-mails it. The registry calls its internal route
with a service token it issues itself; the code is never published as an event."""

import logging
from datetime import UTC, datetime
from uuid import UUID

import httpx

from chorus.auth import Principal, Role, TokenIssuer
from chorus.settings import Settings
from registry.application.access import CODE_LIFETIME, CodeSender, print_code

log = logging.getLogger(__name__)

ROUTE = "/internal/v1/sign-in-codes"
NOTIFICATIONS_PORT = 8004


def code_sender(settings: Settings, issuer: TokenIssuer) -> CodeSender:
    """Send codes through the notifications service; in development print them as well, so
    that the embedded default can be tried without reading e-mail."""
    url = (settings.notifications_url
           or f"http://127.0.0.1:{NOTIFICATIONS_PORT + settings.port_offset}").rstrip("/")
    me = Principal(subject="service:registry", role=Role.SERVICE, service="registry")

    async def send(participant_id: UUID, code: str) -> None:
        if settings.environment == "development":
            await print_code(participant_id, code)
        body = {"participant_id": str(participant_id), "code": code,
                "expires_at": (datetime.now(UTC) + CODE_LIFETIME).isoformat()}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(f"{url}{ROUTE}", json=body, headers={
                    "Authorization": f"Bearer {issuer.issue(me)}"})
            answer.raise_for_status()
        except httpx.HTTPError as error:  # the person can ask for another code
            log.warning("could not hand a sign-in code to the notifications service: %s",
                        error)

    return send
