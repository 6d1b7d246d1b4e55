"""HTTP/2 ``GET``/``HEAD`` without ``Content-Length``: answered without waiting for a body.

An HTTP/2 request may carry a body without declaring its length, so other methods are read
(capped, timed) before the handler runs. Content on ``GET`` and ``HEAD`` has no meaning
(RFC 9110 9.3.1-2) and learning that none follows costs a wait for every request, so theirs
is read only when the handler asks for it, with the same limit and timeout.

Hostile inputs tried: a GET body over the limit that the handler ignores, and one it reads;
a GET whose body never arrives (stalled) to a handler that ignores it and to one that reads
it; a GET and a POST with a declared length over the limit (still refused before the handler).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from orionis import Application, Request
from orionis.testing import TestClient

TINY = 0.05  # seconds; the stalls never end, so any value gives the same outcome


def chunked(total: int, piece: int = 100) -> Iterator[bytes]:
    """A body without Content-Length."""
    for start in range(0, total, piece):
        yield b"x" * min(piece, total - start)


def get_app(calls: list[str]) -> Application:
    app = Application(max_body_size=100, body_timeout=TINY)

    @app.get("/plain")
    async def plain() -> str:
        calls.append("plain")
        return "ok"

    @app.get("/reads")
    async def reads(request: Request) -> dict:
        calls.append("reads")
        size = len(await request.body())
        calls.append("read")
        return {"size": size}

    @app.post("/post")
    async def post() -> str:
        calls.append("post")
        return "ok"

    return app


def test_http2_get_reads_no_body_before_the_handler(interface: str) -> None:
    calls: list[str] = []
    reads: list[str] = []
    with TestClient(get_app(calls), interface, http_version="2") as client:
        for method in ("GET", "HEAD"):
            r = client.request(method, "/plain", extensions={"orionis": {"record": reads}})
            assert r.status_code == 200
    assert reads == []
    assert calls == ["plain", "plain"]


def test_http2_get_body_the_handler_ignores_is_not_waited_for(interface: str) -> None:
    calls: list[str] = []
    stalled = threading.Event()
    with TestClient(get_app(calls), interface, http_version="2") as client:
        # over the limit, and a body that never ends: neither holds a handler that ignores it
        r = client.request("GET", "/plain", content=chunked(1000))
        assert (r.status_code, r.text) == (200, "ok")
        options = {"stall": 10, "stalled": stalled}
        r = client.request("GET", "/plain", content=chunked(1000), extensions={"orionis": options})
        assert (r.status_code, r.text) == (200, "ok")
    assert not stalled.is_set()  # nothing waited for the rest of the body
    assert calls == ["plain", "plain"]


def test_http2_get_body_the_handler_reads_is_capped_and_timed(interface: str) -> None:
    calls: list[str] = []
    with TestClient(get_app(calls), interface, http_version="2") as client:
        assert client.request("GET", "/reads", content=chunked(60, 20)).json() == {"size": 60}
        r = client.request("GET", "/reads", content=chunked(1000))
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        stall = {"orionis": {"stall": 10}}
        r = client.request("GET", "/reads", content=chunked(60), extensions=stall)
        assert r.status_code == 408
        assert r.headers["content-type"] == "application/problem+json"
    # the handler never went on with a refused or truncated body
    assert calls == ["reads", "read", "reads", "reads"]


def test_http2_declared_or_non_get_bodies_are_still_read_first(interface: str) -> None:
    calls: list[str] = []
    with TestClient(get_app(calls), interface, http_version="2") as client:
        r = client.request("GET", "/plain", content=b"x" * 1000)  # httpx declares the length
        assert r.status_code == 413
        r = client.post("/post", content=chunked(1000))  # no length: read before the handler
        assert r.status_code == 413
    assert calls == []
