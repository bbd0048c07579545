"""The outbound webhook client against real receivers on 127.0.0.1, started here. Host names
are answered by a fake resolver, and every connection goes through a backend that refuses to
leave loopback, so nothing here reaches another machine or asks DNS."""

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.webhooks.addresses import AddressPolicy, ForbiddenDestination, system_resolver
from notifications.webhooks.outbound import Answer, DeliveryError, Outbound

STRICT = AddressPolicy()
DEVELOPMENT = AddressPolicy(allow_loopback_http=True)
SIGNED = {"content-type": "application/json", "webhook-id": "msg_2mB8",
          "webhook-timestamp": "1767225600", "webhook-signature": "v1,c2lnbmVk"}


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A partner's HTTP/1.1 webhook receiver; `reply` says how it answers."""

    port: int = 0
    reply: str = "ok"  # ok | redirect | hang | endless | stall
    connections: int = 0
    requests: list[Received] = field(default_factory=list)
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            while await self._answer(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ")
        headers = {name.lower(): value.strip()
                   for name, _, value in (line.partition(":") for line in head[1:] if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Received(method, target, headers, body))
        if self.reply == "hang":
            await asyncio.sleep(3600)
        if self.reply == "redirect":
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/"
                         b"meta-data\r\nContent-Length: 0\r\n\r\n")
        elif self.reply == "endless":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n")
            while True:
                writer.write(b"x" * 65536)
                await writer.drain()
        elif self.reply == "stall":
            writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 8\r\n\r\nrece")
            await writer.drain()
            await asyncio.sleep(3600)
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nreceived")
        await writer.drain()
        return True


class FakeResolver:
    """Answers host names from a table, remembering what it was asked."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = answers or {}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


class LoopbackOnly(httpcore.AsyncNetworkBackend):
    """Counts the TCP connections the client opens, and fails a test that tries to open one
    anywhere but loopback."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        assert ipaddress.ip_address(host).is_loopback, f"a test tried to connect to {host}"
        self.connected.append((host, port))
        return await self._backend.connect_tcp(host, port, timeout, local_address,
                                               socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


@dataclass
class Client:
    outbound: Outbound
    resolver: FakeResolver
    backend: LoopbackOnly


MakeReceiver = Callable[..., Awaitable[Receiver]]
MakeClient = Callable[..., Client]


@pytest.fixture
async def start_receiver() -> AsyncIterator[MakeReceiver]:
    servers: list[tuple[asyncio.Server, Receiver]] = []

    async def start(reply: str = "ok", tls: ssl.SSLContext | None = None) -> Receiver:
        receiver = Receiver(reply=reply)
        server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0, ssl=tls)
        receiver.port = server.sockets[0].getsockname()[1]
        servers.append((server, receiver))
        return receiver

    yield start
    for server, receiver in servers:
        server.close()
        for handler in receiver.handlers:
            handler.cancel()
        await asyncio.gather(*receiver.handlers, return_exceptions=True)
        await server.wait_closed()


@pytest.fixture
async def receiver(start_receiver: MakeReceiver) -> Receiver:
    return await start_receiver()


@pytest.fixture
async def client() -> AsyncIterator[MakeClient]:
    made: list[Outbound] = []

    def make(policy: AddressPolicy = DEVELOPMENT, answers: dict[str, list[str]] | None = None,
             ssl_context: ssl.SSLContext | None = None) -> Client:
        resolver, backend = FakeResolver(answers), LoopbackOnly()
        outbound = Outbound(policy, resolver=resolver, ssl_context=ssl_context,
                            network_backend=backend)
        made.append(outbound)
        return Client(outbound, resolver, backend)

    yield make
    for outbound in made:
        await outbound.aclose()


async def test_a_webhook_arrives_with_its_body_and_headers(
        receiver: Receiver, client: MakeClient) -> None:
    chorus = client(DEVELOPMENT)
    url = f"http://127.0.0.1:{receiver.port}/hooks/chorus?partner=7"

    answer = await chorus.outbound.post(url, b'{"type":"ChangeMade"}', SIGNED, timeout=5)
    again = await chorus.outbound.post(url, b'{"type":"LearningShared"}', SIGNED, timeout=5)

    assert answer.status_code == again.status_code == 200
    assert 0 <= answer.latency_ms < 5000
    first, second = receiver.requests
    assert (first.method, first.target, first.body) == (
        "POST", "/hooks/chorus?partner=7", b'{"type":"ChangeMade"}')
    assert first.headers.items() >= SIGNED.items()
    assert first.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert first.headers["content-length"] == "21"
    assert second.body == b'{"type":"LearningShared"}'
    assert receiver.connections == 1, "the second delivery reuses the pooled connection"


async def test_localhost_is_resolved_by_the_resolver_and_keeps_its_name(
        receiver: Receiver, client: MakeClient) -> None:
    chorus = client(DEVELOPMENT, {"localhost": ["127.0.0.1"]})

    answer = await chorus.outbound.post(f"http://localhost:{receiver.port}/hook", b"{}", {},
                                        timeout=5)

    assert answer.status_code == 200
    assert chorus.resolver.asked == ["localhost"]
    assert chorus.backend.connected == [("127.0.0.1", receiver.port)]
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"


async def test_the_same_url_is_refused_outside_development(
        receiver: Receiver, client: MakeClient) -> None:
    chorus = client(STRICT)
    url = f"http://127.0.0.1:{receiver.port}/hook"

    with pytest.raises(DeliveryError) as failed:
        await chorus.outbound.post(url, b"{}", SIGNED, timeout=5)
    with pytest.raises(ForbiddenDestination, match=r"127\.0\.0\.1, a loopback address"):
        await chorus.outbound.check_destination(url)

    assert failed.value.forbidden
    assert str(failed.value) == failed.value.reason == "127.0.0.1 is a loopback address"
    assert chorus.backend.connected == []
    assert receiver.connections == 0


@pytest.mark.parametrize(("policy", "addresses", "why"), [
    (STRICT, ["127.0.0.1"], "127.0.0.1 is a loopback address"),
    (STRICT, ["::1"], "::1 is a loopback address"),
    (STRICT, ["10.0.0.1"], "10.0.0.1 is a private address"),
    (STRICT, ["169.254.169.254"],
     "169.254.169.254 is a link-local address (the cloud metadata service)"),
    (STRICT, ["93.184.216.34", "10.0.0.1"], "10.0.0.1 is a private address"),
    (STRICT, ["2606:4700::1", "::ffff:127.0.0.1"], "::ffff:127.0.0.1 is a loopback address"),
    (DEVELOPMENT, ["10.0.0.1"], "10.0.0.1 is a private address"),
    (DEVELOPMENT, ["127.0.0.1", "169.254.169.254"], "169.254.169.254 is a link-local address"),
])
async def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting(
        receiver: Receiver, client: MakeClient, policy: AddressPolicy, addresses: list[str],
        why: str) -> None:
    chorus = client(policy, {"hooks.partner.test": addresses})
    url = f"https://hooks.partner.test:{receiver.port}/hook"

    with pytest.raises(DeliveryError) as failed:
        await chorus.outbound.post(url, b"{}", SIGNED, timeout=5)
    with pytest.raises(ForbiddenDestination) as refused:
        await chorus.outbound.check_destination(url)

    assert failed.value.forbidden
    assert failed.value.reason.startswith(why)
    assert str(refused.value).startswith(f"{url} resolves to ")
    assert refused.value.reason == failed.value.reason
    assert chorus.resolver.asked == ["hooks.partner.test", "hooks.partner.test"]
    assert chorus.backend.connected == []
    assert receiver.connections == 0


async def test_a_name_resolving_to_public_addresses_may_be_subscribed(
        client: MakeClient) -> None:
    chorus = client(STRICT, {"hooks.partner.test": ["93.184.216.34", "2606:4700::1"]})

    await chorus.outbound.check_destination("https://hooks.partner.test/chorus")

    assert chorus.resolver.asked == ["hooks.partner.test"]
    assert chorus.backend.connected == []


async def test_a_name_that_does_not_resolve_is_said_so(client: MakeClient) -> None:
    chorus = client(STRICT, {"empty.partner.test": []})

    with pytest.raises(ForbiddenDestination, match=r"gone\.partner\.test does not resolve"):
        await chorus.outbound.check_destination("https://gone.partner.test/hook")
    with pytest.raises(ForbiddenDestination, match=r"empty\.partner\.test does not resolve"):
        await chorus.outbound.check_destination("https://empty.partner.test/hook")
    with pytest.raises(DeliveryError) as failed:
        await chorus.outbound.post("https://gone.partner.test/hook", b"{}", {}, timeout=5)

    assert str(failed.value) == "gone.partner.test does not resolve"
    assert not failed.value.forbidden
    assert chorus.backend.connected == []


async def test_a_redirect_is_the_answer_and_is_not_followed(
        start_receiver: MakeReceiver, client: MakeClient) -> None:
    receiver = await start_receiver("redirect")
    chorus = client(DEVELOPMENT)

    answer = await chorus.outbound.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {},
                                        timeout=5)

    assert answer.status_code == 302
    assert len(receiver.requests) == 1
    assert chorus.backend.connected == [("127.0.0.1", receiver.port)]


