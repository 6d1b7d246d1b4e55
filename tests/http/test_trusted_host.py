"""TrustedHostMiddleware: allowed names, wildcards, ports, and every malformed Host (400)."""

from __future__ import annotations

import httpx
import pytest

from orionis import Application, Request
from orionis.middleware import ProxyHeadersMiddleware, TrustedHostMiddleware
from orionis.middleware.trusted_host import parse_host
from orionis.testing import TestClient


def make_app(**options: object) -> Application:
    app = Application()
    app.add_middleware(TrustedHostMiddleware, **options)

    @app.get("/where")
    async def where(request: Request) -> dict[str, str]:
        return {"host": request.host, "url": str(request.url.netloc)}

    return app


ALLOWED = ["example.com", "*.example.com", "127.0.0.1", "[::1]", "exact.test:8443"]


def send(client: TestClient, headers: list[tuple[str, str]] | None, drop_host: bool = False):
    """Send exactly these Host lines (none with ``drop_host``), which httpx would not."""
    request = client.build_request("GET", "/where")
    kept = [(k, v) for k, v in request.headers.multi_items() if k != "host"]
    request.headers = httpx.Headers(kept + list(headers or []))
    return client.send(request)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "EXAMPLE.com",
        "example.com.",
        "example.com:8000",
        "api.example.com",
        "a.b.example.com:1",
        "127.0.0.1:80",
        "[::1]",
        "[::1]:8080",
        "exact.test:8443",
    ],
)
def test_allowed_hosts_pass(interface: str, host: str) -> None:
    with TestClient(make_app(allowed_hosts=ALLOWED), interface) as client:
        r = client.get("/where", headers={"host": host})
    assert r.status_code == 200, r.text
    assert r.json()["host"] == host


@pytest.mark.parametrize(
    "host",
    [
        "evilexample.com",  # not a subdomain of example.com
        "example.com.evil.net",
        "evil.net",
        "exact.test",  # the pattern names port 8443 only
        "exact.test:8444",
        "127.0.0.2",
        "[::2]",
        ".example.com",
    ],
)
def test_other_hosts_are_400(interface: str, host: str) -> None:
    with TestClient(make_app(allowed_hosts=ALLOWED, www_redirect=False), interface) as client:
        r = client.get("/where", headers={"host": host})
    assert r.status_code == 400, host
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "host",
    [
        "x/public?",
        "user@example.com",
        "a@evil.com",
        "example.com:",
        "example.com:99999",
        "example.com:8o",
        "example.com:80:80",
        "exa mple.com",
        "[::1",
        "[::1]x",
        "[not-ip]:80",
        "example..com",
        "-example.com",
        "1.2.3.999",
        "x" * 300,
        "",
    ],
)
def test_malformed_host_is_400_even_with_wildcard(interface: str, host: str) -> None:
    with TestClient(make_app(allowed_hosts=["*"]), interface) as client:
        r = send(client, [("host", host)])
    assert r.status_code == 400, host
    assert r.headers["content-type"] == "application/problem+json"
    assert "malformed" in r.json()["detail"]


def test_missing_and_duplicate_host_are_400(interface: str) -> None:
    with TestClient(make_app(allowed_hosts=["*"]), interface) as client:
        missing = send(client, None, drop_host=True)
        twice = send(client, [("host", "example.com"), ("host", "example.com")])
    assert missing.status_code == 400
    assert "no Host" in missing.json()["detail"]
    assert twice.status_code == 400
    assert "more than one" in twice.json()["detail"]


def test_http2_authority_is_checked(interface: str) -> None:
    app = make_app(allowed_hosts=["example.com"])
    with TestClient(app, interface, http_version="2") as client:
        assert client.get("/where", headers={"host": "example.com"}).status_code == 200
        assert client.get("/where", headers={"host": "evil.com"}).status_code == 400


def test_www_redirect(interface: str) -> None:
    app = make_app(allowed_hosts=["www.example.com"])
    with TestClient(app, interface, follow_redirects=False) as client:
        r = client.get("/where?a=1", headers={"host": "example.com:8000"})
        assert r.status_code == 307
        assert r.headers["location"] == "http://www.example.com:8000/where?a=1"
    app = make_app(allowed_hosts=["www.example.com"], www_redirect=False)
    with TestClient(app, interface) as client:
        assert client.get("/where", headers={"host": "example.com"}).status_code == 400


def test_forwarded_host_from_a_trusted_proxy_is_the_one_checked(interface: str) -> None:
    app = Application()
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["10.0.0.0/8"])
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["public.example"])
    app.get("/")(lambda: "ok")
    with TestClient(app, interface, client=("10.0.0.1", 1234)) as client:
        ok = client.get(
            "/", headers={"host": "internal:8000", "x-forwarded-host": "public.example"}
        )
        bad = client.get("/", headers={"host": "public.example", "x-forwarded-host": "evil.com"})
    assert ok.status_code == 200
    assert bad.status_code == 400


def test_bad_patterns_are_refused_at_construction() -> None:
    for pattern in ["*example.com", "example.*", "a.*.example.com", "x/y", "a@b"]:
        with pytest.raises(ValueError, match="allowed host"):
            TrustedHostMiddleware([pattern])
    with pytest.raises(TypeError):
        TrustedHostMiddleware("example.com")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TrustedHostMiddleware([])


def test_parse_host() -> None:
    assert parse_host("Example.COM.:80") == ("example.com", 80)
    assert parse_host("[::FFFF:1.2.3.4]") == ("::ffff:1.2.3.4", None)
    assert parse_host("x/public?") is None
    assert parse_host("é.com") is None


def test_client_sees_problem_json(interface: str) -> None:
    with TestClient(make_app(allowed_hosts=["example.com"]), interface) as client:
        r = client.get("/where", headers={"host": "evil.com"})
    assert r.status_code == 400
    assert r.json()["status"] == 400
    assert isinstance(r, httpx.Response)
