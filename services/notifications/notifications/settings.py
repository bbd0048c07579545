"""The notifications service's own settings (`CHORUS_*`, beside the kernel's)."""

from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chorus.errors import SettingsError
from chorus.settings import Settings

# Standard Webhooks' schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
FIVE_DAYS = 5 * 24 * 3600.0


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_", extra="ignore")

    registry_url: str | None = Field(
        default=None, description="Where the registry answers (for contact details at send "
        "time). Default: the registry of this machine's `chorus up`.")
    smtp_host: str | None = Field(
        default=None, description="The SMTP relay. Unset in development: e-mail is written "
        "to a Maildir in the data directory instead.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(default=True, description="Upgrade to TLS with STARTTLS.")
    mail_from: str = Field(default="Chorus <no-reply@chorus.localhost>",
                           description="The From: of every e-mail.")
    webhook_retry_schedule: Annotated[tuple[float, ...], NoDecode] = Field(
        default=RETRY_SCHEDULE, description="Seconds before each attempt, comma-separated "
        "(tests compress it).")
    webhook_timeout: float = Field(default=15.0, gt=0, le=120)
    webhook_disable_after: float = Field(
        default=FIVE_DAYS, gt=0, description="Seconds an endpoint may keep failing before "
        "it is disabled.")
    webhook_allow_loopback_http: bool | None = Field(
        default=None, description="Deliver to http:// loopback endpoints. Default: only in the "
        "embedded default (development, embedded transport).")
    mail_claim_seconds: float = Field(
        default=120.0, gt=0, le=3600, description="How long a notice being e-mailed is held "
        "by the instance sending it; one still held past this was cut off mid-send and is "
        "marked uncertain, never sent again.")
    timezone: str = Field(default="Europe/London",
                          description="The clock of quiet hours and digests.")
    digest_hour: int = Field(default=8, ge=0, le=23,
                             description="The hour daily and weekly digests go out.")
    session_reminder_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    invitation_reminder_hours: float = Field(default=48.0, gt=0, le=24 * 14)

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(part) for part in value.split(",") if part.strip())
        return value


def load(kernel: Settings) -> NotificationSettings:
    """The settings, with one readable line if they are wrong."""
    try:
        settings = NotificationSettings()
    except ValidationError as error:
        raise SettingsError("; ".join(
            f"CHORUS_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in error.errors())) from None
    if settings.webhook_allow_loopback_http is None:
        embedded = kernel.environment == "development" and kernel.transport == "embedded"
        settings = settings.model_copy(update={"webhook_allow_loopback_http": embedded})
    if kernel.environment == "production" and settings.webhook_allow_loopback_http:
        raise SettingsError("CHORUS_WEBHOOK_ALLOW_LOOPBACK_HTTP: never in production")
    if kernel.environment == "production" and not settings.smtp_host:
        raise SettingsError("CHORUS_SMTP_HOST: production needs an SMTP relay")
    if settings.registry_url is None:
        port = 8001 + kernel.port_offset
        settings = settings.model_copy(update={"registry_url": f"http://127.0.0.1:{port}"})
    return settings