async def test_a_receiver_that_hangs_times_out_within_the_timeout(
        start_receiver: MakeReceiver, client: MakeClient) -> None:
    receiver = await start_receiver("hang")
    chorus = client(DEVELOPMENT)
    started = time.monotonic()

    with pytest.raises(DeliveryError) as failed:
        await chorus.outbound.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {},
                                   timeout=0.5)

    assert time.monotonic() - started < 1.5
    assert str(failed.value) == "timed out after 0.5 s"
    assert 450 <= failed.value.latency_ms < 1500
    assert not failed.value.forbidden
    assert len(receiver.requests) == 1


async def test_an_endless_answer_is_read_only_up_to_64_kib(
        start_receiver: MakeReceiver, client: MakeClient) -> None:
    receiver = await start_receiver("endless")
    chorus = client(DEVELOPMENT)
    started = time.monotonic()

    answer = await chorus.outbound.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {},
                                        timeout=5)

    assert answer == Answer(status_code=200, latency_ms=answer.latency_ms)
    assert time.monotonic() - started < 2


async def test_an_answer_whose_body_stalls_is_still_the_answer(
        start_receiver: MakeReceiver, client: MakeClient) -> None:
    receiver = await start_receiver("stall")
    chorus = client(DEVELOPMENT)

    answer = await chorus.outbound.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {},
                                        timeout=0.5)

    assert answer.status_code == 202
    assert 450 <= answer.latency_ms < 1500


