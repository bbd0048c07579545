"""Which webhook URLs and addresses the policy lets through, and how it says no. Addresses are
only checked here, never connected to."""

import pytest

from notifications.webhooks.addresses import AddressPolicy, ForbiddenDestination

STRICT = AddressPolicy()
DEVELOPMENT = AddressPolicy(allow_loopback_http=True)
HOOK = "https://hooks.example.com/chorus"

REFUSED = [
    ("10.0.0.5", "a private address"),
    ("10.255.255.255", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.254", "a private address"),
    ("192.168.1.20", "a private address"),
    ("fc00::1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("fec0::1", "a private address"),
    ("64:ff9b:1::a", "a private address"),
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    ("169.254.0.1", "a link-local address"),
    ("169.254.169.254", "a link-local address (the cloud metadata service)"),
    ("169.254.170.2", "a link-local address (the cloud metadata service)"),
    ("fe80::1", "a link-local address"),
    ("fe80::1%eth0", "a link-local address"),
    ("fd00:ec2::254", "a private address (the cloud metadata service)"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("100.64.0.1", "a carrier-grade NAT address"),
    ("100.127.255.254", "a carrier-grade NAT address"),
    ("100.100.100.200", "a carrier-grade NAT address (the cloud metadata service)"),
    ("224.0.0.251", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("0.1.2.3", "a reserved address"),
    ("192.0.0.8", "a reserved address"),
    ("192.88.99.1", "a reserved address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a broadcast address"),
    ("100::1", "a reserved address"),
    ("2001::1", "a reserved address"),
    ("5f00::1", "a reserved address"),
    ("::7f00:1", "a reserved address"),
    ("4000::1", "a reserved address"),
    ("192.0.2.10", "a documentation address"),
    ("198.51.100.7", "a documentation address"),
    ("203.0.113.9", "a documentation address"),
    ("2001:db8::1", "a documentation address"),
    ("3fff::1", "a documentation address"),
    ("198.18.0.1", "a benchmarking address"),
    ("198.19.255.254", "a benchmarking address"),
    ("2001:2::1", "a benchmarking address"),
    ("::ffff:10.0.0.1", "a private address (IPv4-mapped form of 10.0.0.1)"),
    ("::ffff:127.0.0.1", "a loopback address (IPv4-mapped form of 127.0.0.1)"),
    ("::ffff:169.254.169.254",
     "a link-local address (IPv4-mapped form of 169.254.169.254)"),
    ("64:ff9b::a00:1", "a private address (NAT64 form of 10.0.0.1)"),
    ("64:ff9b::7f00:1", "a loopback address (NAT64 form of 127.0.0.1)"),
    ("2002:a9fe:a9fe::", "a link-local address (6to4 form of 169.254.169.254)"),
    ("2002:c0a8:0101::1", "a private address (6to4 form of 192.168.1.1)"),
]

PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "11.0.0.1", "172.32.0.1", "100.128.0.1",
          "169.253.255.255", "192.169.0.1", "2606:4700::1", "2a00:1450:4009:81f::200e",
          "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]


@pytest.mark.parametrize(("address", "described"), REFUSED)
def test_internal_and_special_addresses_are_refused_saying_which_kind(
        address: str, described: str) -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        STRICT.check_address(address, url=HOOK)

    assert str(refused.value) == f"{HOOK} resolves to {address}, {described}"
    assert refused.value.reason == f"{address} is {described}"


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    STRICT.check_address(address, url=HOOK)
    DEVELOPMENT.check_address(address, url=HOOK)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1"])
def test_development_allows_loopback_addresses(address: str) -> None:
    DEVELOPMENT.check_address(address, url="http://localhost:8080/hook")
    DEVELOPMENT.check_address(address, url=HOOK)


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "fd00:ec2::254", "0.0.0.0",
                                     "::ffff:127.0.0.1", "100.64.0.1"])
def test_development_still_refuses_everything_else_that_is_not_public(address: str) -> None:
    with pytest.raises(ForbiddenDestination):
        DEVELOPMENT.check_address(address, url=HOOK)


def test_plain_http_only_ever_reaches_loopback() -> None:
    with pytest.raises(ForbiddenDestination, match="plain http may only reach loopback"):
        DEVELOPMENT.check_address("93.184.216.34", url="http://localhost/hook")
    with pytest.raises(ForbiddenDestination, match="must use https"):
        STRICT.check_address("93.184.216.34", url="http://hooks.example.com/hook")


def test_a_resolver_answer_that_is_no_address_is_refused() -> None:
    with pytest.raises(ForbiddenDestination, match=r"'example\.com' is not an IP address"):
        STRICT.check_address("example.com", url=HOOK)


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/chorus",
    "https://hooks.example.com:8443/chorus/events?partner=7&v=1",
    "https://HOOKS.Example.COM/Chorus",
    "https://93.184.216.34/hook",
    "https://[2606:4700::1]:8443/hook",
    "https://bücher.example/hook",
    "https://under_score.example.com/hook",
])
def test_public_https_urls_are_accepted(url: str) -> None:
    STRICT.check_url(url)
    DEVELOPMENT.check_url(url)


