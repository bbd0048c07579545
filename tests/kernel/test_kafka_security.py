"""Kafka over mutual TLS: the settings, the TLS context, and that every client gets it.

Certificates are made here (a CA, a broker certificate, a client certificate), and a TLS
handshake between the client's context and a broker-side context runs in memory, so the
check needs no broker.
"""

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chorus import runner
from chorus.errors import SettingsError
from chorus.settings import Settings, load_settings
from chorus.transport import kafka as kafka_module
from chorus.transport.kafka import KafkaBus
from chorus.transport.kafka_security import KafkaSecurity

BROKER_HOST = "chorus-kafka-bootstrap.chorus.svc"


class Authority:
    """A certificate authority that writes PEM files into a folder."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = self._sign(self.name, self.key.public_key(), ca=True)
        self.file = self._write(f"{name}.crt", self._pem(self.certificate))

    def issue(self, common_name: str, *, dns: str | None = None) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        certificate = self._sign(subject, key.public_key(), ca=False, dns=dns)
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return (self._write(f"{common_name}.crt", self._pem(certificate)),
                self._write(f"{common_name}.key", key_pem))

    def _sign(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, *, ca: bool,
              dns: str | None = None) -> x509.Certificate:
        now = datetime.now(UTC)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name)
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=1))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if dns:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]),
                                            critical=False)
        return builder.sign(self.key, hashes.SHA256())

    @staticmethod
    def _pem(certificate: x509.Certificate) -> bytes:
        return certificate.public_bytes(serialization.Encoding.PEM)

    def _write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    """Strimzi's layout: a cluster CA signs the brokers, a clients CA signs the users."""
    cluster_ca = Authority(tmp_path, "cluster-ca")
    clients_ca = Authority(tmp_path, "clients-ca")
    broker_cert, broker_key = cluster_ca.issue("broker", dns=BROKER_HOST)
    user_cert, user_key = clients_ca.issue("chorus-registry")
    return {"ca": cluster_ca.file, "clients_ca": clients_ca.file, "broker_cert": broker_cert,
            "broker_key": broker_key, "user_cert": user_cert, "user_key": user_key}


