"""In-process stand-ins for the servers, used by ``TestClient``.

These play the server's side of each protocol, not the application's, so they stay out of
``orionis.adapters``. They are deliberately strict: anything that would crash or confuse a
real server (a status Granian panics on, a header it would drop, a second response) raises
``ServerError`` so the test fails loudly instead of passing by luck.

Both run the application as a task on the client's event loop thread and report what it
sends through a thread-safe queue, so a test can read a streamed body as it is produced and
close it early (which the application then sees as a client disconnect).
"""

from __future__ import annotations

import asyncio
import queue
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from granian.rsgi import ProtocolClosed, ProtocolError

__all__ = ["ASGIServer", "Exchange", "RSGIServer", "ServerError"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK = 64 * 1024
# Options a test passes per request: client.post(url, extensions={"orionis": {...}})
#   "truncate": int  deliver only this many body bytes, then behave as if the client left
#   "target": str    the request target the server hands over instead of the URL's path,
#                    e.g. "*" for ``OPTIONS *`` (httpx cannot send the asterisk form)
#   "stall": int     deliver only this many body bytes, then nothing more, ever (the client
#                    stays connected but idle) until the response is complete
#   "stalled": threading.Event  set when the app waits for stalled bytes
#   "piece": int     deliver the body in pieces of this many bytes (default 64 KiB)
#   "record": list   the server appends "read" each time the app asks for body (an ASGI
#                    receive(), an RSGI protocol() call or iteration step), and "watch"
#                    when an RSGI app starts watching for a disconnect (client_disconnect())
#   "pause": bool    every body read waits one loop pass before it answers, as a real
#                    server's read does when the bytes are not there yet
#   "authority": str HTTP/2 only: the :authority, sent besides the request's Host header
#                    (Granian's RSGI side passes both; its ASGI side passes only Host)
OPTIONS_KEY = "orionis"


class ServerError(AssertionError):
    """The application did something a real server would choke on."""


@dataclass
class Exchange:
    """One request in flight: what the test side and the app side share."""

    request: httpx.Request
    body: bytes
    events: queue.Queue[tuple[Any, ...]] = field(default_factory=queue.Queue)
    truncate: int | None = None
    target: str | None = None
    stall: int | None = None
    stalled: Any = None  # a threading.Event, or None
    piece: int = _CHUNK
    record: list[str] | None = None
    authority: str | None = None
    pause: bool = False
    leave: Any = None  # an asyncio.Event: the client disconnects once it is set
    disconnected: asyncio.Event | None = None  # created on the loop
    complete: asyncio.Event | None = None
    started: bool = False

    def options(self) -> None:
        opts = self.request.extensions.get(OPTIONS_KEY) or {}
        self.truncate = opts.get("truncate")
        self.target = opts.get("target")
        self.stall = opts.get("stall")
        self.stalled = opts.get("stalled")
        self.piece = opts.get("piece", _CHUNK)
        self.record = opts.get("record")
        self.authority = opts.get("authority")
        self.pause = bool(opts.get("pause", False))
        self.leave = opts.get("disconnect")

    def pieces(self) -> list[bytes]:
        """The body as the server delivers it (only the first ``stall`` bytes if stalled)."""
        body = self.body if self.stall is None else self.body[: self.stall]
        size = self.piece
        return [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    def read(self) -> None:
        if self.record is not None:
            self.record.append("read")

    async def reading(self) -> None:
        """A body read: recorded, and one loop pass long with ``pause``."""
        self.read()
        if self.pause:
            await asyncio.sleep(0)

    async def stalling(self) -> None:
        """Wait like a server whose client went quiet: until the exchange is over."""
        assert self.complete is not None and self.disconnected is not None
        if self.stalled is not None:
            self.stalled.set()
        await _until_over(self)

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self.started:
            raise ServerError("the application started a second response")
        if type(status) is not int or not 100 <= status <= 599:
            raise ServerError(f"status {status!r} would crash Granian's worker")
        for name, value in headers:
            if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                raise ServerError(f"invalid header name {name!r} reached the server")
            if not isinstance(value, str) or any(c in value for c in "\r\n\x00"):
                raise ServerError(f"header {name!r} has a value that splits the response")
        self.started = True
        self.events.put(("start", status, headers))

    def chunk(self, data: bytes) -> None:
        if data:
            self.events.put(("body", bytes(data)))

    def end(self) -> None:
        self.events.put(("end",))
        if self.complete is not None:
            self.complete.set()


async def _until_over(ex: Exchange) -> None:
    assert ex.complete is not None and ex.disconnected is not None
    done = asyncio.ensure_future(ex.complete.wait())
    left = asyncio.ensure_future(ex.disconnected.wait())
    try:
        await asyncio.wait({done, left}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        done.cancel()
        left.cancel()


def _target(ex: Exchange) -> tuple[str, str, bytes]:
    if ex.target is not None:  # as uvicorn and Granian pass "*": path "*", no query
        return ex.target, "", ex.target.encode("ascii")
    raw = ex.request.url.raw_path
    raw_path, _, query = raw.partition(b"?")
    return unquote(raw_path.decode("ascii")), query.decode("ascii"), raw_path


class ASGIServer:
    """Drives ``app(scope, receive, send)`` like Granian's ASGI side or like uvicorn.

    ``flavor="granian"`` sends ports as strings and offers ``http.response.pathsend``;
    ``flavor="uvicorn"`` sends int ports and no extensions.
    """

    def __init__(
        self,
        app: Any,
        flavor: str = "granian",
        http_version: str = "1.1",
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        if flavor not in ("granian", "uvicorn"):
            raise ValueError("flavor is 'granian' or 'uvicorn'")
        self.app = app
        self.flavor = flavor
        self.http_version = http_version
        self.client = client

    def _port(self, port: int) -> Any:
        return str(port) if self.flavor == "granian" else port

    def scope(self, ex: Exchange) -> dict[str, Any]:
        request = ex.request
        path, query, raw_path = _target(ex)
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        headers = [(k.lower(), v) for k, v in request.headers.raw]
        version = self.http_version
        if version == "1.0" and self.flavor == "granian":
            version = "1"  # what Granian's ASGI side sends for HTTP/1.0
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": version,
            "method": request.method,
            "scheme": url.scheme,
            "path": path,
            "raw_path": raw_path,
            "query_string": query.encode("ascii"),
            "root_path": "",
            "headers": headers,
            "client": (self.client[0], self._port(self.client[1])),
            "server": ("127.0.0.1", self._port(port)),
            "extensions": {"http.response.pathsend": {}} if self.flavor == "granian" else {},
            "state": {},
        }

    async def run(self, ex: Exchange) -> None:
        pieces = ex.pieces()
        if ex.truncate is not None:
            pieces = [ex.body[: ex.truncate]]
        pending = list(pieces)
        assert ex.complete is not None and ex.disconnected is not None
        stalling = ex.stall is not None

        async def receive() -> dict[str, Any]:
            await ex.reading()
            if pending:
                piece = pending.pop(0)
                if ex.truncate is not None or stalling:
                    if piece:
                        return {"type": "http.request", "body": piece, "more_body": True}
                    if ex.truncate is not None:
                        return {"type": "http.disconnect"}
                else:
                    return {"type": "http.request", "body": piece, "more_body": bool(pending)}
            if ex.truncate is not None:
                return {"type": "http.disconnect"}
            # Like a server: nothing more until the response is done or the client leaves.
            await (ex.stalling() if stalling else _until_over(ex))
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if not isinstance(name, bytes) or not isinstance(value, bytes):
                        raise ServerError("ASGI headers must be bytes pairs")
                    headers.append((name.decode("latin-1"), value.decode("latin-1")))
                ex.start(message["status"], headers)
            elif kind == "http.response.body":
                if not ex.started:
                    raise ServerError("response body sent before http.response.start")
                if ex.disconnected.is_set():
                    return  # uvicorn ignores sends after a disconnect
                ex.chunk(message.get("body", b""))
                if not message.get("more_body", False):
                    ex.end()
            elif kind == "http.response.pathsend":
                if self.flavor != "granian":
                    raise ServerError("pathsend used but the server did not offer it")
                with open(message["path"], "rb") as handle:
                    ex.chunk(handle.read())
                ex.end()
            else:
                raise ServerError(f"unexpected ASGI message {kind!r}")

        await self.app(self.scope(ex), receive, send)
        if ex.started and not ex.complete.is_set() and not ex.disconnected.is_set():
            # uvicorn logs this and drops the connection; the client never sees an end
            raise ServerError("ASGI callable returned without completing the response")


class _RSGIHeaders:
    """Granian's header map: lower-case names, ``get``/``get_all``/``items``, no ``h[k]``."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        # A map of first values, so lookups cost about what Granian's (a hash map) do: the
        # in-process benchmarks drive requests through this fake.
        self._first: dict[str, str] = {}
        for k, v in pairs:
            self._first.setdefault(k, v)

    def get(self, key: str, default: Any = None) -> Any:
        return self._first.get(key, default)

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def keys(self) -> list[str]:
        return [k for k, _ in self._pairs]

    def values(self) -> list[str]:
        return [v for _, v in self._pairs]

    def __contains__(self, key: str) -> bool:
        return key in self._first

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)


@dataclass
class _RSGIScope:
    proto: str
    http_version: str
    rsgi_version: str
    scheme: str
    method: str
    path: str
    query_string: str
    authority: str | None
    server: str
    client: str
    headers: _RSGIHeaders


class _StreamTransport:
    def __init__(self, ex: Exchange) -> None:
        self._ex = ex

    async def send_bytes(self, data: bytes) -> None:
        assert self._ex.disconnected is not None
        if self._ex.disconnected.is_set():
            raise ProtocolClosed("RSGI transport is closed")
        self._ex.chunk(data)

    async def send_str(self, data: str) -> None:
        await self.send_bytes(data.encode())


class _RSGIProtocol:
    """Granian's HTTP protocol object, quirks included (see docs/architecture.md)."""

    def __init__(self, ex: Exchange, http2: bool) -> None:
        self._ex = ex
        self._http2 = http2
        self._body_taken = False
        self.responded = False

    def _take_body(self) -> None:
        if self._body_taken:
            raise ProtocolError("RSGI protocol error: the body was already consumed")
        self._body_taken = True

    async def __call__(self) -> bytes:
        self._take_body()
        await self._ex.reading()
        if self._ex.truncate is not None:
            raise ProtocolClosed("RSGI transport is closed")
        if self._ex.stall is not None:
            await self._ex.stalling()
            raise ProtocolClosed("RSGI transport is closed")
        return self._ex.body

    def __aiter__(self) -> Any:
        self._take_body()
        return self._iterate()

    async def _iterate(self) -> Any:
        ex = self._ex
        if ex.truncate is not None:
            await ex.reading()
            if ex.truncate:
                yield ex.body[: ex.truncate]
            yield b""  # Granian's marker for a body error...
            yield b""  # ...then its usual end
            return
        for piece in ex.pieces():
            await ex.reading()
            if piece:
                yield piece
        await ex.reading()
        if ex.stall is not None:
            await ex.stalling()
            return  # the exchange is over: nobody reads on
        if self._http2:
            yield b""  # HTTP/2 ends clean bodies with an empty DATA frame too
        yield b""

    def client_disconnect(self) -> Awaitable[Any]:
        # Granian's returns its future at once: watching starts with the call.
        assert self._ex.disconnected is not None
        if self._ex.record is not None:
            self._ex.record.append("watch")
        return self._ex.disconnected.wait()

    def _respond(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self.responded:
            raise ServerError("the application called a second RSGI response method")
        self.responded = True
        if not isinstance(headers, list) or not all(
            isinstance(h, tuple) and len(h) == 2 for h in headers
        ):
            raise ServerError("RSGI headers must be a list of (str, str) tuples")
        self._ex.start(status, headers)

    def response_empty(self, status: int, headers: list[tuple[str, str]]) -> None:
        self._respond(status, headers)
        self._ex.end()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self._respond(status, [*headers, ("content-length", str(len(body)))])
        self._ex.chunk(body)
        self._ex.end()

    def response_str(self, status: int, headers: list[tuple[str, str]], body: str) -> None:
        self.response_bytes(status, headers, body.encode())

    def response_file(self, status: int, headers: list[tuple[str, str]], file: str) -> None:
        self._respond(status, headers)
        with open(file, "rb") as handle:
            self._ex.chunk(handle.read())
        self._ex.end()

    def response_file_range(
        self, status: int, headers: list[tuple[str, str]], file: str, start: int, end: int
    ) -> None:
        if not 0 <= start < end:
            raise ServerError(f"bad file range {start}-{end}")
        self._respond(status, headers)
        with open(file, "rb") as handle:
            handle.seek(start)
            self._ex.chunk(handle.read(end - start))
        self._ex.end()

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> _StreamTransport:
        self._respond(status, headers)
        return _StreamTransport(self._ex)


class RSGIServer:
    """Drives ``app.__rsgi__(scope, protocol)`` the way Granian does."""

    def __init__(
        self, app: Any, http_version: str = "1.1", client: tuple[str, int] = ("127.0.0.1", 50000)
    ) -> None:
        self.app = app
        self.http_version = http_version
        self.client = client

    async def run(self, ex: Exchange) -> None:
        request = ex.request
        path, query, _ = _target(ex)
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        http2 = self.http_version == "2"
        # Granian drops header values that are not plain ASCII.
        pairs = [
            (k.decode("latin-1").lower(), v.decode("latin-1"))
            for k, v in request.headers.raw
            if v.isascii()
        ]
        authority = None
        if http2 and ex.authority is not None:  # both, as a client may send them
            authority = ex.authority
        elif http2:  # HTTP/2: the (first) host travels as :authority, not as a header
            hosts = [i for i, (k, _) in enumerate(pairs) if k == "host"]
            if hosts:
                authority = pairs.pop(hosts[0])[1]
        scope = _RSGIScope(
            proto="http",
            http_version=self.http_version if self.http_version != "1.0" else "1",
            rsgi_version="1.6",
            scheme=url.scheme,
            method=request.method,
            path=path,
            query_string=query,
            authority=authority,
            server=f"127.0.0.1:{port}",
            client=f"{self.client[0]}:{self.client[1]}",
            headers=_RSGIHeaders(pairs),
        )
        protocol = _RSGIProtocol(ex, http2)
        await self.app.__rsgi__(scope, protocol)
        if not protocol.responded and not (ex.disconnected and ex.disconnected.is_set()):
            raise ServerError("the application returned without sending a response")
        if not ex.complete or not ex.complete.is_set():
            ex.end()  # a stream ends when the app coroutine returns


Runner = Callable[[Exchange], Any]
