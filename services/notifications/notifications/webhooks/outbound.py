"""The one way out to partner webhooks: an HTTP client that only reaches addresses the policy
allows, and connects to the very address it checked.

Built on httpcore's public network-backend interface (`httpcore.AsyncNetworkBackend`, passed
to `httpcore.AsyncConnectionPool`): the pool asks the backend to connect to a host name, and
our backend resolves that name once, checks every address, and opens the TCP connection to
a checked address itself. TLS still verifies the certificate against the host name, which
also stays in the Host header. The pool reads no proxy settings from the environment and
never follows redirects."""

import asyncio
import ssl
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore

from notifications.webhooks.addresses import (
    AddressPolicy,
    Destination,
    ForbiddenDestination,
    Resolver,
    system_resolver,
)

ANSWER_LIMIT = 64 * 1024  # bytes of an answer read (and discarded) before hanging up
RESOLVE_TIMEOUT = 10.0  # seconds a subscription's host may take to resolve
_UNSENT_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})

# The destination of the delivery under way in this task, for the backend to check against.
_delivering: ContextVar[Destination | None] = ContextVar("delivering", default=None)


@dataclass(frozen=True)
class Answer:
    """The receiver's HTTP answer; its body is read (up to 64 KiB) and thrown away."""

    status_code: int
    latency_ms: int


class DeliveryError(Exception):
    """An attempt that got no HTTP answer: str() is a short reason ("timed out after 15 s",
    "connection refused", "10.0.0.5 is a private address") with no response body in it."""

    def __init__(self, reason: str, *, latency_ms: int, forbidden: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.latency_ms = latency_ms
        self.forbidden = forbidden  # refused by the address policy


class Unresolvable(Exception):
    """The host name did not resolve to any address."""


# What counts as "no answer came"; anything else is a bug and propagates.
_NO_ANSWER = (ForbiddenDestination, Unresolvable, TimeoutError, httpcore.TimeoutException,
              httpcore.NetworkError, httpcore.ProtocolError)


class Outbound:
    """POSTs webhooks to destinations the policy allows, over a bounded connection pool."""

    def __init__(self, policy: AddressPolicy, *, resolver: Resolver = system_resolver,
                 max_connections: int = 100, ssl_context: ssl.SSLContext | None = None,
                 network_backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        """`ssl_context` defaults to httpcore's (certifi's CAs, hostname checked);
        `network_backend` is what opens TCP connections to checked addresses (anyio's)."""
        self._policy = policy
        self._resolver = resolver
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpcore.default_ssl_context(),
            max_connections=max_connections, keepalive_expiry=30.0, retries=0,
            network_backend=CheckedBackend(policy, resolver,
                                           network_backend or httpcore.AnyIOBackend()))

    async def check_destination(self, url: str) -> None:
        """Raise ForbiddenDestination unless `url` may receive webhooks: its shape, and every
        address its host resolves to now (or that it does not resolve)."""
        destination = self._policy.destination(url)
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                await checked_addresses(self._policy, self._resolver, destination)
        except (Unresolvable, TimeoutError):
            reason = f"{destination.host} does not resolve to any address"
            raise ForbiddenDestination(f"{url}: {reason}", reason) from None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], *,
                   timeout: float) -> Answer:  # noqa: ASYNC109 (a deadline per attempt)
        """POST `body` to `url` within `timeout` seconds in all; a redirect is an answer like
        any other. Raises DeliveryError when no HTTP answer came."""
        started = time.monotonic()
        try:
            destination = self._policy.destination(url)
        except ForbiddenDestination as exc:
            raise DeliveryError(exc.reason, latency_ms=0, forbidden=True) from exc
        token = _delivering.set(destination)
        status: int | None = None
        try:
            async with asyncio.timeout(timeout):
                async with self._pool.stream(
                    "POST", _url(destination), headers=_headers(destination, headers),
                    content=body, extensions={"timeout": dict.fromkeys(
                        ("connect", "read", "write", "pool"), timeout)},
                ) as response:
                    status = response.status
                    await _discard(response)
        except _NO_ANSWER as exc:
            # An answer whose body stalls or breaks off is still the receiver's answer.
            if status is None:
                raise _failure(exc, timeout, started) from exc
        finally:
            _delivering.reset(token)
        return Answer(status_code=status, latency_ms=_since(started))

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()


