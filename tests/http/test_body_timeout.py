"""``body_timeout``: a body that makes no progress is a 408 with ``Connection: close``, the
handler never runs, and shutdown ends every body wait still pending.

The stalled bodies here never arrive (the test server delivers the first bytes and then
nothing, ever), so each outcome is the same however fast the machine is; the timeouts are
tiny only so the tests finish quickly.

Hostile inputs tried: headers and no body bytes at all, 10 of 1000 declared bytes then
silence (declared, chunked, HTTP/2), a stall in the middle of ``request.stream()``, a stall
while an oversized body is being drained, a stall in a form upload, a stall with timeouts
disabled ended by shutdown.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from orionis import Application, Request, StreamingResponse
from orionis.testing import TestClient

TINY = 0.05  # seconds; the stalls never end, so any value gives the same outcome


def chunked(total: int, piece: int = 100) -> Iterator[bytes]:
    for start in range(0, total, piece):
        yield b"x" * min(piece, total - start)


def timeout_app(calls: list[str], **options: Any) -> Application:
    app = Application(**options)

    @app.post("/upload")
    async def upload(request: Request) -> dict:
        calls.append("upload")
        return {"size": len(await request.body())}

    @app.post("/ignores-body")
    async def ignores_body() -> dict:
        calls.append("ignores-body")
        return {}

    @app.post("/quick", body_timeout=TINY)
    async def quick(request: Request) -> dict:
        calls.append("quick")
        return {"size": len(await request.body())}

    @app.post("/patient", body_timeout=None)
    async def patient(request: Request) -> dict:
        calls.append("patient")
        return {"size": len(await request.body())}

    @app.post("/stream", max_body_size=None)
    async def stream(request: Request) -> dict:
        calls.append("stream")
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        calls.append(f"stream:{total}")
        return {"size": total}

    @app.post("/echo", max_body_size=None)
    async def echo(request: Request) -> StreamingResponse:
        return StreamingResponse(request.stream())

    @app.post("/form")
    async def form(request: Request) -> dict:
        calls.append("form")
        return dict(await request.form())

    return app


def assert_408(response: Any, http_version: str = "1.1") -> None:
    assert response.status_code == 408
    assert response.headers["content-type"] == "application/problem+json"
    assert "No part of the request body arrived" in response.json()["detail"]
    if http_version == "2":
        assert "connection" not in response.headers  # forbidden on HTTP/2
    else:
        assert response.headers["connection"] == "close"


@pytest.mark.parametrize("path", ["/upload", "/ignores-body", "/form"])
@pytest.mark.parametrize("delivered", [0, 10])
@pytest.mark.parametrize("declared", [True, False])
def test_stalled_body_is_408_and_the_handler_never_runs(
    interface: str, path: str, delivered: int, declared: bool
) -> None:
    calls: list[str] = []
    body: bytes | Iterator[bytes] = b"x" * 1000 if declared else chunked(1000)
    with TestClient(timeout_app(calls, body_timeout=TINY), interface) as client:
        r = client.post(path, content=body, extensions={"orionis": {"stall": delivered}})
        assert_408(r)
        # The same app answers a body that arrives.
        assert client.post("/upload", content=b"abc").json() == {"size": 3}
    assert calls == ["upload"]


@pytest.mark.parametrize("size", [1000, 200_000])  # read in one call, and chunk by chunk
def test_stalled_http2_body_is_408(interface: str, size: int) -> None:
    calls: list[str] = []
    app = timeout_app(calls, body_timeout=TINY)
    with TestClient(app, interface, http_version="2") as client:
        for body in (b"x" * size, chunked(size, 50_000)):
            r = client.post("/upload", content=body, extensions={"orionis": {"stall": 10}})
            assert_408(r, "2")
    assert calls == []


def test_large_declared_body_stalled_after_its_first_chunks(interface: str) -> None:
    calls: list[str] = []
    with TestClient(timeout_app(calls, body_timeout=TINY), interface) as client:
        r = client.post(
            "/upload",
            content=b"x" * 500_000,
            extensions={"orionis": {"stall": 300_000, "piece": 100_000}},
        )
        assert_408(r)
    assert calls == []


def test_route_setting_overrides_the_application(interface: str) -> None:
    calls: list[str] = []
    with TestClient(timeout_app(calls, body_timeout=None), interface) as client:
        r = client.post("/quick", content=b"x" * 100, extensions={"orionis": {"stall": 5}})
        assert_408(r)
    assert calls == []


def test_stall_between_chunks_of_request_stream(interface: str) -> None:
    calls: list[str] = []
    with TestClient(timeout_app(calls, body_timeout=TINY), interface) as client:
        r = client.post(
            "/stream", content=b"x" * 1000, extensions={"orionis": {"stall": 300, "piece": 100}}
        )
        assert_408(r)
    assert calls == ["stream"]  # it ran (the route streams) but never saw a complete body


def test_stall_inside_a_streamed_echo_ends_the_stream(interface: str) -> None:
    """Once a response has started, the 408 cannot be sent: the stream ends early instead
    of waiting forever for a body that never comes."""
    calls: list[str] = []
    app = timeout_app(calls, body_timeout=TINY)
    with TestClient(app, interface, raise_server_exceptions=False) as client:
        options = {"stall": 300, "piece": 100}
        try:
            r = client.post("/echo", content=b"x" * 1000, extensions={"orionis": options})
        except Exception:  # a server that aborts the connection on a failed stream
            pass
        else:
            assert r.status_code == 200
            assert len(r.content) < 1000  # ended early, as soon as the body stalled


def test_stall_while_draining_an_oversized_body_keeps_the_413(interface: str) -> None:
    calls: list[str] = []
    app = timeout_app(calls, body_timeout=TINY, max_body_size=100)
    with TestClient(app, interface) as client:
        for body in (b"x" * 1000, chunked(1000)):
            r = client.post("/upload", content=body, extensions={"orionis": {"stall": 500}})
            assert r.status_code == 413
            assert r.headers["connection"] == "close"  # the rest of the body is unread
    assert calls == []


def test_progress_resets_the_timeout(interface: str) -> None:
    """Many chunks, none stalled: the timeout is per chunk, not for the whole body."""
    calls: list[str] = []
    with TestClient(timeout_app(calls, body_timeout=TINY), interface) as client:
        r = client.post(
            "/stream", content=chunked(20_000, 100), extensions={"orionis": {"piece": 100}}
        )
        assert r.json() == {"size": 20_000}
        assert "connection" not in r.headers


def _waits(app: Application) -> list[float | None]:
    return [wait.deadline for wait in app._body_waits]


def test_shutdown_ends_a_stalled_body_even_without_a_timeout(interface: str) -> None:
    calls: list[str] = []
    app = timeout_app(calls, body_timeout=30.0)
    stalled = threading.Event()
    result: dict[str, Any] = {}
    with TestClient(app, interface) as client:

        def post() -> None:
            options = {"stall": 10, "stalled": stalled}
            result["response"] = client.post(
                "/patient", content=b"x" * 1000, extensions={"orionis": options}
            )

        caller = threading.Thread(target=post)
        caller.start()
        assert stalled.wait(10)

        async def pending() -> list[float | None]:
            return _waits(app)

        assert client.portal.call(pending(), 10) == [None]  # no deadline: None disables it
        client.portal.call(app.shutdown(), 10)
        caller.join(10)
        assert not caller.is_alive()
        r = result["response"]
        assert r.status_code == 503
        assert r.headers["connection"] == "close"
        assert "shutting down" in r.json()["detail"]
        assert client.portal.call(pending(), 10) == []
    assert calls == []


def test_body_reads_after_shutdown_began_end_at_once(interface: str) -> None:
    calls: list[str] = []
    app = timeout_app(calls, body_timeout=None)
    with TestClient(app, interface) as client:
        client.portal.call(app.shutdown(), 10)
        r = client.post("/upload", content=b"x" * 10, extensions={"orionis": {"stall": 0}})
        assert r.status_code == 503
    assert calls == []


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), float("inf"), "30", True])
def test_invalid_setting_is_refused_with_a_clear_error(value: object) -> None:
    with pytest.raises(ValueError, match="body_timeout must be a positive number"):
        Application(body_timeout=value)  # type: ignore[arg-type]
    app = Application()
    with pytest.raises(ValueError, match="route '/x': body_timeout must be a positive number"):
        app.post("/x", body_timeout=value)(lambda: None)  # type: ignore[arg-type]


def test_default_and_valid_settings() -> None:
    assert Application().body_timeout == 30.0
    assert Application(body_timeout=None).body_timeout is None
    assert Application(body_timeout=2).body_timeout == 2.0


def test_timeout_is_not_confused_with_a_timeout_error_from_the_server() -> None:
    """Only our own deadline becomes a 408: any other TimeoutError propagates."""
    from orionis.adapters.asgi import ASGIRequest

    app = Application(body_timeout=TINY)
    request = ASGIRequest(app, {"type": "http", "method": "POST", "path": "/", "headers": []}, None)

    async def failing() -> bytes:
        raise TimeoutError("from the server")

    with pytest.raises(TimeoutError, match="from the server"):
        asyncio.run(request._timed(failing()))


def test_refused_requests_are_freed_without_a_garbage_collection(interface: str) -> None:
    """Nothing may keep a refused request (and with it the server's connection objects)
    alive until a cyclic GC: during a graceful shutdown nothing allocates, no GC runs, and
    Granian then waits forever for a connection whose body reader is still referenced."""
    import gc
    import weakref

    app = Application(body_timeout=TINY, max_body_size=10)
    seen: list[Any] = []

    @app.post("/upload", max_body_size=None)
    async def upload(request: Request) -> dict:
        seen.append(weakref.ref(request))
        return {"size": len(await request.body())}

    @app.post("/limited")
    async def limited(request: Request) -> dict:
        return {"size": len(await request.body())}

    with TestClient(app, interface) as client:
        client.post("/upload", content=b"warm")
        gc.collect()
        gc.disable()
        try:
            r = client.post("/upload", content=b"x" * 100, extensions={"orionis": {"stall": 5}})
            assert r.status_code == 408
            assert seen[-1]() is None
            r = client.post("/upload", content=b"x" * 100, extensions={"orionis": {"truncate": 5}})
            assert r.status_code == 400
            assert seen[-1]() is None
        finally:
            gc.enable()
