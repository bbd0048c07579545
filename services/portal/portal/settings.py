"""The portal's settings, read from `CHORUS_*` environment variables and checked at start."""

import secrets
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chorus.errors import SettingsError
from chorus.secretfiles import read_or_create

PORT = 8000
SERVICE_PORTS = {"registry": 8001, "opportunities": 8002, "feedback": 8003,
                 "notifications": 8004}
ASSETS = Path(__file__).resolve().parent.parent / "node_modules"


class PortalSettings(BaseSettings):
    """Where the services answer, how sessions are signed, where the front-end packages are."""

    model_config = SettingsConfigDict(env_prefix="CHORUS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path(".chorus/data")
    host: str = "127.0.0.1"
    port_offset: int = Field(default=0, ge=0, le=50000)
    portal_port: int | None = Field(default=None, ge=1, le=65535)
    registry_url: str | None = None
    opportunities_url: str | None = None
    feedback_url: str | None = None
    notifications_url: str | None = None
    portal_session_secret: SecretStr | None = Field(
        default=None, description="Signs the portal's session cookies (32+ random characters). "
        "Required in production; in development a random one is kept in the data directory.")
    portal_assets_dir: Path = Field(
        default=ASSETS, description="The npm packages the portal serves (nhsuk-frontend, "
        "htmx.org): the node_modules folder `scripts/install-portal-assets.sh` fills.")
    portal_secure_cookies: bool | None = Field(
        default=None, description="Send the session cookie over HTTPS only. Default: on in "
        "production.")
    portal_service_timeout: float = Field(default=15.0, gt=0, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.environment == "production":
            secret = self.portal_session_secret
            if secret is None or len(secret.get_secret_value()) < 32:
                raise ValueError("CHORUS_PORTAL_SESSION_SECRET of 32 or more characters is "
                                 "required in production")
            if not all(self.url_of(name) != _local(name, self.port_offset)
                       for name in SERVICE_PORTS):
                raise ValueError("production needs CHORUS_REGISTRY_URL, "
                                 "CHORUS_OPPORTUNITIES_URL, CHORUS_FEEDBACK_URL and "
                                 "CHORUS_NOTIFICATIONS_URL")
        return self

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def secure_cookies(self) -> bool:
        if self.portal_secure_cookies is None:
            return not self.development
        return self.portal_secure_cookies

    def url_of(self, service: str) -> str:
        """Where a service answers: as configured, else this machine's `chorus up` port."""
        configured: str | None = getattr(self, f"{service}_url")
        return (configured or _local(service, self.port_offset)).rstrip("/")

    def session_secret(self) -> str:
        """The configured secret; in development one made once and kept in the data dir."""
        if self.portal_session_secret is not None:
            return self.portal_session_secret.get_secret_value()
        return read_or_create(self.data_dir / "portal-session-secret",
                              lambda: secrets.token_urlsafe(48) + "\n").strip()


def _local(service: str, offset: int) -> str:
    return f"http://127.0.0.1:{SERVICE_PORTS[service] + offset}"


def load(**overrides: object) -> PortalSettings:
    """Read the settings; raise SettingsError with one readable line if they are wrong."""
    try:
        return PortalSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = [f"CHORUS_{'.'.join(map(str, e['loc'])).upper()}: "
                    f"{e['msg'].removeprefix('Value error, ')}" if e["loc"]
                    else e["msg"].removeprefix("Value error, ") for e in error.errors()]
        raise SettingsError("; ".join(problems)) from None
