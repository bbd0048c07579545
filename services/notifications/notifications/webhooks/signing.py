"""Signing secrets and signed deliveries, per the Standard Webhooks specification.

A secret is `whsec_` and the base64 of 32 random bytes. A delivery carries `webhook-id`,
`webhook-timestamp` and `webhook-signature`: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`
for each secret that signs now, space separated, so a receiver holding either secret
verifies it while a secret is being rotated.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification allows 24 to 64
CONTENT_TYPE = "application/cloudevents+json"
USER_AGENT = "Chorus-Webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(webhook_id: str, body: str, signing_secrets: Sequence[str],
                   now: datetime) -> dict[str, str]:
    """The headers of one attempt: its id, the time it was signed and its signatures."""
    if not signing_secrets:
        raise ValueError("a delivery is signed with at least one secret")
    moment = now.astimezone(UTC)
    signatures = [Webhook(secret).sign(webhook_id, moment, body) for secret in signing_secrets]
    return {"webhook-id": webhook_id, "webhook-timestamp": str(floor(moment.timestamp())),
            "webhook-signature": " ".join(signatures), "content-type": CONTENT_TYPE,
            "user-agent": USER_AGENT}