def tls_settings(pki: dict[str, Path], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "transport": "kafka", "kafka_bootstrap": f"{BROKER_HOST}:9093",
        "kafka_security_protocol": "SSL", "kafka_ca_file": pki["ca"],
        "kafka_cert_file": pki["user_cert"], "kafka_key_file": pki["user_key"]}
    return load_settings(**{**values, **overrides})


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, host: str) -> dict[str, Any]:
    """Run a TLS handshake in memory; return the certificate the server saw."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    from_server, from_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(from_server, to_server, server_hostname=host)
    server_side = server.wrap_bio(from_client, to_client, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, side in (("client", client_side), ("server", server_side)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        from_client.write(to_server.read())
        from_server.write(to_client.read())
        if all(done.values()):
            peer = server_side.getpeercert()
            assert peer is not None
            return peer
    raise AssertionError("the handshake did not finish")


def broker_context(pki: dict[str, Path]) -> ssl.SSLContext:
    """A `tls` listener with `authentication: tls`: it asks for a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["broker_cert"], pki["broker_key"])
    context.load_verify_locations(pki["clients_ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def test_plaintext_is_the_default_and_adds_no_client_options() -> None:
    security = KafkaSecurity.from_settings(load_settings())

    assert security == KafkaSecurity()
    assert security.client_options() == {}
    assert security.faststream_security() is None


def test_tls_settings_give_every_client_one_context_that_checks_the_broker(
    pki: dict[str, Path],
) -> None:
    security = KafkaSecurity.from_settings(tls_settings(pki))

    options = security.client_options()
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert context is security.ssl_context is security.client_options()["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    faststream = security.faststream_security()
    assert faststream is not None and faststream.use_ssl and faststream.ssl_context is context


def test_the_client_presents_its_certificate_to_a_listener_that_requires_one(
    pki: dict[str, Path],
) -> None:
    client = KafkaSecurity.from_settings(tls_settings(pki)).ssl_context

    peer = handshake(client, broker_context(pki), BROKER_HOST)

    assert peer["subject"] == ((("commonName", "chorus-registry"),),)


def test_the_client_refuses_a_broker_its_ca_did_not_sign(
    pki: dict[str, Path], tmp_path: Path,
) -> None:
    stranger = Authority(tmp_path, "stranger-ca")
    client = KafkaSecurity.from_settings(tls_settings(pki, kafka_ca_file=stranger.file))

    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(client.ssl_context, broker_context(pki), BROKER_HOST)


def test_the_client_refuses_a_broker_certificate_for_another_host(pki: dict[str, Path]) -> None:
    client = KafkaSecurity.from_settings(tls_settings(pki)).ssl_context

    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(client, broker_context(pki), "kafka.elsewhere.example")


@pytest.mark.parametrize(("overrides", "named"), [
    ({"kafka_security_protocol": "PLAINTEXT"}, "CHORUS_KAFKA_SECURITY_PROTOCOL"),
    ({"kafka_key_file": None}, "CHORUS_KAFKA_CERT_FILE and CHORUS_KAFKA_KEY_FILE"),
    ({"kafka_security_protocol": "TLS"}, "CHORUS_KAFKA_SECURITY_PROTOCOL"),
])
def test_inconsistent_tls_settings_are_refused_with_the_setting_named(
    pki: dict[str, Path], overrides: dict[str, Any], named: str,
) -> None:
    with pytest.raises(SettingsError, match=named):
        tls_settings(pki, **overrides)


def test_tls_without_a_client_certificate_is_allowed(pki: dict[str, Path]) -> None:
    settings = tls_settings(pki, kafka_cert_file=None, kafka_key_file=None)

    assert KafkaSecurity.from_settings(settings).ssl_context.verify_mode == ssl.CERT_REQUIRED


def test_a_missing_file_is_named(pki: dict[str, Path], tmp_path: Path) -> None:
    security = KafkaSecurity.from_settings(tls_settings(pki, kafka_ca_file=tmp_path / "none"))

    with pytest.raises(SettingsError, match="CHORUS_KAFKA_CA_FILE: no such file"):
        security.client_options()


def test_a_key_that_does_not_match_the_certificate_is_refused(pki: dict[str, Path]) -> None:
    security = KafkaSecurity.from_settings(tls_settings(pki, kafka_key_file=pki["broker_key"]))

    with pytest.raises(SettingsError, match="cannot load the Kafka TLS files"):
        security.client_options()


class Recorder:
    """Stands in for a Kafka client class and remembers how it was made."""

    def __init__(self) -> None:
        self.made: list[dict[str, Any]] = []

    def __call__(self, **options: Any) -> "Recorder":
        self.made.append(options)
        return self

    # The parts of kafka-python's clients that the bus calls.
    def close(self) -> None:
        return None

    def list_topics(self) -> list[str]:
        return ["chorus.registry.events"]

    def create_topics(self, topics: list[Any]) -> None:
        self.created = [t.name for t in topics]

    def list_group_offsets(self, group: str) -> dict[str, Any]:
        return {}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set()

    def end_offsets(self, partitions: list[Any]) -> dict[Any, int]:
        return {}


class AsyncRecorder(Recorder):
    """The same, for aiokafka's clients."""

    async def start(self) -> None:
        return None

    async def close(self) -> None:  # type: ignore[override]
        return None


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Recorder]]:
    made = {"producer": AsyncRecorder(), "admin": Recorder(), "consumer": Recorder(),
            "async_admin": AsyncRecorder()}
    monkeypatch.setattr(kafka_module, "AIOKafkaProducer", made["producer"])
    monkeypatch.setattr(kafka_module, "KafkaAdminClient", made["admin"])
    monkeypatch.setattr(kafka_module, "KafkaConsumer", made["consumer"])
    monkeypatch.setattr("aiokafka.admin.AIOKafkaAdminClient", made["async_admin"])
    yield made


async def test_every_client_of_the_bus_connects_with_the_tls_context(
    pki: dict[str, Path], clients: dict[str, Recorder],
) -> None:
    security = KafkaSecurity.from_settings(tls_settings(pki))
    bus = KafkaBus(f"{BROKER_HOST}:9093", client_id="chorus-registry", security=security)

    await bus._start_producer()
    await bus.ensure_topics(["chorus.registry.events", "chorus.registry.new"])
    await bus.lag("chorus.opportunities", ["chorus.registry.events"])

    made = [options for recorder in ("producer", "admin", "consumer")
            for options in clients[recorder].made]
    assert len(made) == 4  # the producer, two admin clients, the lag reader
    for options in made:
        assert options["security_protocol"] == "SSL"
        assert options["ssl_context"] is security.ssl_context
    # FastStream's consumers (and its own producer and admin client) are made from these:
    assert bus.broker._connection_kwargs["ssl_context"] is security.ssl_context
    assert bus.broker._connection_kwargs["security_protocol"] == "SSL"


async def test_topics_that_exist_are_not_created_again(
    pki: dict[str, Path], clients: dict[str, Recorder],
) -> None:
    bus = KafkaBus("localhost:9092", client_id="chorus-registry")

    await bus.ensure_topics(["chorus.registry.events", "chorus.registry.new"])

    assert clients["admin"].created == ["chorus.registry.new"]


async def test_a_plaintext_bus_makes_its_clients_as_before(clients: dict[str, Recorder]) -> None:
    bus = KafkaBus("localhost:9092", client_id="chorus-registry")

    await bus._start_producer()
    await bus.lag("chorus.opportunities", ["chorus.registry.events"])

    for recorder in ("producer", "admin", "consumer"):
        for options in clients[recorder].made:
            assert "ssl_context" not in options and "security_protocol" not in options
    assert "ssl_context" not in bus.broker._connection_kwargs or (
        bus.broker._connection_kwargs["ssl_context"] is None)


async def test_the_start_up_check_of_the_broker_uses_tls_too(
    pki: dict[str, Path], clients: dict[str, Recorder],
) -> None:
    settings = tls_settings(pki)

    await runner._check_kafka(settings)

    [options] = clients["async_admin"].made
    assert options["security_protocol"] == "SSL"
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_the_kernel_builds_the_bus_with_the_security_the_settings_ask_for(
    pki: dict[str, Path],
) -> None:
    from chorus.service import build_bus

    bus = build_bus(tls_settings(pki), "chorus-registry")

    assert isinstance(bus, KafkaBus)
    assert bus.security == KafkaSecurity.from_settings(tls_settings(pki))
    assert bus.security.uses_tls
