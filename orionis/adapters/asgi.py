"""ASGI 3 adapter: scope/receive/send in, neutral ``Request`` and ``Response`` out.

What this adapter smooths over (see docs/architecture.md):

- Granian's ASGI side sends client/server ports as strings: normalised to ``int``.
- ``path`` is already percent-decoded by the server; ``root_path`` (the scope's, else
  ``Application(root_path=...)``) is stripped from it when it starts with it.
- Response bodies are framed here: ``content-length`` is added for in-memory bodies.
- ``http.response.pathsend`` is used for whole files when the server offers it (Granian);
  otherwise files are read in Orionis' I/O pool and sent in chunks (uvicorn).
- A WebSocket handshake (``ASGIHandshake``) is a connection, not a request: it reads the
  scope as ``ASGIRequest`` does (``_ASGIConnection``) and has no body.
- Lifespan never raises: a failed startup is ``lifespan.startup.failed`` (the server then
  exits non-zero instead of serving without lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from orionis import _hot
from orionis.concurrency import run_io
from orionis.connections import UNSET as _UNSET
from orionis.connections import Handshake, websocket_scheme, without_root
from orionis.datastructures import Address
from orionis.disconnect import Resume
from orionis.draining import install_signal_hooks, stream_until
from orionis.exceptions import ClientDisconnect
from orionis.foundation.enums.runtimes import Runtime
from orionis.requests import _MAX_LENGTH_DIGITS, Request, two_hosts, wire_headers
from orionis.responses import (
    FileResponse,
    PreparedFile,
    Response,
    ResponseKind,
    StreamingResponse,
    bodyless,
    with_content_length,
)
from orionis.websocket_routing import serve_websocket
from orionis.websockets import BYTES, CLOSE, TEXT, WebSocketDisconnect

if TYPE_CHECKING:
    from orionis.foundation.application import Application

_BODY, _STREAM = ResponseKind.BODY, ResponseKind.STREAM  # module globals: the hot path

__all__ = ["ASGIAdapter", "ASGIRequest"]

_encode = _hot.headers.encode_headers
_encode_with_length = _hot.headers.encode_with_length
_decode = _hot.headers.decode_headers

Scope = dict[str, Any]
Message = dict[str, Any]


def _address(pair: Any) -> Address | None:
    if not pair:
        return None
    host, port = pair[0], pair[1]
    try:
        return Address(str(host), int(port) if port is not None else 0)
    except (TypeError, ValueError):
        return Address(str(host), 0)


def _origin_form(scope: Scope) -> str:
    """The path of an absolute-form target (``GET http://host/p``), which uvicorn passes
    through as the path while Granian already reduces it (RFC 9112 3.2.2).

    Split from ``raw_path`` before decoding, so ``%3F`` and ``%23`` stay in the path.
    """
    path: str = scope["path"]
    if "://" not in path:
        return path
    raw = scope.get("raw_path")
    if raw:
        return unquote(urlsplit(raw.decode("latin-1")).path) or "/"
    return urlsplit(path).path or "/"


def _routed_path(scope: Scope, root: str) -> str:
    """The scope's path as routed: an absolute-form target reduced to its path, and
    ``root`` (the scope's ``root_path``, else the app's) removed from its start."""
    path: str = scope["path"]
    if path[:1] != "/":
        path = _origin_form(scope)
    return without_root(path, root)


_HTTP1 = ("1.1", "1.0")


class _ASGIConnection:
    """What ``ASGIRequest`` and ``ASGIHandshake`` read from the scope: headers, peer
    addresses and ``root_path``. A mixin without state (its classes hold ``_scope``),
    placed before their base class."""

    __slots__ = ()
    interface = "asgi"

    _scope: Scope
    app: Application

    @property
    def root_path(self) -> str:
        """The prefix the app is mounted under: the server's ``root_path``, else the app's."""
        return self._scope.get("root_path") or self.app.root_path

    def _raw_headers(self) -> list[tuple[str, str]]:
        return _decode(self._scope.get("headers") or [])

    # ASGI header names are lower-case (the spec requires it), so both compare them as is.
    def _native_header_values(self, name: str) -> list[str]:
        key = name.encode("latin-1")
        return [
            v.decode("latin-1")
            for k, v in self._scope.get("headers") or ()
            if k == key and v.isascii()
        ]

    def _peer(self) -> tuple[Address | None, Address | None]:
        return _address(self._scope.get("client")), _address(self._scope.get("server"))


class ASGIRequest(_ASGIConnection, Request):
    __slots__ = ("_receive", "_scope")

    # The disconnect watcher's state: class-level defaults until a request starts one.
    _inbox: asyncio.Queue[Message] | None = None
    _pump: asyncio.Task[None] | None = None
    _gone: asyncio.Future[None] | None = None  # the watcher's, once started
    _reading = False  # _chunks is inside receive(): the watcher must wait for it
    _pump_wanted = False
    _body_done = False  # the last body message has been received
    _watch_after_body = False  # the disconnect guard waits for the whole body
    _unread: Message | None = None  # a message _read_body took and put back

    def __init__(self, app: Application, scope: Scope, receive: Any) -> None:
        # Request.__init__'s fields, inlined (one call less per request; checked alike by
        # tests/unit/test_connections.py).
        self.app = app
        self.path_params = {}
        self.route = None
        self.route_template = None
        self.max_body_size = app.max_body_size
        self.body_timeout = app.body_timeout
        self._scope = scope
        self._receive = receive
        self.method = scope["method"]
        path = scope["path"]
        root = scope.get("root_path") or app.root_path
        if root or path[:1] != "/":  # a mount prefix or an absolute-form target
            path = _routed_path(scope, root)
        self.path = path
        self.query_string = scope.get("query_string", b"").decode("utf-8", "replace")
        self.scheme = scope.get("scheme") or "http"
        version = scope.get("http_version") or "1.1"
        self.http_version = "1.0" if version == "1" else version  # Granian sends "1"

    def _declares_framing(self) -> bool:
        for name, _ in self._scope.get("headers") or ():
            if name == b"content-length" or name == b"transfer-encoding":
                return True
        return False

    def has_body(self) -> bool:
        # Request.has_body in one pass over the raw headers: it runs for every request. A
        # single plain Content-Length is read here; anything else gets the full checks.
        if self._content_length is _UNSET:
            count = 0
            value = b""
            chunked = False
            for name, raw in self._scope.get("headers") or ():
                if name == b"content-length":
                    count += 1
                    value = raw
                elif name == b"transfer-encoding":
                    chunked = True
            if count == 1 and not chunked:
                if value.isdigit() and len(value) < _MAX_LENGTH_DIGITS:  # bytes: ASCII digits
                    length = self._content_length = int(value)
                    return length > 0
            elif not count and not chunked and self.http_version in _HTTP1:
                return False
        return Request.has_body(self)

    def _host_conflict(self) -> bool:
        # ASGI shows no :authority (Granian folds it into Host), so only two different Host
        # values conflict: one pass over the raw headers, no decoded list, no set.
        if self._headers is not None:
            return super()._host_conflict()
        first = None
        for name, value in self._scope.get("headers") or ():
            if name == b"host" and value.isascii():
                value = value.lower()
                if first is None:
                    first = value
                elif value != first:
                    return True
        return False

    def watch_disconnect(self) -> asyncio.Future[None]:
        """Start reading ASGI messages in the background; the future resolves when the client
        leaves. Body messages read meanwhile are handed to ``_chunks`` (one reader, never two
        concurrent receives), at most ``INBOX_SIZE`` ahead of it: a streamed response that
        never reads a large upload must not buffer it in memory. Called again, it returns the
        same future; called while ``_chunks`` waits in ``receive()``, the watcher starts once
        that read returns."""
        gone = self._gone
        if gone is None:
            gone = self._gone = asyncio.get_running_loop().create_future()
        elif self._pump is not None or self._pump_wanted:
            return gone
        if self._reading:
            self._pump_wanted = True
        else:
            self._start_pump(gone)
        return gone

    def watch_when_read(self) -> asyncio.Future[None]:
        """The disconnect guard's watcher (orionis/disconnect.py): started at once when there
        is no body or it has all arrived, else when its last message does. A body ending in
        ``http.disconnect`` is the body reader's to report (400), never a cancellation."""
        if self._body_done or not self.has_body():
            return self.watch_disconnect()
        gone = self._gone
        if gone is None:
            gone = self._gone = asyncio.get_running_loop().create_future()
        self._watch_after_body = True
        return gone

    def _start_pump(self, gone: asyncio.Future[None]) -> None:
        self._pump_wanted = self._watch_after_body = False
        inbox: asyncio.Queue[Message] = asyncio.Queue(self.INBOX_SIZE)
        self._inbox = inbox
        # The task gets what it needs, never the request: nothing it keeps (its traceback
        # once cancelled) can hold the request in a reference cycle.
        self._pump = asyncio.ensure_future(_pump(self._receive, inbox, gone))

    # Body messages the watcher may hold before the handler takes them; then it stops
    # receiving, so the server's flow control pushes back on the client.
    INBOX_SIZE = 2

    def stop_watching(self) -> None:
        pump = self._pump
        if pump is not None:
            self._pump = None
            pump.cancel()
        self._pump_wanted = self._watch_after_body = False

    async def _message(self) -> Message:
        """The next message: the one ``_read_body`` put back, else the watcher's, else
        ``receive()``'s. Looked up on every call: a streamed response may start the
        disconnect watcher while the handler's request.stream() is mid-body, and from then
        on the watcher is the only reader (until it stops: then what it left, then
        ``receive()``)."""
        message = self._unread
        if message is not None:
            self._unread = None
            return message
        inbox = self._inbox
        if inbox is not None and (self._pump is not None or not inbox.empty()):
            return await inbox.get()
        self._reading = True
        try:
            message = await self._receive()
        finally:
            self._reading = False
        if self._pump_wanted and self._gone is not None:
            self._start_pump(self._gone)  # the watcher asked while we were reading
        return message

    def _last_message(self) -> None:
        """The last body message has arrived: a guard waiting for it starts watching."""
        self._body_done = True
        if self._watch_after_body and self._pump is None and self._gone is not None:
            self._start_pump(self._gone)

    async def _read_body(self, length: int | None) -> bytes:
        # The common body is one message: read it with one timed step and return it, with
        # the checks _limited makes. Anything else is put back for the general path.
        message = await self._timed(self._message())
        if message["type"] == "http.request" and not message.get("more_body", False):
            self._last_message()
            body: bytes = message.get("body", b"")
            limit = self.max_body_size
            if limit is not None and len(body) > limit:
                raise self._too_large()  # nothing follows the last message: nothing to drain
            if length is not None and len(body) != length:
                self._close_connection = True
                raise ClientDisconnect()
            return body
        self._unread = message
        return await super()._read_body(length)

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._message()
            kind = message["type"]
            if kind == "http.request":
                body = message.get("body", b"")
                more = message.get("more_body", False)
                if not more:
                    self._last_message()
                if body:
                    yield body
                if not more:
                    return
            elif kind == "http.disconnect":
                raise ClientDisconnect()


async def _pump(receive: Any, inbox: asyncio.Queue[Message], gone: asyncio.Future[None]) -> None:
    """The disconnect watcher: receive until the client leaves, handing body messages on
    (waiting while the inbox is full: the body is read only as fast as it is consumed)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if not gone.done():
                gone.set_result(None)
            await inbox.put(message)  # for a reader still expecting body
            return
        await inbox.put(message)


class ASGIAdapter:
    """Turns ASGI events into calls on the application's neutral pipeline."""

    def __init__(self, app: Application) -> None:
        self.app = app
        # "http" is served first in __call__ (the hot path, no lookup); the rest by type.
        self._scopes: dict[str, Any] = {"lifespan": self._lifespan, "websocket": self.websocket}

    async def _lifespan(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.lifespan(receive, send)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            request = ASGIRequest(self.app, scope, receive)
            try:  # finalize even if the task is cancelled mid-request
                if request.http_version in _HTTP1 or not request._host_conflict():
                    dispatching = self.app.dispatch(request)
                    try:
                        waiting = dispatching.send(None)
                    except StopIteration as done:  # answered without waiting: no guard
                        response = done.value
                    else:
                        # It waits: cancel the handler if the client leaves first, once
                        # it waits on more than its body (orionis/disconnect.py).
                        response = await Resume(
                            dispatching, waiting, request, request.watch_when_read
                        )
                        if response is None:
                            return  # the client left: nobody to answer; cleanups see it
                else:
                    response = two_hosts()
                kind = response.kind
                if kind != _STREAM:  # a stream keeps the watcher (it stops it itself)
                    request.stop_watching()
                if kind == _BODY:  # _send_body, inlined: the common answer
                    status = response.status_code
                    headers = response.raw_headers
                    if request._close_connection:
                        headers = request._closing_headers(headers)
                    if status == 204 or status == 304 or request.method == "HEAD":
                        # No length on 204/304 (RFC 9110); a HEAD answer's was set in dispatch.
                        start = _encode_with_length(headers, -1)
                        body = b""
                    else:
                        body = response.body
                        start = _encode_with_length(headers, len(body))
                    await send({"type": "http.response.start", "status": status, "headers": start})
                    await send({"type": "http.response.body", "body": body})
                elif kind == _STREAM:
                    await self._send_stream(request, response, send)  # type: ignore[arg-type]
                else:
                    await self._send_file(request, response, scope, send)  # type: ignore[arg-type]
            finally:
                request.stop_watching()
                if request.needs_finalize:
                    await request.finalize()
                # What the handler raised holds the request in its traceback: drop it, so the
                # request and the server's objects go now, not at a cyclic GC (which may never
                # come during a graceful shutdown, and Granian waits for them).
                if request._error is not None:
                    request._error = None
        else:  # the other scope types, by table (an unknown type is ignored)
            other = self._scopes.get(kind)
            if other is not None:
                await other(scope, receive, send)

    # -- lifespan ------------------------------------------------------------------------
    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "lifespan.startup":
                try:
                    await self.app.startup(Runtime.HTTP)
                except Exception as exc:  # already logged; never let it reach the server
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                # Streams end when the server's SIGTERM arrives (orionis/draining.py).
                install_signal_hooks(self.app, asyncio.get_running_loop())
                await send({"type": "lifespan.startup.complete"})
            elif kind == "lifespan.shutdown":
                try:
                    errors = await self.app.shutdown(Runtime.HTTP)
                except Exception as exc:
                    errors = [exc]
                if errors:
                    text = "; ".join(repr(e) for e in errors)
                    await send({"type": "lifespan.shutdown.failed", "message": text})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    # -- responses -----------------------------------------------------------------------
    async def _send_stream(
        self, request: ASGIRequest, response: StreamingResponse, send: Any
    ) -> None:
        status = response.status_code
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": _encode(wire_headers(request, response)),
            }
        )
        if bodyless(status, request.method):
            await response.aclose()
            await send({"type": "http.response.body", "body": b""})
            return
        gone = request.watch_disconnect()
        ends = stream_until(self.app, gone)  # or when shutdown begins
        try:
            async for chunk in response.chunks_until(ends):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not gone.done():
                await send({"type": "http.response.body", "body": b""})
        finally:
            ends.cancel()
            request.stop_watching()

    async def _send_file(
        self, request: Request, plan: PreparedFile, scope: Scope, send: Any
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": plan.status_code,
                "headers": _encode(wire_headers(request, plan)),
            }
        )
        if plan.path is None or request.method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        end = plan.end
        if plan.whole and "http.response.pathsend" in (scope.get("extensions") or {}):
            await send({"type": "http.response.pathsend", "path": os.path.abspath(plan.path)})
            return
        handle = await run_io(open, plan.path, "rb")
        try:
            await run_io(handle.seek, plan.start)
            remaining = end - plan.start
            if remaining <= 0:  # an empty file still needs its final body message
                await send({"type": "http.response.body", "body": b""})
            while remaining > 0:
                chunk = await run_io(
                    handle.read, min(FileResponse.chunk_size, remaining)
                )
                if not chunk:  # the file shrank since stat(): stop rather than lie
                    raise OSError(f"{plan.path} changed while it was being sent")
                remaining -= len(chunk)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
        finally:
            await run_io(handle.close)

    # -- WebSockets ----------------------------------------------------------------------
    async def websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        """A ``websocket`` scope: the neutral WebSocket layer decides, the transport translates."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return  # the client left before the handshake could be answered
        transport = ASGIWebSocketTransport(scope, receive, send)
        handshake = ASGIHandshake(self.app, scope)
        await serve_websocket(self.app.websocket_table, handshake, transport)


class ASGIHandshake(_ASGIConnection, Handshake):
    """A WebSocket handshake: the connection, without a body (its scope has no
    ``method``: GET)."""

    __slots__ = ("_scope",)

    def __init__(self, app: Application, scope: Scope) -> None:
        super().__init__(app)
        self._scope = scope
        self.method = "GET"
        self.path = _routed_path(scope, scope.get("root_path") or app.root_path)
        self.query_string = scope.get("query_string", b"").decode("utf-8", "replace")
        self.scheme = websocket_scheme(scope.get("scheme") or "ws")
        version = scope.get("http_version") or "1.1"
        self.http_version = "1.0" if version == "1" else version


class ASGIWebSocketTransport:
    """ASGI WebSocket messages, as ``orionis.websockets.WebSocketTransport``."""

    __slots__ = ("_denial", "_receive", "_send", "subprotocols")

    def __init__(self, scope: Scope, receive: Any, send: Any) -> None:
        self._receive = receive
        self._send = send
        self._denial = "websocket.http.response" in (scope.get("extensions") or {})
        self.subprotocols: list[str] = [str(p) for p in scope.get("subprotocols") or ()]

    async def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None:
        try:
            await self._send(
                {
                    "type": "websocket.accept",
                    "subprotocol": subprotocol,
                    "headers": _encode(headers),
                }
            )
        except OSError:  # uvicorn: the client left mid-handshake
            raise WebSocketDisconnect(1006) from None

    async def receive(self) -> tuple[str, Any]:
        message = await self._receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            if text is not None:
                return TEXT, text
            return BYTES, message.get("bytes") or b""
        # websocket.disconnect (Granian sends no reason)
        return CLOSE, (message.get("code") or 1005, message.get("reason") or "")

    async def send(self, data: str | bytes) -> bool:
        key = "text" if type(data) is str else "bytes"
        try:
            await self._send({"type": "websocket.send", key: data})
        except OSError:  # uvicorn: ClientDisconnected
            return False
        return True

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(OSError):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def deny(self, response: Response) -> None:
        if not self._denial:  # the server answers a close before accept with 403
            await self._send({"type": "websocket.close", "code": 1008})
            return
        await self._send(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": _encode(
                    with_content_length(response.status_code, response.raw_headers, response.body)
                ),
            }
        )
        await self._send({"type": "websocket.http.response.body", "body": response.body})
