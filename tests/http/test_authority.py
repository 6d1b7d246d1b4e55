"""HTTP/2 ``:authority`` and ``Host``: one rule on both protocols.

The authority wins when the server shows it; under RSGI HTTP/2 (where Granian passes the
authority outside the headers) it is also the ``host`` header, as Granian's ASGI side makes
it; two different hosts in one HTTP/2 request are a 400 (RFC 9113 8.3.1).

Hostile inputs tried: ``:authority: good.example`` with ``host: evil.example``, the same
with only letter case differing, two different Host values on HTTP/2, an unsafe authority.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from orionis import Application, Header, Request
from orionis.testing import TestClient


def host_app(calls: list[str]) -> Application:
    app = Application()

    @app.get("/where")
    async def where(request: Request, host: Annotated[str, Header()]) -> dict:
        calls.append("where")
        return {
            "param": host,
            "header": request.headers.get("host"),
            "all": request.headers.getlist("host"),
            "host": request.host,
            "url": str(request.url),
        }

    return app


def test_authority_alone_is_the_host_header_on_both_protocols(interface: str) -> None:
    calls: list[str] = []
    with TestClient(host_app(calls), interface, http_version="2") as client:
        r = client.get("/where", headers={"host": "good.example"})
    assert r.json() == {
        "param": "good.example",
        "header": "good.example",
        "all": ["good.example"],
        "host": "good.example",
        "url": "http://good.example/where",
    }


def test_authority_and_host_that_agree_are_accepted(interface: str) -> None:
    calls: list[str] = []
    with TestClient(host_app(calls), interface, http_version="2") as client:
        r = client.get(
            "/where",
            headers={"host": "Good.Example"},
            extensions={"orionis": {"authority": "good.example"}},
        )
    assert r.status_code == 200
    # The authority wins where the server shows it (RSGI); ASGI sees only the Host.
    assert r.json()["host"] == ("good.example" if interface == "rsgi" else "Good.Example")


def test_authority_and_host_that_disagree(interface: str) -> None:
    """RSGI sees both and refuses the request. Granian's ASGI side drops the authority when a
    Host header is present (checked live), so an ASGI app is only ever shown the Host: it is
    then that one host, consistently, in ``request.url`` and ``Header()``."""
    calls: list[str] = []
    with TestClient(host_app(calls), interface, http_version="2") as client:
        r = client.get(
            "/where",
            headers={"host": "evil.example"},
            extensions={"orionis": {"authority": "good.example"}},
        )
    if interface == "rsgi":
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/problem+json"
        assert "two different hosts" in r.json()["detail"]
        assert "connection" not in r.headers
        assert calls == []
    else:
        body = r.json()
        assert body["param"] == body["header"] == body["host"] == "evil.example"


def test_two_different_host_values_on_http2_are_400(interface: str) -> None:
    """What a server that turns ``:authority`` into a Host header beside the client's own
    would pass up: refused on both protocols."""
    calls: list[str] = []
    with TestClient(host_app(calls), interface, http_version="2") as client:
        r = client.get("/where", headers=[("host", "good.example"), ("host", "evil.example")])
    assert r.status_code == 400
    assert calls == []


def test_http1_is_unchanged(interface: str) -> None:
    """On HTTP/1 the Host header alone names the host (two of them are not trusted)."""
    calls: list[str] = []
    with TestClient(host_app(calls), interface) as client:
        assert client.get("/where", headers={"host": "h.example"}).json()["host"] == "h.example"
        r = client.get("/where", headers=[("host", "a.example"), ("host", "b.example")])
        assert r.status_code == 200
        assert r.json()["host"] == "127.0.0.1:80"


HOST_CASES = [
    [],
    [("host", "good.example")],
    [("host", "Good.Example"), ("host", "good.example")],  # one host, letter case aside
    [("host", "a.example"), ("host", "a.example"), ("host", "b.example")],
    [("host", "a.example"), ("host", "")],
    [("host", "a.example"), ("host", "\u00e9vil.example")],  # non-ASCII: never a host
    [("user-agent", "x"), ("host", "a.example"), ("accept", "*/*"), ("host", "A.EXAMPLE")],
]


@pytest.mark.parametrize("headers", HOST_CASES)
@pytest.mark.parametrize("authority", [None, "a.example", "other.example"])
def test_fast_two_hosts_checks_agree_with_the_general_rule(
    interface: str, headers: list[tuple[str, str]], authority: str | None
) -> None:
    """The adapters' one-pass checks decide as ``Request._host_conflict`` does."""
    from types import SimpleNamespace

    from orionis.adapters.asgi import ASGIRequest
    from orionis.adapters.rsgi import RSGIRequest
    from orionis.requests import Request as BaseRequest
    from orionis.testing.servers import _RSGIHeaders

    app = Application()
    if interface == "asgi":
        if authority is not None:  # Granian's ASGI side folds :authority into a Host header
            headers = [("host", authority), *headers]
        scope = {
            "type": "http",
            "http_version": "2",
            "method": "GET",
            "path": "/",
            "headers": [(k.encode("latin-1"), v.encode("utf-8")) for k, v in headers],
        }
        request: Any = ASGIRequest(app, scope, None)
    else:
        scope = SimpleNamespace(
            proto="http",
            http_version="2",
            method="GET",
            path="/",
            authority=authority,
            headers=_RSGIHeaders(headers),
        )
        request = RSGIRequest(app, scope, None)
    assert request._host_conflict() == BaseRequest._host_conflict(request)