async def checked_addresses(policy: AddressPolicy, resolver: Resolver,
                            destination: Destination) -> list[str]:
    """Every address `destination`'s host resolves to, each allowed by `policy`; raises
    ForbiddenDestination if any is not, Unresolvable if there are none."""
    if destination.literal:
        return [destination.host]
    try:
        addresses = list(await resolver(destination.host, destination.port))
    except OSError:
        addresses = []
    if not addresses:
        raise Unresolvable(f"{destination.host} does not resolve")
    for address in addresses:
        policy.check_address(address, url=destination.url)
    return addresses


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens a connection only for the delivery under way, and only to an address of its host
    that the policy allows, resolved right now: the name is never resolved again after the
    check (no DNS rebinding)."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver,
                 backend: httpcore.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._resolver = resolver
        self._backend = backend

    # httpcore's network interfaces take per-operation timeouts.
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        destination = _delivering.get()
        if destination is None or (destination.host, destination.port) != (host, port):
            raise ForbiddenDestination(f"{host}:{port} is not the destination being delivered to")
        failure: httpcore.ConnectError | None = None
        for address in await checked_addresses(self._policy, self._resolver, destination):
            try:
                stream = await self._backend.connect_tcp(address, port, timeout, local_address,
                                                         socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
            else:
                return _PlainSpokenStream(stream)
        raise httpcore.ConnectError(_connect_failure(failure)) from failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenDestination("webhooks are delivered over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _PlainSpokenStream(httpcore.AsyncNetworkStream):
    """A connection whose TLS failures read as one short sentence."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None,  # noqa: ASYNC109
                        ) -> httpcore.AsyncNetworkStream:
        try:
            return await self._stream.start_tls(ssl_context, server_hostname, timeout)
        except httpcore.ConnectError as exc:
            raise httpcore.ConnectError(_tls_failure(exc.__cause__)) from exc

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _url(destination: Destination) -> httpcore.URL:
    return httpcore.URL(scheme=destination.scheme, host=destination.host,
                        port=destination.port, target=destination.target)


def _headers(destination: Destination, headers: Mapping[str, str]) -> list[tuple[str, str]]:
    given = [(name, value) for name, value in headers.items()
             if name.lower() not in _UNSENT_HEADERS]
    if not any(name.lower() == "user-agent" for name, _ in given):
        given.append(("User-Agent", "Chorus-Webhooks/1"))
    return [("Host", destination.authority), *given]


async def _discard(response: httpcore.Response) -> None:
    read = 0
    async for chunk in response.aiter_stream():
        read += len(chunk)
        if read >= ANSWER_LIMIT:
            return


def _failure(exc: Exception, timeout: float, started: float) -> DeliveryError:
    latency_ms = _since(started)
    if isinstance(exc, ForbiddenDestination):
        return DeliveryError(exc.reason, latency_ms=latency_ms, forbidden=True)
    if isinstance(exc, TimeoutError | httpcore.TimeoutException):
        reason = f"timed out after {timeout:g} s"
    elif isinstance(exc, Unresolvable | httpcore.ConnectError):
        reason = str(exc)
    else:
        reason = "the connection closed without an HTTP answer"
    return DeliveryError(reason, latency_ms=latency_ms)


def _connect_failure(failure: BaseException | None) -> str:
    """The innermost operating-system error behind a failed connection, in a few words."""
    innermost: OSError | None = None
    while failure is not None:
        if isinstance(failure, OSError) and failure.strerror:
            innermost = failure
        failure = failure.__cause__
    if isinstance(innermost, ConnectionRefusedError):
        return "connection refused"
    if innermost is None or not innermost.strerror:
        return "could not connect"
    return f"could not connect: {innermost.strerror.lower()}"


def _tls_failure(cause: BaseException | None) -> str:
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {cause.verify_message}"
    if isinstance(cause, ssl.SSLError):
        return f"TLS handshake failed: {cause.reason or cause}"
    return "the connection closed during the TLS handshake"


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
