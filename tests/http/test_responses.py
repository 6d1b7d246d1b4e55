"""Response classes as a client receives them, under both interfaces.

File responses are checked with both ASGI server flavours: Granian offers
``http.response.pathsend`` and uvicorn does not, so both sending paths run.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import pathlib
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from orionis import (
    Application,
    Depends,
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Request,
    Response,
    StreamingResponse,
)
from orionis.middleware import CORSMiddleware, Middleware, SecurityHeadersMiddleware
from orionis.testing import TestClient

CONTENT = bytes(range(256)) * 400  # 102,400 bytes


@pytest.fixture(params=["granian", "uvicorn"])
def flavor(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def data_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


def test_simple_response_classes(interface: str) -> None:
    app = Application()
    app.get("/json", lambda: JSONResponse({"k": "v"}, status_code=201))
    app.get("/text", lambda: PlainTextResponse("t"))
    app.get("/html", lambda: HTMLResponse("<p>h</p>"))
    app.get("/empty", lambda: Response())
    app.get("/media", lambda: Response("x", media_type="application/x-thing"))
    with TestClient(app, interface) as client:
        r = client.get("/json")
        assert (r.status_code, r.json(), r.headers["content-type"]) == (
            201,
            {"k": "v"},
            "application/json",
        )
        assert client.get("/text").headers["content-type"] == "text/plain; charset=utf-8"
        assert client.get("/html").headers["content-type"] == "text/html; charset=utf-8"
        r = client.get("/empty")
        assert (r.content, r.headers["content-length"]) == (b"", "0")
        assert "content-type" not in r.headers
        assert client.get("/media").headers["content-type"] == "application/x-thing"


def test_redirects_encode_unsafe_characters(interface: str) -> None:
    app = Application()
    app.get("/go", lambda: RedirectResponse("/target?x=1"))
    app.get("/perm", lambda: RedirectResponse("https://example.com/a b", status_code=301))
    app.get("/inject", lambda: RedirectResponse("/x\r\nset-cookie: evil=1"))
    with TestClient(app, interface, follow_redirects=False) as client:
        r = client.get("/go")
        assert (r.status_code, r.headers["location"]) == (307, "/target?x=1")
        assert client.get("/perm").headers["location"] == "https://example.com/a%20b"
        r = client.get("/inject")
        assert r.headers["location"] == "/x%0D%0Aset-cookie:%20evil=1"
        assert "set-cookie" not in r.headers


def test_set_and_delete_cookies(interface: str) -> None:
    app = Application()

    @app.get("/whoami")
    async def whoami(request: Request) -> dict:
        return request.cookies

    @app.get("/login")
    async def login() -> Response:
        response = PlainTextResponse("in")
        response.set_cookie("sid", "a%20b%3Bc", max_age=60, httponly=True, secure=True)
        response.set_cookie(
            "theme", "dark", samesite="strict", path="/app", secure=True, partitioned=True
        )
        response.delete_cookie("old")
        return response

    with TestClient(app, interface) as client:
        cookies = client.get("/login").headers.get_list("set-cookie")
        # What a browser sends back parses to the original value.
        sent_back = client.get("/whoami", headers={"cookie": "sid=a%20b%3Bc; theme=dark"})
    assert sent_back.json() == {"sid": "a%20b%3Bc", "theme": "dark"}
    assert cookies[0] == "sid=a%20b%3Bc; HttpOnly; Max-Age=60; Path=/; SameSite=lax; Secure"
    assert cookies[1] == "theme=dark; Path=/app; SameSite=strict; Secure; Partitioned"
    assert cookies[2].startswith('old=""; expires=') and "Max-Age=0" in cookies[2]
    with pytest.raises(ValueError, match="samesite"):
        Response().set_cookie("a", "b", samesite="sideways")  # type: ignore[arg-type]
    # Attribute injection: path/domain cannot smuggle extra attributes.
    with pytest.raises(ValueError, match="cookie path"):
        Response().set_cookie("sid", "x", path="/; Domain=evil.example; SameSite=None")
    with pytest.raises(ValueError, match="cookie domain"):
        Response().set_cookie("sid", "x", domain="a.example\r\nSet-Cookie: x=1")
    with pytest.raises(ValueError, match="must be secure"):
        Response().set_cookie("sid", "x", partitioned=True)


def test_streaming_from_async_and_sync_iterables(interface: str) -> None:
    app = Application()
    threads: list[str] = []

    async def agen() -> Any:
        for i in range(3):
            await asyncio.sleep(0)
            yield f"a{i},"
        yield b""  # empty chunks are skipped

    def sgen() -> Iterator[bytes]:
        threads.append(threading.current_thread().name)
        yield b"s0,"
        yield bytearray(b"s1")

    app.get("/async", lambda: StreamingResponse(agen(), media_type="text/csv"))
    app.get("/sync", lambda: StreamingResponse(sgen()))
    app.get("/list", lambda: StreamingResponse([b"l0", "l1"], headers={"content-length": "4"}))
    with TestClient(app, interface) as client:
        r = client.get("/async")
        assert r.text == "a0,a1,a2,"
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert "content-length" not in r.headers
        assert client.get("/sync").text == "s0,s1"
        r = client.get("/list")
        assert (r.text, r.headers["content-length"]) == ("l0l1", "4")
    assert threads and threads[0] != "orionis-testclient"  # sync iterables run off the loop


def test_head_and_204_on_a_stream_close_the_iterable_unread(interface: str) -> None:
    app = Application()
    events: list[str] = []

    async def gen() -> Any:
        try:
            events.append("started")
            yield b"body"
        finally:
            events.append("closed")

    app.get("/s", lambda: StreamingResponse(gen()))
    app.get("/n", lambda: StreamingResponse(gen(), status_code=204))
    with TestClient(app, interface) as client:
        r = client.head("/s")
        assert (r.status_code, r.content) == (200, b"")
        assert client.get("/n").content == b""
    assert "started" not in events


def test_client_disconnect_stops_and_closes_the_stream(interface: str) -> None:
    app = Application()
    exhausted = threading.Event()
    closed = threading.Event()

    async def endless() -> Any:
        try:
            i = 0
            while i < 100_000:  # bounded, but far more than the client reads (100 s at least)
                yield f"event {i}\n"
                i += 1
                await asyncio.sleep(0.001)
            exhausted.set()
        finally:
            closed.set()

    app.get("/events", lambda: StreamingResponse(endless()))
    with TestClient(app, interface) as client, client.stream("GET", "/events") as r:
        lines = r.iter_lines()
        assert next(lines) == "event 0"
        assert next(lines) == "event 1"
    assert closed.wait(60)  # a safety net, not a timing bound
    assert not exhausted.is_set()  # closed because the client left, not run to its end


def test_stream_chunk_of_wrong_type_is_an_error(interface: str) -> None:
    app = Application()
    app.get("/bad", lambda: StreamingResponse([b"ok", 42]))
    if interface == "rsgi":  # logged, and the body ends (tests/http/test_stream_errors.py)
        with TestClient(app, interface) as client:
            assert client.get("/bad").content == b"ok"
        return
    with TestClient(app, interface) as client, pytest.raises(TypeError, match="bytes or str"):
        client.get("/bad")
    with pytest.raises(TypeError, match="iterable"):
        StreamingResponse(b"not an iterable of chunks")


def test_file_whole_and_metadata(interface: str, flavor: str, data_file: pathlib.Path) -> None:
    app = Application()
    app.get("/f", lambda: FileResponse(data_file))
    app.get("/named", lambda: FileResponse(data_file, filename="résumé v1.pdf"))
    with TestClient(app, interface, server=flavor) as client:
        r = client.get("/f")
        assert r.content == CONTENT
        assert r.headers["content-length"] == str(len(CONTENT))
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["accept-ranges"] == "bytes"
        assert r.headers["etag"].startswith('"')
        mtime = os.stat(data_file).st_mtime
        assert r.headers["last-modified"] == email.utils.formatdate(mtime, usegmt=True)
        r = client.get("/named")
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"] == (
            "attachment; filename=\"r_sum_ v1.pdf\"; filename*=utf-8''r%C3%A9sum%C3%A9%20v1.pdf"
        )


@pytest.mark.parametrize(
    ("range_header", "status", "expected", "content_range"),
    [
        ("bytes=0-99", 206, CONTENT[0:100], "bytes 0-99/102400"),
        ("bytes=100-", 206, CONTENT[100:], "bytes 100-102399/102400"),
        ("bytes=-10", 206, CONTENT[-10:], "bytes 102390-102399/102400"),
        ("bytes=102000-999999", 206, CONTENT[102000:], "bytes 102000-102399/102400"),
        ("bytes=0-0", 206, CONTENT[0:1], "bytes 0-0/102400"),
        ("bytes=0-1,5-6", 200, CONTENT, None),  # several ranges: whole file
        ("bytes=9-3", 200, CONTENT, None),  # invalid: ignored
        ("lines=0-3", 200, CONTENT, None),  # unknown unit: ignored
        ("bytes=x-3", 200, CONTENT, None),
        # numbers too long for a file (int() refuses >4300 digits): huge, never a 500
        ("bytes=" + "9" * 5000 + "-", 416, b"", "bytes */102400"),
        ("bytes=0-" + "9" * 5000, 206, CONTENT, "bytes 0-102399/102400"),
        ("bytes=-" + "9" * 5000, 206, CONTENT, "bytes 0-102399/102400"),
        ("bytes=" + "0" * 30 + "5-" + "0" * 30 + "9", 206, CONTENT[5:10], "bytes 5-9/102400"),
        ("bytes=" + "0" * 40 + "-", 206, CONTENT, "bytes 0-102399/102400"),
    ],
)
def test_file_ranges(
    interface: str,
    flavor: str,
    data_file: pathlib.Path,
    range_header: str,
    status: int,
    expected: bytes,
    content_range: str | None,
) -> None:
    app = Application()
    app.get("/f", lambda: FileResponse(data_file))
    with TestClient(app, interface, server=flavor) as client:
        r = client.get("/f", headers={"range": range_header})
    assert r.status_code == status
    assert r.content == expected
    assert r.headers["content-length"] == str(len(expected))
    assert r.headers.get("content-range") == content_range


def test_file_unsatisfiable_range_and_conditionals(interface: str, data_file: pathlib.Path) -> None:
    app = Application()
    app.get("/f", lambda: FileResponse(data_file))
    with TestClient(app, interface) as client:
        r = client.get("/f", headers={"range": "bytes=500000-"})
        assert (r.status_code, r.headers["content-range"], r.content) == (
            416,
            "bytes */102400",
            b"",
        )
        first = client.get("/f")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        r = client.get("/f", headers={"if-none-match": f'"other", {etag}'})
        assert (r.status_code, r.content, r.headers["etag"]) == (304, b"", etag)
        assert "content-length" not in r.headers
        assert client.get("/f", headers={"if-none-match": "*"}).status_code == 304
        assert client.get("/f", headers={"if-modified-since": modified}).status_code == 304
        old = "Mon, 01 Jan 2001 00:00:00 GMT"
        assert client.get("/f", headers={"if-modified-since": old}).status_code == 200
        assert client.get("/f", headers={"if-modified-since": "garbage"}).status_code == 200
        r = client.get("/f", headers={"range": "bytes=0-9", "if-range": etag})
        assert r.status_code == 206
        r = client.get("/f", headers={"range": "bytes=0-9", "if-range": '"stale"'})
        assert (r.status_code, len(r.content)) == (200, len(CONTENT))


def test_file_head_and_missing_file(interface: str, data_file: pathlib.Path) -> None:
    app = Application()
    app.get("/f", lambda: FileResponse(data_file))
    app.get("/gone", lambda: FileResponse(data_file.with_name("nope.bin")))
    app.get("/dir", lambda: FileResponse(data_file.parent))
    with TestClient(app, interface) as client:
        r = client.head("/f")
        assert (r.status_code, r.content) == (200, b"")
        assert r.headers["content-length"] == str(len(CONTENT))
        r = client.get("/gone")
        assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
        assert "nope.bin" not in r.text
        assert client.get("/dir").status_code == 404


@pytest.mark.parametrize("name", ["a%00b", "x" * 300, "..", "data.bin%2F..%2Fdata.bin"])
def test_file_names_from_user_input_are_404_not_500(
    interface: str, data_file: pathlib.Path, name: str
) -> None:
    """A NUL byte, a name too long for the filesystem, a directory, a path through a file."""
    app = Application()
    app.get("/dl/{name}", lambda name: FileResponse(f"{data_file.parent}/{name}"))

    @app.exception_handler(404)
    async def custom(request: Request, exc: Exception) -> tuple:
        return {"missing": request.path_params.get("name")}, 404

    with TestClient(app, interface) as client:
        assert client.get("/dl/data.bin").content == CONTENT
        r = client.get(f"/dl/{name}")
    assert r.status_code == 404
    assert "missing" in r.json()  # exception handlers see these 404s too


def test_exception_handlers_may_answer_with_files(
    interface: str, data_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """A handler that raises, answered by a file; a 404 page that is a file; and a 404 page
    whose own file is missing (answered plainly, without recursing into the handler)."""
    page = tmp_path / "404.html"
    page.write_text("<h1>not here</h1>")
    cleaned: list[str] = []

    async def resource() -> Any:
        try:
            yield "r"
        finally:
            cleaned.append("closed")

    app = Application()

    @app.get("/boom")
    async def boom(r: str = Depends(resource)) -> None:
        raise LookupError("no such thing")

    @app.exception_handler(LookupError)
    async def gone(request: Request, exc: Exception) -> FileResponse:
        return FileResponse(data_file, status_code=410)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> FileResponse:
        name = "404.html" if request.path != "/lost-page" else "missing.html"
        return FileResponse(tmp_path / name, status_code=404)

    with TestClient(app, interface) as client:
        r = client.get("/boom")
        assert (r.status_code, r.content) == (410, CONTENT)
        assert cleaned == ["closed"]  # the dependency's cleanup still ran
        r = client.get("/boom", headers={"range": "bytes=0-9"})  # only 200s honour Range
        assert (r.status_code, len(r.content)) == (410, len(CONTENT))
        r = client.get("/nowhere")
        assert (r.status_code, r.text) == (404, "<h1>not here</h1>")
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        r = client.get("/lost-page")
        assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")


class StatusRecorder(Middleware):
    """Records the status each response has when it passes back through middleware."""

    seen: ClassVar[list[int]] = []

    async def handle(self, request: Request, call_next: Any) -> Response:
        response = await call_next()
        StatusRecorder.seen.append(response.status_code)
        return response


def test_middleware_sees_the_file_status_the_client_gets(
    interface: str, data_file: pathlib.Path
) -> None:
    """Ranges, conditionals and missing files are decided before middleware runs, so
    middleware (and security headers) see 206/304/404, not the handler's 200."""
    StatusRecorder.seen = []
    app = Application()
    app.add_middleware(StatusRecorder)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(CORSMiddleware, allow_origins=["https://app.example"])
    app.get("/f", lambda: FileResponse(data_file))
    app.get("/gone", lambda: FileResponse(data_file.with_name("nope.bin")))
    with TestClient(app, interface) as client:
        etag = client.get("/f").headers["etag"]
        statuses = [
            client.get("/f", headers={"range": "bytes=0-9"}).status_code,
            client.get("/f", headers={"if-none-match": etag}).status_code,
            client.get("/f", headers={"range": "bytes=999999-"}).status_code,
        ]
        r = client.get("/gone", headers={"origin": "https://app.example"})
    assert statuses == [206, 304, 416]
    assert r.status_code == 404
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert StatusRecorder.seen == [200, 206, 304, 416, 404]


