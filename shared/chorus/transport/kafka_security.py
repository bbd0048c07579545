"""How the Kafka clients reach the brokers: in plaintext (development and tests), or over TLS
with a client certificate (mutual TLS, as Strimzi's `tls` listeners and KafkaUsers give).

Every client the kernel makes (the relay's producer, FastStream's consumers, the admin
clients of aiokafka and kafka-python) takes its options from one `KafkaSecurity`, so none
can be left in plaintext by mistake.
"""

import ssl
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity

from chorus.errors import SettingsError
from chorus.settings import Settings

FILE_SETTINGS = (("CHORUS_KAFKA_CA_FILE", "ca_file"), ("CHORUS_KAFKA_CERT_FILE", "cert_file"),
                 ("CHORUS_KAFKA_KEY_FILE", "key_file"))


@dataclass(frozen=True)
class KafkaSecurity:
    """The Kafka clients' transport security; the default is plaintext."""

    protocol: Literal["PLAINTEXT", "SSL"] = "PLAINTEXT"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The security the `CHORUS_KAFKA_*` settings ask for."""
        return cls(settings.kafka_security_protocol, settings.kafka_ca_file,
                   settings.kafka_cert_file, settings.kafka_key_file)

    @property
    def uses_tls(self) -> bool:
        return self.protocol == "SSL"

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """One TLS context for every client (made on first use): it checks the brokers'
        certificates and host names, and presents the client certificate when there is one.

        Raises SettingsError, naming the setting, when a file is missing or unusable.
        """
        for setting, attribute in FILE_SETTINGS:
            path: Path | None = getattr(self, attribute)
            if path is not None and not path.is_file():
                raise SettingsError(f"{setting}: no such file: {path}")
        try:
            context: ssl.SSLContext = create_ssl_context(
                cafile=self.ca_file, certfile=self.cert_file, keyfile=self.key_file)
        except (ssl.SSLError, OSError, ValueError) as error:
            names = [setting for setting, attribute in FILE_SETTINGS if getattr(self, attribute)]
            raise SettingsError(f"{' / '.join(names)}: cannot load the Kafka TLS files: "
                                f"{error}") from None
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's and kafka-python's clients (both use these names).

        Plaintext adds nothing, so those clients keep their own defaults.
        """
        if not self.uses_tls:
            return {}
        return {"security_protocol": "SSL", "ssl_context": self.ssl_context}

    def faststream_security(self) -> BaseSecurity | None:
        """The same, in the form FastStream's KafkaBroker takes."""
        return BaseSecurity(ssl_context=self.ssl_context) if self.uses_tls else None
