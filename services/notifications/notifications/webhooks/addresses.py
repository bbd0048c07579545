"""Where a partner webhook may be delivered: the shape of its URL, and every address its host
resolves to. Only public unicast addresses are reachable; private networks, this machine, the
cloud metadata service and the special-purpose ranges are not (server-side request forgery)."""

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

MAX_URL_LENGTH = 2048

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Special-purpose ranges (IANA registries), most specific first. IPv4-mapped, NAT64 and
# 6to4 addresses are judged by the IPv4 address they carry, before this table.
_REFUSED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_V4("0.0.0.0/32"), "unspecified"),
    (_V4("0.0.0.0/8"), "reserved"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "reserved"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "private"),
    (_V6("100::/64"), "reserved"),
    (_V6("2001:2::/48"), "benchmarking"),
    (_V6("2001::/23"), "reserved"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("5f00::/16"), "reserved"),
    (_V6("fc00::/7"), "private"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "private"),
    (_V6("ff00::/8"), "multicast"),
)
_GLOBAL_UNICAST = _V6("2000::/3")
_NAT64 = _V6("64:ff9b::/96")
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
# A last label that is a number makes the host an IPv4 address to most URL parsers and to
# inet_aton ("2130706433", "0x7f.1", "0177.0.0.1", "127.1"): such hosts are refused.
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")