async def test_a_refused_connection_is_a_delivery_error(client: MakeClient) -> None:
    with socket.socket() as closed:  # bound but not listening: connecting is refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        chorus = client(DEVELOPMENT)

        with pytest.raises(DeliveryError) as failed:
            await chorus.outbound.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=5)

    assert str(failed.value) == "connection refused"
    assert not failed.value.forbidden
    assert chorus.backend.connected == [("127.0.0.1", port)]


async def test_the_system_resolver_answers_address_strings() -> None:
    assert await system_resolver("127.0.0.1", 443) == ["127.0.0.1"]  # numeric: no DNS asked
    assert await system_resolver("::1", 443) == ["::1"]


# TLS: the connection goes to the checked address, the certificate is checked for the name.

@dataclass(frozen=True)
class Certificates:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    authority_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    authority_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Chorus test CA")])
    authority = _certificate(authority_name, authority_name, authority_key.public_key(),
                             authority_key, [(x509.BasicConstraints(ca=True, path_length=0), True)])
    server_certificate = _certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.partner.test")]),
        authority_name, server_key.public_key(), authority_key,
        [(x509.SubjectAlternativeName([x509.DNSName("hooks.partner.test")]), False)])
    folder = tmp_path_factory.mktemp("tls")
    chain, key = folder / "server.pem", folder / "server.key"
    chain.write_bytes(server_certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return Certificates(server=_server_context(chain, key), client=ssl.create_default_context(
        cadata=authority.public_bytes(serialization.Encoding.PEM).decode("ascii")))


def _certificate(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
                 signer: ec.EllipticCurvePrivateKey,
                 extensions: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=1))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   signer.public_key()), False))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(signer, hashes.SHA256())


def _server_context(chain: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    return context


async def test_tls_checks_the_certificate_for_the_name_while_connecting_to_the_address(
        start_receiver: MakeReceiver, client: MakeClient, certificates: Certificates) -> None:
    receiver = await start_receiver(tls=certificates.server)
    chorus = client(DEVELOPMENT, {"hooks.partner.test": ["127.0.0.1"],
                                  "other.partner.test": ["127.0.0.1"]},
                    ssl_context=certificates.client)

    answer = await chorus.outbound.post(f"https://hooks.partner.test:{receiver.port}/hook",
                                        b"{}", SIGNED, timeout=5)
    with pytest.raises(DeliveryError) as failed:
        await chorus.outbound.post(f"https://other.partner.test:{receiver.port}/hook",
                                   b"{}", SIGNED, timeout=5)

    assert answer.status_code == 200
    assert receiver.requests[0].headers["host"] == f"hooks.partner.test:{receiver.port}"
    assert chorus.backend.connected == [("127.0.0.1", receiver.port)] * 2
    assert str(failed.value).startswith("TLS certificate not accepted: Hostname mismatch")
    assert not failed.value.forbidden
    assert len(receiver.requests) == 1
