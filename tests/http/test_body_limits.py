"""Body size limits and incomplete bodies: 413/400 answers, and the handler never runs.

Bad inputs tried: a declared body over the limit; an undeclared (chunked) body over the limit;
a body cut short after a declared length (client abort); a chunked body cut short (what
Granian reports for malformed chunking); an invalid and a conflicting Content-Length;
Content-Length together with Transfer-Encoding.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orionis import Application, Request
from orionis.adapters.asgi import ASGIRequest
from orionis.testing import TestClient

MiB = 1024 * 1024


def chunked(total: int, piece: int = 100_000) -> Iterator[bytes]:
    """A request body without Content-Length (httpx sends it chunked)."""
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        sent += size
        yield b"x" * size


def limit_app(calls: list[str], **app_options: object) -> Application:
    app = Application(**app_options)  # type: ignore[arg-type]

    @app.post("/upload")
    async def upload(request: Request) -> dict:
        calls.append("upload")
        return {"size": len(await request.body())}

    @app.post("/small", max_body_size=10)
    async def small(request: Request) -> dict:
        calls.append("small")
        return {"size": len(await request.body())}

    @app.post("/large", max_body_size=3 * MiB)
    async def large(request: Request) -> dict:
        calls.append("large")
        return {"size": len(await request.body())}

    @app.post("/unlimited", max_body_size=None)
    async def unlimited(request: Request) -> dict:
        calls.append("unlimited")
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return {"size": total}

    @app.post("/ignores-body")
    async def ignores_body() -> dict:
        calls.append("ignores-body")
        return {"ran": True}

    return app


def test_default_limit_is_one_mebibyte(interface: str) -> None:
    calls: list[str] = []
    with TestClient(limit_app(calls), interface) as client:
        assert client.post("/upload", content=b"x" * MiB).json() == {"size": MiB}
        r = client.post("/upload", content=b"x" * (2 * MiB))
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert "1048576 bytes" in r.json()["detail"]
        r = client.post("/upload", content=chunked(2 * MiB))
        assert r.status_code == 413
    assert calls == ["upload"]


def test_handler_that_ignores_the_body_still_never_runs_on_oversize(interface: str) -> None:
    calls: list[str] = []
    with TestClient(limit_app(calls), interface) as client:
        assert client.post("/ignores-body", content=b"x" * (2 * MiB)).status_code == 413
        assert client.post("/ignores-body", content=chunked(2 * MiB)).status_code == 413
        assert client.post("/ignores-body", content=b"ok").json() == {"ran": True}
    assert calls == ["ignores-body"]


def test_route_overrides_and_app_setting(interface: str) -> None:
    calls: list[str] = []
    with TestClient(limit_app(calls, max_body_size=100), interface) as client:
        assert client.post("/upload", content=b"x" * 100).status_code == 200
        assert client.post("/upload", content=b"x" * 101).status_code == 413
        assert client.post("/small", content=b"x" * 10).status_code == 200
        assert client.post("/small", content=chunked(11, piece=3)).status_code == 413
        assert client.post("/large", content=b"x" * (2 * MiB)).json() == {"size": 2 * MiB}
        assert client.post("/large", content=chunked(3 * MiB + 1)).status_code == 413
        r = client.post("/unlimited", content=chunked(5 * MiB, piece=MiB))
        assert r.json() == {"size": 5 * MiB}
    assert calls == ["upload", "small", "large", "unlimited"]


@pytest.mark.parametrize("path", ["/upload", "/ignores-body"])
@pytest.mark.parametrize("declared", [True, False])
@pytest.mark.parametrize("keep", [0, 1, 500])
def test_truncated_body_is_400_and_handler_never_runs(
    interface: str, path: str, declared: bool, keep: int
) -> None:
    calls: list[str] = []
    body: bytes | Iterator[bytes] = b"y" * 1000 if declared else chunked(1000, piece=250)
    with TestClient(limit_app(calls), interface) as client:
        r = client.post(path, content=body, extensions={"orionis": {"truncate": keep}})
    assert r.status_code == 400
    assert r.json()["detail"] == "The request body ended before it was complete."
    assert calls == []


def test_truncated_stream_raises_inside_unlimited_handler(interface: str) -> None:
    app = Application()
    seen: list[object] = []

    @app.post("/stream", max_body_size=None)
    async def stream(request: Request) -> dict:
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
        except Exception as exc:
            seen.append((type(exc).__name__, received))
            raise
        seen.append(("complete", received))
        return {}

    with TestClient(app, interface) as client:
        r = client.post("/stream", content=b"z" * 1000, extensions={"orionis": {"truncate": 300}})
    assert r.status_code == 400
    assert seen == [("ClientDisconnect", 300)]


# Non-ASCII values never reach the app: Granian drops them and the ASGI adapter does too.
@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "+3", " 3"])
def test_invalid_content_length_is_400(interface: str, value: str) -> None:
    calls: list[str] = []
    with TestClient(limit_app(calls), interface) as client:
        r = client.post("/upload", content=b"", headers={"content-length": value.encode()})
    assert r.status_code == 400
    assert "Content-Length" in r.json()["detail"]
    assert calls == []


def test_http2_bodies_without_length_are_accepted(interface: str) -> None:
    """On HTTP/2, Granian ends clean bodies with two empty chunks: that is not truncation."""
    calls: list[str] = []
    with TestClient(limit_app(calls), interface, http_version="2") as client:
        r = client.post("/upload", content=chunked(300_000))
    assert r.json() == {"size": 300_000}


def test_conflicting_content_lengths_are_400(interface: str) -> None:
    calls: list[str] = []
    with TestClient(limit_app(calls), interface) as client:
        r = client.post(
            "/upload", content=b"abc", headers=[("content-length", "3"), ("content-length", "4")]
        )
    assert r.status_code == 400
    assert calls == []


def test_http2_oversized_body_without_length_never_reaches_the_handler(interface: str) -> None:
    """HTTP/2 bodies need no Content-Length: they are read (and capped) before the handler."""
    calls: list[str] = []
    with TestClient(limit_app(calls, max_body_size=100), interface, http_version="2") as client:
        assert client.post("/ignores-body", content=chunked(1000, piece=100)).status_code == 413
        assert client.get("/nowhere").status_code == 404
    assert calls == []


def test_content_length_with_transfer_encoding_is_400(interface: str) -> None:
    """RFC 9112 6.3: both framings at once is a smuggling pattern. Granian drops the length
    itself; an ASGI server that passes both up gets a 400 before the handler runs."""
    calls: list[str] = []
    with TestClient(limit_app(calls), interface) as client:
        r = client.post(
            "/upload",
            content=b"hello",
            headers=[("content-length", "5"), ("transfer-encoding", "chunked")],
        )
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/problem+json"
        assert "Transfer-Encoding" in r.json()["detail"]
        assert client.post("/upload", content=b"hello").json() == {"size": 5}
    assert calls == ["upload"]


@pytest.mark.parametrize(
    ("version", "framing", "expected"),
    [
        ("1.1", [], False),
        ("1.0", [], False),
        ("2", [], True),
        ("3", [], True),
        ("1.1", [(b"transfer-encoding", b"chunked")], True),
        ("1.1", [(b"content-length", b"0")], False),
    ],
)
def test_which_requests_may_carry_a_body(
    version: str, framing: list[tuple[bytes, bytes]], expected: bool
) -> None:
    """HTTP/2 and HTTP/3 bodies need no framing header, so such a request is read (and
    capped) before the handler; an HTTP/1 request without one has no body."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "http_version": version,
        "headers": framing,
    }
    assert ASGIRequest(Application(), scope, None).has_body() is expected
