"""GZipMiddleware: negotiation, skip rules, headers, and incremental streaming."""

from __future__ import annotations

import asyncio
import gzip
import random
import threading
import zlib
from collections.abc import AsyncIterator, Iterator

import brotli
import pytest
import zstandard

from orionis import Application, Request, Response
from orionis.concurrency import run_in_threadpool
from orionis.middleware import GZipMiddleware
from orionis.middleware.gzip import choose_encoding
from orionis.responses import FileResponse, StreamingResponse
from orionis.testing import TestClient

BODY = ("hello compression " * 200).encode()
SAFETY = 30.0
NOISE = random.Random(1).randbytes(1024)  # incompressible


def make_app(**options: object) -> Application:
    app = Application()
    app.add_middleware(GZipMiddleware, **options)

    @app.get("/big")
    async def big() -> Response:
        return Response(BODY, media_type="text/plain")

    @app.get("/small")
    async def small() -> Response:
        return Response(b"tiny " * 50, media_type="text/plain")

    @app.get("/incompressible")
    async def incompressible() -> Response:
        return Response(NOISE)

    @app.get("/tagged")
    async def tagged() -> Response:
        return Response(BODY, headers={"etag": '"v1"', "vary": "Origin"})

    @app.get("/weak")
    async def weak() -> Response:
        return Response(BODY, headers={"etag": 'W/"v1"', "vary": "accept-encoding"})

    @app.get("/encoded")
    async def encoded() -> Response:
        return Response(gzip.compress(BODY), headers={"content-encoding": "gzip"})

    @app.get("/events")
    async def events() -> Response:
        return Response(BODY, media_type="text/event-stream")

    @app.get("/no-transform")
    async def no_transform() -> Response:
        return Response(BODY, headers={"cache-control": "no-transform"})

    @app.get("/empty")
    async def empty() -> Response:
        return Response(status_code=204)

    @app.get("/partial")
    async def partial() -> Response:
        return Response(BODY, 206, headers={"content-range": f"bytes 0-9/{len(BODY)}"})

    @app.get("/file")
    async def file() -> FileResponse:
        return FileResponse(__file__)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        def chunks() -> Iterator[str]:
            for _ in range(20):
                yield "streamed text " * 50

        return StreamingResponse(chunks(), media_type="text/plain", headers={"etag": '"s"'})

    return app


def get(interface: str, path: str, accept: str | None = "gzip", **options: object):
    headers = {"accept-encoding": accept} if accept is not None else {}
    with TestClient(make_app(**options), interface) as client:
        r = client.get(path, headers=headers)
    assert r.status_code < 500, r.text
    return r


def test_gzip_roundtrip(interface: str) -> None:
    r = get(interface, "/big")
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert int(r.headers["content-length"]) < len(BODY)
    assert r.content == BODY  # httpx decompressed it


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, br, zstd", "zstd"),
        ("gzip;q=1, br;q=0.5", "gzip"),
        ("x-gzip", "gzip"),
        ("*", "zstd"),
        ("*;q=0.5, gzip;q=0.9", "gzip"),
        ("gzip;q=0, *", "zstd"),
    ],
)
def test_negotiation_picks_the_preferred_encoding(interface: str, accept: str, coding: str) -> None:
    with (
        TestClient(make_app(), interface) as client,
        client.stream("GET", "/big", headers={"accept-encoding": accept}) as r,
    ):
        assert r.headers["content-encoding"] == coding
        raw = b"".join(r.iter_raw())
    assert DECODE[coding](raw) == BODY


DECODE = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "identity",
        "gzip;q=0",
        "*;q=0",
        "gzip;q=0, *;q=0",
        "deflate",
        "gzip;q=x",
        "gzip;q=2",
        "gzip;level=1",
        "a" * 5000,
    ],
)
def test_refused_or_unknown_encodings_send_identity(interface: str, accept: str | None) -> None:
    r = get(interface, "/big", accept)
    assert "content-encoding" not in r.headers
    assert r.headers["vary"] == "Accept-Encoding"  # the answer still depends on it
    assert r.content == BODY


def test_choose_encoding() -> None:
    assert choose_encoding("gzip;q=0.001, br;q=0") == "gzip"
    assert choose_encoding("GZIP ; Q=0.5") == "gzip"
    assert choose_encoding("br, gzip", ("gzip",)) == "gzip"
    assert choose_encoding("identity;q=0") is None


@pytest.mark.parametrize(
    "path", ["/small", "/encoded", "/events", "/no-transform", "/empty", "/partial", "/file"]
)
def test_skipped_responses_are_untouched(interface: str, path: str) -> None:
    with TestClient(make_app(), interface) as client:
        r = client.get(path, headers={"accept-encoding": "gzip"})
    assert "accept-encoding" not in r.headers.get("vary", "").lower()
    if path == "/encoded":  # compressed once, by the handler
        assert r.headers["content-encoding"] == "gzip"
        assert r.content == BODY
    else:
        assert "content-encoding" not in r.headers


