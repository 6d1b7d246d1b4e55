"""A request body while a streamed response is being sent.

Under ASGI one background reader watches for the client leaving while a stream is sent; it
hands body messages on, but never more than a few ahead of the handler (a response that
ignores a 300 MB upload must not buffer it), and it holds no reference to the request (no
cycle keeps the request and what it buffered alive until a full GC). Under RSGI nothing
reads the body behind the handler's back.

Hostile inputs tried: a thousand small body messages to a stream that never reads them, the
same to a stream that echoes them, a generator that starts reading only after its first
chunk, a client that leaves mid-echo.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

from orionis import Application, Request, StreamingResponse
from orionis.testing import TestClient

PIECES = 1000
PIECE = 10


def stream_app(seen: list[Any]) -> Application:
    app = Application()

    @app.post("/ignore", max_body_size=None)
    async def ignore(request: Request) -> StreamingResponse:
        seen.append(weakref.ref(request))

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(5):
                for _ in range(50):  # plenty of turns for a background reader
                    await asyncio.sleep(0)
                yield f"{i}\n".encode()

        return StreamingResponse(chunks())

    @app.post("/echo", max_body_size=None)
    async def echo(request: Request) -> StreamingResponse:
        return StreamingResponse(request.stream())

    @app.post("/late", max_body_size=None)
    async def late(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"start:"
            for _ in range(50):
                await asyncio.sleep(0)
            async for chunk in request.stream():
                yield chunk

        return StreamingResponse(chunks())

    return app


def body() -> bytes:
    return b"".join(bytes([65 + i % 26]) * PIECE for i in range(PIECES))


def test_unread_body_is_not_buffered_behind_the_handler(interface: str) -> None:
    seen: list[Any] = []
    reads: list[str] = []
    with TestClient(stream_app(seen), interface) as client:
        r = client.post(
            "/ignore", content=body(), extensions={"orionis": {"record": reads, "piece": PIECE}}
        )
        assert r.text == "0\n1\n2\n3\n4\n"
    # The watcher took at most its inbox (plus the message in its hands) of 1000 offered.
    assert len(reads) <= 4, len(reads)


def test_request_is_freed_without_a_garbage_collection(interface: str) -> None:
    seen: list[Any] = []
    with TestClient(stream_app(seen), interface) as client:
        client.post("/ignore", content=b"x" * 100)  # warm up: imports, lazily built state
        gc.collect()
        gc.disable()
        try:
            r = client.post("/ignore", content=body(), extensions={"orionis": {"piece": PIECE}})
            assert r.status_code == 200
            assert seen[-1]() is None, gc.get_referrers(seen[-1]())
        finally:
            gc.enable()


def test_streamed_echo_still_gets_the_whole_body(interface: str) -> None:
    seen: list[Any] = []
    expected = body()
    with TestClient(stream_app(seen), interface) as client:
        for path, prefix in (("/echo", b""), ("/late", b"start:")):
            r = client.post(path, content=expected, extensions={"orionis": {"piece": PIECE}})
            assert r.content == prefix + expected
            r = client.post(path, content=expected)  # one message
            assert r.content == prefix + expected


def test_streamed_echo_of_a_chunked_upload(interface: str) -> None:
    def upload() -> Iterator[bytes]:
        for i in range(20):
            yield bytes([97 + i]) * 5000

    seen: list[Any] = []
    with TestClient(stream_app(seen), interface) as client:
        r = client.post("/echo", content=upload(), extensions={"orionis": {"piece": 1000}})
    assert r.content == b"".join(upload())


def test_client_leaving_mid_echo_ends_the_stream(interface: str) -> None:
    seen: list[Any] = []
    with (
        TestClient(stream_app(seen), interface) as client,
        client.stream(
            "POST", "/echo", content=body(), extensions={"orionis": {"piece": PIECE}}
        ) as r,
    ):
        first = next(r.iter_bytes())
        assert first  # then close early: the server sees the client leave
    assert first == body()[: len(first)]
