"""ProxyHeadersMiddleware: forwarded values only from trusted peers, walked from the right."""

from __future__ import annotations

import pytest

from orionis import Application, Request
from orionis.middleware import ProxyHeadersMiddleware
from orionis.testing import TestClient

TRUSTED = ["10.0.0.0/8", "192.168.1.5", "2001:db8::/32"]


def make_app(trusted: list[str] = TRUSTED, **options: object) -> Application:
    app = Application()
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=trusted, **options)

    @app.get("/peer")
    async def peer(request: Request) -> dict[str, object]:
        client = request.client
        return {
            "client": [client.host, client.port] if client else None,
            "scheme": request.scheme,
            "host": request.host,
            "url": f"{request.url.scheme}://{request.url.netloc}{request.url.path}",
            "server": list(request.server) if request.server else None,
        }

    return app


def peer(
    interface: str,
    sent: dict[str, str] | list[tuple[str, str]],
    client=("10.0.0.1", 1234),
    **options: object,
) -> dict[str, object]:
    with TestClient(make_app(**options), interface, client=client) as test_client:
        r = test_client.get("/peer", headers=sent)
    assert r.status_code == 200, r.text
    return r.json()


SPOOF = {
    "x-forwarded-for": "6.6.6.6",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "evil.com",
    "forwarded": "for=6.6.6.6;proto=https;host=evil.com",
}


def test_untrusted_peer_is_ignored(interface: str) -> None:
    seen = peer(interface, SPOOF, client=("203.0.113.9", 4000))
    assert seen["client"] == ["203.0.113.9", 4000]
    assert seen["scheme"] == "http"
    assert seen["host"] == "testserver"


def test_untrusted_peer_with_only_x_forwarded(interface: str) -> None:
    headers = {k: v for k, v in SPOOF.items() if k != "forwarded"}
    seen = peer(interface, headers, client=("11.0.0.1", 4000))
    assert seen["client"] == ["11.0.0.1", 4000]
    assert seen["url"] == "http://testserver/peer"


def test_trusted_peer_x_forwarded_is_applied(interface: str) -> None:
    headers = {
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "public.example:8443",
    }
    seen = peer(interface, headers)
    assert seen["client"] == ["198.51.100.7", 0]
    assert seen["scheme"] == "https"
    assert seen["host"] == "public.example:8443"
    assert seen["url"] == "https://public.example:8443/peer"
    assert seen["server"][0] == "127.0.0.1"  # the server address is kept


def test_chain_rightmost_untrusted_hop(interface: str) -> None:
    # the client wrote 6.6.6.6 itself; 198.51.100.7 reached our trusted proxies
    chain = "6.6.6.6, 198.51.100.7, 10.1.2.3, 192.168.1.5"
    assert peer(interface, {"x-forwarded-for": chain})["client"] == ["198.51.100.7", 0]
    # several header lines form one list, in order
    lines = [("x-forwarded-for", "6.6.6.6, 198.51.100.7"), ("x-forwarded-for", "10.1.2.3")]
    assert peer(interface, lines)["client"] == ["198.51.100.7", 0]


def test_chain_all_trusted_gives_leftmost(interface: str) -> None:
    seen = peer(interface, {"x-forwarded-for": "10.9.9.9, 10.1.1.1"})
    assert seen["client"] == ["10.9.9.9", 0]


def test_trust_all_uses_leftmost(interface: str) -> None:
    seen = peer(
        interface, {"x-forwarded-for": "6.6.6.6, 7.7.7.7"}, client=("8.8.8.8", 1), trusted=["*"]
    )
    assert seen["client"] == ["6.6.6.6", 0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2.3.4:5678", ["1.2.3.4", 5678]),
        ("[2001:db9::1]:80", ["2001:db9::1", 80]),
        ("2001:db9::1", ["2001:db9::1", 0]),
        ("not-an-ip", ["10.0.0.1", 1234]),  # garbage: the peer stays
        ("1.2.3.4, garbage", ["10.0.0.1", 1234]),
        ("garbage, 1.2.3.4", ["1.2.3.4", 0]),  # left of the client: never read
        ("", ["10.0.0.1", 1234]),
        ("1.2.3.4:99999999", ["10.0.0.1", 1234]),
        ("[::1", ["10.0.0.1", 1234]),
        ("1.2.3.4" + ", 5.6.7.8" * 1000, ["10.0.0.1", 1234]),  # over the length bound
    ],
)
def test_x_forwarded_for_values(interface: str, value: str, expected: list[object]) -> None:
    assert peer(interface, {"x-forwarded-for": value})["client"] == expected


@pytest.mark.parametrize(
    ("proto", "host", "scheme", "seen_host"),
    [
        ("HTTPS", "a.example", "https", "a.example"),
        ("http, https", "x.example, b.example", "https", "b.example"),  # rightmost
        ("gopher", "x/public?", "http", "testserver"),
        ("ht tps", "a@evil.com", "http", "testserver"),
        ("", "", "http", "testserver"),
    ],
)
def test_proto_and_host_values(
    interface: str, proto: str, host: str, scheme: str, seen_host: str
) -> None:
    seen = peer(interface, {"x-forwarded-proto": proto, "x-forwarded-host": host})
    assert seen["scheme"] == scheme
    assert seen["host"] == seen_host