@pytest.mark.parametrize("url", [
    "http://localhost:8004/hooks",
    "http://127.0.0.1:9000/hook",
    "http://127.9.9.9/hook",
    "http://[::1]:9000/hook",
    "https://localhost/hook",
])
def test_development_accepts_this_machine_over_plain_http(url: str) -> None:
    DEVELOPMENT.check_url(url)
    with pytest.raises(ForbiddenDestination):
        STRICT.check_url(url)


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.example.com/hook", "webhook URLs must use https"),
    ("ftp://hooks.example.com/hook", "webhook URLs must use https"),
    ("javascript:alert(1)", "webhook URLs must use https"),
    ("hooks.example.com/hook", "webhook URLs must use https"),
    ("https:///hook", "the URL has no host"),
    ("https://:443/hook", "the URL has no host"),
    ("https://hooks.example.com/hook#top", "a #fragment is not allowed"),
    ("https://hooks.example.com/hook#", "a #fragment is not allowed"),
    ("https://hooks.example.com/" + "a" * 2048, "the URL is longer than 2048 characters"),
    ("https://hooks.example.com:0/hook", "port 0 cannot be reached"),
    ("https://hooks.example.com:99999/hook", "the URL is not valid"),
    ("https://hooks.example.com:https/hook", "the URL is not valid"),
    ("https://hooks example.com/hook", "spaces, control characters or backslashes"),
    ("https://hooks.example.com/ho\nok", "spaces, control characters or backslashes"),
    ("https://hooks.example.com\\@evil.example/", "spaces, control characters or backslashes"),
    ("https://exa%6dple.com/hook", "exa%6dple.com is not a valid host name"),
    ("https://-hooks.example.com/hook", "-hooks.example.com is not a valid host name"),
    ("https://hooks..example.com/hook", "is not a valid host name"),
    ("https://hooks.example.com./hook", "the host name ends with a dot"),
    ("https://[not:an:address]/hook", "the URL is not valid"),
    ("https://[10.0.0.1]/hook", "the URL is not valid"),
    ("https://[fe80::1%25eth0]/hook", "an IPv6 zone (%) is not allowed"),
    ("https://localhost/hook", "localhost is a loopback name"),
    ("https://chorus.localhost/hook", "chorus.localhost is a loopback name"),
])
def test_badly_shaped_urls_are_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        STRICT.check_url(url)

    assert why in refused.value.reason
    assert str(refused.value).endswith(refused.value.reason)


@pytest.mark.parametrize("url", ["https://partner:s3cret@hooks.example.com/hook",
                                 "https://s3cret@hooks.example.com/hook",
                                 "https://hooks.example.com@10.0.0.1/hook"])
def test_credentials_in_the_url_are_refused_and_never_repeated(url: str) -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        STRICT.check_url(url)

    assert "(user:password@) is not allowed" in refused.value.reason
    assert "s3cret" not in str(refused.value)