def test_middleware_may_answer_with_a_file(interface: str, data_file: pathlib.Path) -> None:
    class Maintenance(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Response:
            if request.path.startswith("/down"):
                return FileResponse(data_file)
            if request.path == "/missing":
                return FileResponse(data_file.with_name("nope.bin"))
            return await call_next()

    app = Application()
    app.add_middleware(Maintenance)
    with TestClient(app, interface) as client:
        r = client.get("/down", headers={"range": "bytes=0-9"})
        assert (r.status_code, r.content) == (206, CONTENT[:10])
        r = client.get("/missing")
        assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")


def idle_async_stream(closed: threading.Event) -> Any:
    async def slow() -> Any:
        try:
            yield b"line 0\n"
            await asyncio.Event().wait()  # idle: no chunk until the stream is closed
            yield b"never"
        finally:
            closed.set()

    return slow()


def blocking_sync_stream(closed: threading.Event) -> Any:
    def ticks() -> Iterator[str]:
        try:
            for i in range(2000):  # bounded (100 s); each step blocks a pool thread
                yield f"line {i}\n"
                time.sleep(0.05)
        finally:
            closed.set()

    return ticks()


@pytest.mark.parametrize("source", [idle_async_stream, blocking_sync_stream])
def test_stream_is_closed_when_the_client_leaves(interface: str, source: Any) -> None:
    """The disconnect is noticed while the iterator waits for its next chunk (an idle async
    generator, or a blocking one busy in a thread), and the iterator's finally runs."""
    app = Application()
    closed = threading.Event()
    app.get("/stream", lambda: StreamingResponse(source(closed)))
    with TestClient(app, interface) as client, client.stream("GET", "/stream") as r:
        assert next(r.iter_lines()) == "line 0"
    assert closed.wait(60)  # a safety net: only closing the iterator sets it in time


def test_streaming_response_can_echo_the_request_body(interface: str) -> None:
    """The ASGI disconnect watcher must not steal body messages from the stream."""
    app = Application()

    @app.post("/echo", max_body_size=None)
    async def echo(request: Request) -> StreamingResponse:
        return StreamingResponse(request.stream())

    def upload() -> Iterator[bytes]:
        for i in range(40):
            yield bytes([65 + i % 26]) * 50_000

    expected = b"".join(upload())
    with TestClient(app, interface) as client:
        for _ in range(3):
            assert client.post("/echo", content=upload()).content == expected


def test_empty_file(interface: str, flavor: str, tmp_path: pathlib.Path) -> None:
    """Without pathsend (uvicorn) an empty file still ends its response."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    app = Application()
    app.get("/empty", lambda: FileResponse(empty))
    with TestClient(app, interface, server=flavor) as client:
        r = client.get("/empty")
        assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "0")
        assert client.get("/empty").status_code == 200  # the connection is still usable


def test_sync_stream_is_closed_at_once_when_the_client_leaves() -> None:
    """A blocking generator busy in a thread when the client leaves is closed as soon as that
    step returns: no ``ValueError: generator already executing``, its ``finally`` runs then,
    not at garbage collection."""
    closed = threading.Event()
    in_step = threading.Event()
    left = threading.Event()

    def blocking() -> Iterator[bytes]:
        try:
            yield b"first"
            in_step.set()
            left.wait(60)  # the client leaves while this thread is inside next()
            yield b"second"
            yield b"never"
        finally:
            closed.set()

    iterator = blocking()  # held here, so only an explicit close runs the finally
    response = StreamingResponse(iterator)

    async def consume() -> list[bytes]:
        loop = asyncio.get_running_loop()
        gone = loop.create_future()

        async def leave_mid_step() -> None:
            await loop.run_in_executor(None, in_step.wait, 60)
            gone.set_result(None)
            # A few loop turns, so chunks_until sees the client gone and cancels its step
            # while next() is still blocked (deterministic: the thread waits for ``left``).
            for _ in range(20):
                await asyncio.sleep(0)
            left.set()

        leaving = asyncio.ensure_future(leave_mid_step())
        received = [chunk async for chunk in response.chunks_until(gone)]
        await leaving
        return received

    assert asyncio.run(consume()) == [b"first"]
    assert closed.is_set()
    assert iterator.gi_frame is None  # finished, not suspended at a yield


def test_stream_started_by_the_handler_continues_in_a_streamed_response(interface: str) -> None:
    """A handler may read the first chunk of request.stream() and stream the rest back: the
    ASGI disconnect watcher then takes over reading, and no chunk is lost."""
    app = Application()

    @app.post("/relay", max_body_size=None)
    async def relay(request: Request) -> StreamingResponse:
        chunks = request.stream()
        first = await chunks.__anext__()

        async def rest() -> Any:
            yield first
            async for chunk in chunks:
                yield chunk

        return StreamingResponse(rest())

    def upload() -> Iterator[bytes]:
        for i in range(20):
            yield bytes([65 + i]) * 70_000

    expected = b"".join(upload())
    with TestClient(app, interface) as client:
        for _ in range(3):
            r = client.post("/relay", content=upload())
            assert (r.status_code, len(r.content)) == (200, len(expected))
            assert r.content == expected