@pytest.mark.parametrize(
    ("value", "client", "scheme", "host"),
    [
        (
            "for=198.51.100.7;proto=https;host=pub.example",
            ["198.51.100.7", 0],
            "https",
            "pub.example",
        ),
        ('For="198.51.100.7:4711";Proto=https', ["198.51.100.7", 4711], "https", "testserver"),
        ('for="[2001:db9::1]:80"', ["2001:db9::1", 80], "http", "testserver"),
        ('for="[::1]"', ["::1", 0], "http", "testserver"),
        ("for=_hidden;proto=https", ["_hidden", 0], "https", "testserver"),
        ("for=unknown", ["unknown", 0], "http", "testserver"),
        ('for="_gazonk:_port"', ["10.0.0.1", 1234], "http", "testserver"),  # not an address
        ("proto=https;host=pub.example", ["10.0.0.1", 1234], "https", "pub.example"),
        # walk from the right: the client's own element is never read
        (
            "for=6.6.6.6;host=evil.com, for=198.51.100.7;proto=https, for=10.0.0.9",
            ["198.51.100.7", 0],
            "https",
            "testserver",
        ),
        ('for=1.2.3.4;host="x/public?"', ["1.2.3.4", 0], "http", "testserver"),
        ("for=1.2.3.4;proto=ftp", ["1.2.3.4", 0], "http", "testserver"),
    ],
)
def test_forwarded_variants(
    interface: str, value: str, client: list[object], scheme: str, host: str
) -> None:
    seen = peer(interface, {"forwarded": value})
    assert (seen["client"], seen["scheme"], seen["host"]) == (client, scheme, host)


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "for=",
        'for="1.2.3.4',
        "for=1.2.3.4;for=5.6.7.8",
        "for=1.2.3.4;;proto=https",
        "for=1.2.3.4 proto=https",
        "for=999.1.1.1",
        ",",
        "for=1.2.3.4" + ";x=" + "a" * 5000,
        "for=\x7f",
    ],
)
def test_forwarded_garbage_is_ignored(interface: str, value: str) -> None:
    seen = peer(interface, [("forwarded", value)])
    assert seen["client"] == ["10.0.0.1", 1234]
    assert seen["scheme"] == "http"


def test_garbage_forwarded_falls_back_to_x_forwarded(interface: str) -> None:
    seen = peer(interface, {"forwarded": "garbage", "x-forwarded-for": "198.51.100.7"})
    assert seen["client"] == ["198.51.100.7", 0]


def test_forwarded_wins_over_x_forwarded(interface: str) -> None:
    seen = peer(interface, {"forwarded": "for=1.1.1.1", "x-forwarded-for": "2.2.2.2"})
    assert seen["client"] == ["1.1.1.1", 0]


def test_headers_option_limits_what_is_read(interface: str) -> None:
    seen = peer(interface, SPOOF, headers=["x-forwarded-for"])
    assert seen["client"] == ["6.6.6.6", 0]
    assert seen["scheme"] == "http"
    assert seen["host"] == "testserver"


def test_ipv6_peer_and_ipv4_mapped(interface: str) -> None:
    seen = peer(interface, {"x-forwarded-for": "198.51.100.7"}, client=("2001:db8::5", 9))
    assert seen["client"] == ["198.51.100.7", 0]
    seen = peer(interface, {"x-forwarded-for": "198.51.100.7"}, client=("::ffff:10.0.0.1", 9))
    assert seen["client"] == ["198.51.100.7", 0]
    seen = peer(interface, {"x-forwarded-for": "198.51.100.7"}, client=("2001:db9::5", 9))
    assert seen["client"] == ["2001:db9::5", 9]


def test_security_headers_see_the_forwarded_scheme(interface: str) -> None:
    from orionis.middleware import SecurityHeadersMiddleware

    app = Application()
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["10.0.0.1"])
    app.add_middleware(SecurityHeadersMiddleware)
    app.get("/")(lambda: "ok")
    with TestClient(app, interface, client=("10.0.0.1", 5)) as client:
        assert (
            "strict-transport-security"
            in client.get("/", headers={"x-forwarded-proto": "https"}).headers
        )
    with TestClient(app, interface, client=("10.0.0.2", 5)) as client:
        assert (
            "strict-transport-security"
            not in client.get("/", headers={"x-forwarded-proto": "https"}).headers
        )


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="not an IP address or CIDR"):
        ProxyHeadersMiddleware(["localhost"])
    with pytest.raises(TypeError):
        ProxyHeadersMiddleware("10.0.0.1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown proxy headers"):
        ProxyHeadersMiddleware(["10.0.0.1"], headers=["x-real-ip"])