def test_head_is_not_compressed(interface: str) -> None:
    with TestClient(make_app(), interface) as client:
        r = client.head("/big", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in r.headers
    assert r.headers["content-length"] == str(len(BODY))


def test_incompressible_body_is_sent_as_is(interface: str) -> None:
    r = get(interface, "/incompressible")
    assert "content-encoding" not in r.headers
    assert r.content == NOISE


def test_minimum_size_option(interface: str) -> None:
    assert get(interface, "/small", minimum_size=0).headers["content-encoding"] == "gzip"
    assert "content-encoding" not in get(interface, "/big", minimum_size=10**6).headers


def test_vary_merge_and_etag_weakening(interface: str) -> None:
    r = get(interface, "/tagged")
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Origin, Accept-Encoding"
    assert r.headers["etag"] == 'W/"v1"'
    r = get(interface, "/weak")
    assert r.headers["vary"] == "accept-encoding"
    assert r.headers["etag"] == 'W/"v1"'


def test_stream_is_compressed_without_content_length(interface: str) -> None:
    with TestClient(make_app(), interface) as client:
        r = client.get("/stream", headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert "content-length" not in r.headers
    assert r.headers["etag"] == 'W/"s"'
    assert r.text == "streamed text " * 50 * 20


def test_stream_chunks_arrive_incrementally(interface: str) -> None:
    release = threading.Event()
    closed = threading.Event()
    app = Application()
    app.add_middleware(GZipMiddleware)

    @app.get("/live")
    async def live() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first chunk " * 100
            # Waits until the test has read and decompressed the first chunk: had it been
            # buffered, the test would never see it and this would time out.
            assert await run_in_threadpool(release.wait, SAFETY)
            yield b"second chunk " * 100

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/forever")
    async def forever() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                yield b"only chunk " * 100
                await asyncio.wait_for(asyncio.Event().wait(), SAFETY)  # until cancelled
                yield b"never"
            finally:
                closed.set()

        return StreamingResponse(chunks())

    with TestClient(app, interface) as client:
        with client.stream("GET", "/live", headers={"accept-encoding": "gzip"}) as r:
            assert r.headers["content-encoding"] == "gzip"
            decoder = zlib.decompressobj(31)
            raw = r.iter_raw()
            first = next(raw)
            assert decoder.decompress(first) == b"first chunk " * 100
            release.set()
            rest = b"".join(decoder.decompress(chunk) for chunk in raw) + decoder.flush()
            assert rest == b"second chunk " * 100
            assert decoder.eof
        with client.stream("GET", "/forever", headers={"accept-encoding": "gzip"}) as r:
            first = next(r.iter_raw())
            assert zlib.decompressobj(31).decompress(first) == b"only chunk " * 100
        # leaving closed the wrapped iterator (its finally ran)
        assert closed.wait(SAFETY)


def test_sse_stream_is_left_alone(interface: str) -> None:
    from orionis.sse import EventSourceResponse

    app = Application()
    app.add_middleware(GZipMiddleware)

    @app.get("/sse")
    async def sse() -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            yield "x" * 2000

        return EventSourceResponse(events())

    with TestClient(app, interface) as client:
        r = client.get("/sse", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in r.headers
    assert "x" * 2000 in r.text


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="compresslevel"):
        GZipMiddleware(compresslevel=0)
    with pytest.raises(ValueError, match="minimum_size"):
        GZipMiddleware(minimum_size=-1)


def test_request_is_untouched(interface: str) -> None:
    app = Application()
    app.add_middleware(GZipMiddleware)

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body())

    with TestClient(app, interface) as client:
        r = client.post("/echo", content=BODY, headers={"accept-encoding": "gzip"})
    assert r.content == BODY
    assert r.headers["content-encoding"] == "gzip"


def test_large_bodies_and_chunks_go_through_the_thread_pool(interface: str) -> None:
    large = b"0123456789abcdef" * 40_000  # 640 KB, over THREADPOOL_THRESHOLD
    app = Application()
    app.add_middleware(GZipMiddleware)
    app.get("/body")(lambda: Response(large))

    @app.get("/chunks")
    async def chunks() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            yield large
            yield large

        return StreamingResponse(parts())

    with TestClient(app, interface) as client:
        body = client.get("/body", headers={"accept-encoding": "gzip"})
        stream = client.get("/chunks", headers={"accept-encoding": "gzip"})
    assert body.headers["content-encoding"] == "gzip"
    assert int(body.headers["content-length"]) < len(large) // 10
    assert body.content == large
    assert stream.headers["content-encoding"] == "gzip"
    assert stream.content == large * 2
