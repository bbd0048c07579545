"""Development secrets kept in the data directory (master key, signing key, admin key).

Production passes secrets in settings; on one machine they are made on first use.
"""

import os
import secrets
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chorus.settings import Settings


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The secret in `path`, made by `make` and written there (mode 0600) if missing."""
    if not path.exists():
        _create(path, make())
    return path.read_text(encoding="ascii", errors="replace")


def _create(path: Path, text: str) -> None:
    # Written aside, then linked into place: the link fails if another process got there
    # first (services starting together all end up with one secret), and nobody ever reads
    # a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        with suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)


SERVICES_WITH_KEYS = ("notifications",)
"""The services that call another with a service token (exchanged for their API key)."""


def service_api_keys(settings: "Settings") -> dict[str, str]:
    """Every service's API key by name: as configured (`CHORUS_SERVICE_KEYS`); in
    development, one made once per service and kept in a 0600 file of the data directory."""
    keys = {name: key.get_secret_value() for name, key in settings.service_keys.items()}
    if settings.environment == "development":
        for name in SERVICES_WITH_KEYS:
            if name not in keys:
                keys[name] = read_or_create(
                    settings.data_dir / f"{name}-api-key",
                    lambda: f"chorus_service_{secrets.token_urlsafe(24)}\n").strip()
    return keys
