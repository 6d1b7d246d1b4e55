"""The disconnect guard watches a request only once it waits on more than its own body.

A body read ends by itself when the client leaves (a 400) and within ``body_timeout`` (a
408), so watching the client meanwhile only costs: an RSGI ``client_disconnect()`` future,
or an ASGI watcher task and queue, per request. ``{"pause": True}`` makes every body read
wait one loop pass, as a real server's does, so the request really is suspended in its read.
The ``guards`` fixture counts the disconnect guards made; under RSGI the server also
records ``"watch"`` when the app starts watching.

Hostile inputs tried: a client leaving after its (paused) body while the handler waits; a
body read in another task while the handler waits; an RSGI HTTP/2 body without a length,
whose truncation Granian cannot show (watched while it is read).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from orionis import Application, Request
from orionis.testing import TestClient

PASSES = 50  # loop passes the handler waits after telling the client to leave


def chunked(total: int, piece: int = 1000) -> Iterator[bytes]:
    """A body without Content-Length."""
    for start in range(0, total, piece):
        yield b"c" * min(piece, total - start)


def watched(request: Request) -> bool:
    # ASGI's watcher lives in the app: the future it resolves exists once one was asked for.
    return getattr(request, "_gone", None) is not None


def build(log: list[str], leave: asyncio.Event) -> Application:
    app = Application()

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        data = await request.json()
        log.append(f"watched: {watched(request)}")
        return data

    @app.post("/streamed", max_body_size=None)
    async def streamed(request: Request) -> dict:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        log.append(f"watched: {watched(request)}")
        return {"size": size}

    async def passes() -> None:
        try:
            for _ in range(PASSES):
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            log.append("handler cancelled")
            raise
        log.append("handler finished")

    @app.post("/upload")
    async def upload(request: Request) -> dict:
        body = await request.body()
        leave.set()  # the client hangs up now, after its body
        await passes()
        return {"size": len(body)}

    @app.post("/beside", max_body_size=None)
    async def beside(request: Request) -> dict:
        # The body is read in another task while this one waits on something else: the
        # wait is not a body read of this task, so the guard must watch it.
        reader = asyncio.ensure_future(request.body())
        leave.set()
        body, _ = await asyncio.gather(reader, passes())
        return {"size": len(body)}

    return app


def test_a_request_waiting_only_on_its_body_is_not_watched(
    interface: str, guards: list[object]
) -> None:
    log: list[str] = []
    record: list[str] = []
    payload = {"items": list(range(100)), "name": "x" * 500}
    with TestClient(build(log, asyncio.Event()), interface) as client:
        answer = client.post(
            "/echo", json=payload, extensions={"orionis": {"pause": True, "record": record}}
        )
        assert answer.status_code == 200 and answer.json() == payload
        assert log == ["watched: False"]
        assert record and set(record) == {"read"}  # read, never watched
        assert guards == []


def test_a_streamed_body_read_in_paused_pieces_is_not_watched(
    interface: str, guards: list[object]
) -> None:
    log: list[str] = []
    record: list[str] = []
    options = {"pause": True, "record": record, "piece": 1000}
    with TestClient(build(log, asyncio.Event()), interface) as client:
        answer = client.post("/streamed", content=b"s" * 10_000, extensions={"orionis": options})
        assert answer.json() == {"size": 10_000}
        assert log == ["watched: False"]
        assert record.count("read") >= 10 and "watch" not in record
        assert guards == []


def test_a_handler_that_waits_after_its_paused_body_is_cancelled(
    interface: str, guards: list[object]
) -> None:
    log: list[str] = []
    record: list[str] = []
    leave = asyncio.Event()
    options = {"pause": True, "record": record, "disconnect": leave}
    with TestClient(build(log, leave), interface) as client:
        with pytest.raises(httpx.ReadError):
            client.post("/upload", content=b"u" * 5000, extensions={"orionis": options})
        assert log == ["handler cancelled"]
        assert len(guards) == 1  # made at its first wait after the body
        if interface == "rsgi":
            assert "watch" in record
        leave.clear()
        assert client.post("/upload", content=b"u" * 10).json() == {"size": 10}


def test_a_body_read_in_another_task_does_not_hide_the_handlers_wait(interface: str) -> None:
    log: list[str] = []
    leave = asyncio.Event()
    options = {"pause": True, "disconnect": leave}
    with TestClient(build(log, leave), interface) as client:
        with pytest.raises(httpx.ReadError):
            client.post("/beside", content=b"b" * 5000, extensions={"orionis": options})
        assert log == ["handler cancelled"]


def test_an_http2_body_without_a_length_is_watched_under_rsgi_only(
    interface: str, guards: list[object]
) -> None:
    # Granian ends a reset HTTP/2 body like a finished one: only client_disconnect() can
    # tell, so under RSGI such a read is watched. ASGI servers send http.disconnect.
    log: list[str] = []
    record: list[str] = []
    options = {"pause": True, "record": record, "piece": 1000}
    with TestClient(build(log, asyncio.Event()), interface, http_version="2") as client:
        answer = client.post("/streamed", content=chunked(5000), extensions={"orionis": options})
        assert answer.json() == {"size": 5000}
        if interface == "rsgi":
            assert len(guards) == 1 and "watch" in record
        else:
            assert guards == [] and log == ["watched: False"]
        guards.clear()
        record.clear()
        declared = client.post("/streamed", content=b"d" * 5000, extensions={"orionis": options})
        assert declared.json() == {"size": 5000}
        assert guards == [] and "watch" not in record  # a length shows a truncation
