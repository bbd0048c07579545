"""Settings, read from `CHORUS_*` environment variables and checked at start.

A bad setting stops the process with one line naming the variable and what is wrong.
"""

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chorus.errors import SettingsError


class Settings(BaseSettings):
    """Everything a Chorus process can be told. One instance per process."""

    model_config = SettingsConfigDict(env_prefix="CHORUS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path(".chorus/data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; `{service}` is replaced by the service name. "
        "Default: one SQLite file per service in the data directory.",
    )
    transport: Literal["embedded", "kafka"] = "embedded"
    kafka_bootstrap: str | None = None
    kafka_partitions: int = Field(default=6, ge=1, le=1000)
    kafka_replication_factor: int = Field(default=1, ge=1, le=10)
    kafka_security_protocol: Literal["PLAINTEXT", "SSL"] = Field(
        default="PLAINTEXT",
        description="How the Kafka clients connect: PLAINTEXT, or SSL (TLS, with a client "
        "certificate when CHORUS_KAFKA_CERT_FILE is set: mutual TLS).",
    )
    kafka_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed the brokers' certificates (Strimzi: "
        "`ca.crt` of `<cluster>-cluster-ca-cert`). Default: the system's CAs.",
    )
    kafka_cert_file: Path | None = Field(
        default=None, description="PEM client certificate for mutual TLS (Strimzi: `user.crt` "
        "of the KafkaUser's Secret).")
    kafka_key_file: Path | None = Field(
        default=None, description="PEM private key of the client certificate (`user.key`).")
    bus_url: str | None = None
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_offset: int = Field(default=0, ge=0, le=50000,
                             description="Added to every service's default port by `chorus up`.")
    auto_migrate: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_request_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576,
                                   description="Request bodies larger than this get a 413.")
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    poll_interval: float = Field(default=1.0, gt=0, le=60)
    consumer_attempts: int = Field(default=3, ge=1, le=20)
    consumer_backoff: float = Field(default=0.05, ge=0, le=60)
    master_key: SecretStr | None = Field(
        default=None,
        description="32 random bytes, base64-encoded (`openssl rand -base64 32`), from which "
        "the keys that protect personal data derive. Required in production; in development "
        "a key file in the data directory is used when unset.",
    )
    signing_key: SecretStr | None = Field(
        default=None,
        description="The Ed25519 private key (PEM) that signs access tokens. Required in "
        "production where tokens are issued; in development a key file in the data directory "
        "is made on first use.",
    )
    jwks_url: str | None = Field(
        default=None,
        description="Where to fetch the public keys that check access tokens (registry's "
        "`/.well-known/jwks.json`). Default: the public half of the signing key.",
    )
    notifications_url: str | None = Field(
        default=None,
        description="Where the notifications service answers (the registry sends sign-in codes "
        "through it). Default: the notifications service of this machine's `chorus up`.",
    )
    service_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="API keys of other Chorus services by name, as JSON "
        '(`{"notifications": "..."}`); each exchanges for a service token.',
    )
    admin_api_key: SecretStr | None = Field(
        default=None,
        description="The platform administrator's API key (exchanged for a network_admin "
        "token). In development a random one is kept in the data directory when unset.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.transport == "kafka" and not self.kafka_bootstrap:
            raise ValueError("CHORUS_KAFKA_BOOTSTRAP is required when CHORUS_TRANSPORT=kafka")
        self._consistent_kafka_tls()
        if self.environment == "production":
            if self.transport != "kafka":
                raise ValueError("production needs CHORUS_TRANSPORT=kafka")
            if not (self.database_url or "").startswith("postgresql"):
                raise ValueError("production needs a PostgreSQL CHORUS_DATABASE_URL")
        if self.database_url and not self.database_url.startswith(("sqlite", "postgres")):
            raise ValueError("CHORUS_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return self

    def _consistent_kafka_tls(self) -> None:
        files = (self.kafka_ca_file, self.kafka_cert_file, self.kafka_key_file)
        if self.kafka_security_protocol == "PLAINTEXT" and any(files):
            raise ValueError("CHORUS_KAFKA_SECURITY_PROTOCOL: set it to SSL to use "
                             "CHORUS_KAFKA_CA_FILE, CHORUS_KAFKA_CERT_FILE and "
                             "CHORUS_KAFKA_KEY_FILE")
        if (self.kafka_cert_file is None) != (self.kafka_key_file is None):
            raise ValueError("CHORUS_KAFKA_CERT_FILE and CHORUS_KAFKA_KEY_FILE go together "
                             "(a client certificate and its private key)")

    def database_url_for(self, service: str) -> str:
        """This service's own database (each service owns its store)."""
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"
        url = self.database_url.replace("%7Bservice%7D", "{service}")  # as URL builders write it
        return _async_driver(url.replace("{service}", service))

    def embedded_bus_url(self) -> str:
        return self.bus_url or f"sqlite+aiosqlite:///{(self.data_dir / 'bus.db').resolve()}"


def _async_driver(url: str) -> str:
    for plain, driver in (("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://"),
                          ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise SettingsError with one readable line if they are wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_one_line(error)) from None


def _one_line(error: ValidationError) -> str:
    problems = []
    for issue in error.errors():
        where = ".".join(str(part) for part in issue["loc"])
        name = f"CHORUS_{where.upper()}: " if where else ""
        problems.append(f"{name}{issue['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)