class ForbiddenDestination(ValueError):
    """A webhook URL or the address it resolves to may not be delivered to; str() names what
    and why, e.g. "http://10.0.0.5/hook resolves to 10.0.0.5, a private address". `reason` is
    the why alone, without the URL ("10.0.0.5 is a private address")."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason if reason is not None else message


@dataclass(frozen=True)
class Destination:
    """A checked webhook URL taken apart: the client connects to exactly this."""

    url: str
    scheme: str
    host: str  # lower-case ASCII; an IP address without brackets
    port: int
    target: str  # path and query, ASCII
    literal: bool  # the host is an IP address (already checked)

    @property
    def authority(self) -> str:
        """The Host header: the name (or bracketed IPv6 address) and any non-default port."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class AddressPolicy:
    """Which URLs and addresses webhooks may reach. `allow_loopback_http` admits this machine
    (loopback addresses, and plain http to localhost), for the embedded development default."""

    allow_loopback_http: bool = False

    def check_url(self, url: str) -> None:
        """Raise ForbiddenDestination unless `url` may receive webhooks (before resolving)."""
        self.destination(url)

    def check_address(self, address: str, *, url: str) -> None:
        """Raise ForbiddenDestination unless `url` may be delivered to the IP `address`."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise _forbidden(url, f"{address!r} is not an IP address") from None
        described = describe(ip)
        if described is not None and not (self.allow_loopback_http and _is_loopback(ip)):
            raise ForbiddenDestination(f"{_shown(url)} resolves to {address}, {described}",
                                       f"{address} is {described}")
        if described is None and urlsplit(url).scheme.lower() == "http":
            raise _forbidden(url, f"plain http may only reach loopback, not {address}"
                             if self.allow_loopback_http else "webhook URLs must use https")

    def destination(self, url: str) -> Destination:
        """Take `url` apart, or raise ForbiddenDestination saying what is wrong with it."""
        if len(url) > MAX_URL_LENGTH:
            raise _forbidden(url, f"the URL is longer than {MAX_URL_LENGTH} characters")
        if any(c.isspace() or not c.isprintable() or c == "\\" for c in url):
            raise _forbidden(url, "the URL contains spaces, control characters or backslashes")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise _forbidden(url, f"the URL is not valid ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise _forbidden(url, "webhook URLs must use https")
        if "@" in parts.netloc:
            raise _forbidden(_without_userinfo(url),
                             "a user name or password (user:password@) is not allowed")
        if "#" in url:
            raise _forbidden(url, "a #fragment is not allowed")
        if not parts.hostname:
            raise _forbidden(url, "the URL has no host")
        if port == 0:
            raise _forbidden(url, "port 0 cannot be reached")
        host, ip = self._host(url, parts.hostname, bracketed="[" in parts.netloc)
        if ip is not None:
            self.check_address(parts.hostname if ":" in host else host, url=url)
        self._check_scheme(url, scheme, host, ip)
        return Destination(url=url, scheme=scheme, host=host,
                           port=port if port is not None else 443 if scheme == "https" else 80,
                           target=_target(parts.path, parts.query), literal=ip is not None)

    def _host(self, url: str, hostname: str, *, bracketed: bool) -> tuple[str, IPAddress | None]:
        if bracketed:
            try:
                ipv6 = ipaddress.IPv6Address(hostname)
            except ValueError:
                raise _forbidden(url, f"[{hostname}] is not an IPv6 address") from None
            if ipv6.scope_id is not None:
                raise _forbidden(url, "an IPv6 zone (%) is not allowed")
            return str(ipv6), ipv6
        try:
            host = hostname.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise _forbidden(url, f"{hostname!r} is not a valid host name") from None
        if host.endswith("."):
            raise _forbidden(url, "the host name ends with a dot; write it without the dot")
        labels = host.split(".")
        try:
            return host, ipaddress.IPv4Address(host)
        except ValueError:
            pass
        if _NUMBER.fullmatch(labels[-1]):
            raise _forbidden(url, f"{host} is an IPv4 address in an unusual form; "
                                  "write it as four decimal numbers")
        if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            raise _forbidden(url, f"{host} is not a valid host name")
        if (host == "localhost" or host.endswith(".localhost")) and not self.allow_loopback_http:
            raise _forbidden(url, f"{host} is a loopback name")
        return host, None

    def _check_scheme(self, url: str, scheme: str, host: str, ip: IPAddress | None) -> None:
        if scheme == "https":
            return
        loopback = host == "localhost" or (ip is not None and _is_loopback(ip))
        if not (self.allow_loopback_http and loopback):
            raise _forbidden(url, "webhook URLs must use https")


def category(ip: IPAddress) -> str | None:
    """Why `ip` may not receive webhooks ("private", "loopback", "link-local", ...), or None
    for a public unicast address. IPv4-mapped, NAT64 and 6to4 forms count as what they carry."""
    verdict = _verdict(ip)
    return None if verdict is None else verdict[0]


def describe(ip: IPAddress) -> str | None:
    """`ip`'s category as a phrase ("a link-local address (the cloud metadata service)"), or
    None for a public unicast address."""
    verdict = _verdict(ip)
    if verdict is None:
        return None
    kind, detail = verdict
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address{detail}"


def _verdict(ip: IPAddress) -> tuple[str, str] | None:
    carried = _carried_ipv4(ip)
    if carried is not None:
        form, ipv4 = carried
        kind = category(ipv4)
        return None if kind is None else (kind, f" ({form} form of {ipv4})")
    detail = " (the cloud metadata service)" if ip in _METADATA else ""
    for network, kind in _REFUSED:
        if ip in network:
            return kind, detail
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST:
        return "reserved", detail
    return None if ip.is_global else ("reserved", detail)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, from the event loop's getaddrinfo; raises OSError
    when it does not resolve."""
    answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


def _carried_ipv4(ip: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    return None


def _target(path: str, query: str) -> str:
    safe = "/:@!$&'()*+,;=%-._~"
    target = quote(path or "/", safe=safe)
    return f"{target}?{quote(query, safe=safe + '?')}" if query else target


def _forbidden(url: str, reason: str) -> ForbiddenDestination:
    return ForbiddenDestination(f"{_shown(url)}: {reason}", reason)


def _shown(url: str, limit: int = 120) -> str:
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in url)
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


def _without_userinfo(url: str) -> str:
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"


def _is_loopback(ip: IPAddress) -> bool:
    return _verdict(ip) == ("loopback", "")
