"""The development admin key: kept in the data directory so `make run` can show it."""

import secrets

from chorus.secretfiles import read_or_create
from chorus.settings import Settings


def admin_api_key(settings: Settings) -> str | None:
    """The configured admin key; in development, one made once and kept in a 0600 file."""
    if settings.admin_api_key is not None:
        return settings.admin_api_key.get_secret_value()
    if settings.environment == "production":
        return None
    made = read_or_create(settings.data_dir / "admin-api-key",
                          lambda: f"chorus_admin_{secrets.token_urlsafe(24)}\n")
    return made.strip()