def test_the_error_names_the_url_and_the_address() -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        DEVELOPMENT.check_url("http://10.0.0.5/hook")

    assert str(refused.value) == "http://10.0.0.5/hook resolves to 10.0.0.5, a private address"
    assert refused.value.reason == "10.0.0.5 is a private address"


@pytest.mark.parametrize("url", [
    "http://2130706433/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7f.1/",
    "https://0x7F.0x0.0x0.0x1/",
    "https://0177.0.0.1/",
    "https://010.0.0.1/",
    "https://127.1/",
    "https://10.1/",
    "https://0/",
    "https://169.254.43518/",
])
def test_ipv4_addresses_in_odd_forms_are_refused_even_in_development(url: str) -> None:
    for policy in (STRICT, DEVELOPMENT):
        with pytest.raises(ForbiddenDestination, match="an IPv4 address in an unusual form"):
            policy.check_url(url)


@pytest.mark.parametrize(("url", "described"), [
    ("https://127.0.0.1/", "a loopback address"),
    ("https://[::1]/", "a loopback address"),
    ("https://[::ffff:127.0.0.1]/", "a loopback address (IPv4-mapped form of 127.0.0.1)"),
    ("https://[::ffff:7f00:1]/", "a loopback address (IPv4-mapped form of 127.0.0.1)"),
    ("https://[::ffff:169.254.169.254]/latest/meta-data",
     "a link-local address (IPv4-mapped form of 169.254.169.254)"),
    ("https://[64:ff9b::a9fe:a9fe]/", "a link-local address (NAT64 form of 169.254.169.254)"),
    ("https://[2002:7f00:1::]/", "a loopback address (6to4 form of 127.0.0.1)"),
    ("https://169.254.169.254/latest/meta-data",
     "a link-local address (the cloud metadata service)"),
    ("https://[fd00:ec2::254]/latest/meta-data",
     "a private address (the cloud metadata service)"),
    ("https://\uff10x7f.1/", "an IPv4 address in an unusual form"),
    ("https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "a loopback address"),
    ("https://\uff11\uff10\u3002\uff10\u3002\uff10\u3002\uff11/", "a private address"),
    ("https://0.0.0.0:8004/", "an unspecified address"),
    ("https://[::]:8004/", "an unspecified address"),
    ("https://127.0.0.1./", "the host name ends with a dot"),
    ("https://localhost./", "the host name ends with a dot"),
])
def test_ip_literals_are_judged_like_resolved_addresses(url: str, described: str) -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        STRICT.check_url(url)

    assert described in refused.value.reason


def test_mapped_loopback_is_not_loopback_enough_for_plain_http() -> None:
    with pytest.raises(ForbiddenDestination, match=r"IPv4-mapped form of 127\.0\.0\.1"):
        DEVELOPMENT.check_url("http://[::ffff:127.0.0.1]:8004/hook")


def test_a_destination_keeps_the_name_for_tls_and_the_host_header() -> None:
    hook = STRICT.destination("https://Hooks.Example.com:8443/chorus/ev%20ents?since=1&p=ü")

    assert (hook.scheme, hook.host, hook.port, hook.literal) == (
        "https", "hooks.example.com", 8443, False)
    assert hook.target == "/chorus/ev%20ents?since=1&p=%C3%BC"
    assert hook.authority == "hooks.example.com:8443"


def test_a_destination_fills_in_default_ports_and_paths() -> None:
    assert STRICT.destination("https://hooks.example.com").target == "/"
    assert STRICT.destination("https://hooks.example.com").authority == "hooks.example.com"
    assert STRICT.destination("https://bücher.example/").host == "xn--bcher-kva.example"
    ipv6 = DEVELOPMENT.destination("http://[::1]:8004/hook")
    assert (ipv6.host, ipv6.port, ipv6.literal, ipv6.authority) == ("::1", 8004, True, "[::1]:8004")
    assert DEVELOPMENT.destination("http://localhost/").port == 80
