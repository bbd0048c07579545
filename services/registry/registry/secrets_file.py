"""The development admin key: kept in the data directory so `make run` can show it."""

import os
import secrets
from pathlib import Path

from chorus.settings import Settings


def admin_api_key(settings: Settings) -> str | None:
    """The configured admin key; in development, one made once and kept in a 0600 file."""
    if settings.admin_api_key is not None:
        return settings.admin_api_key.get_secret_value()
    if settings.environment == "production":
        return None
    path = settings.data_dir / "admin-api-key"
    if not path.exists():
        _create(path, f"chorus_admin_{secrets.token_urlsafe(24)}")
    return path.read_text().strip()


def _create(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another service made it first: use theirs
        return
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
