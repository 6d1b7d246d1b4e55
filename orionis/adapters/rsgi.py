"""RSGI adapter (Granian's native interface): scope/protocol in, neutral types out.

Facts about Granian this adapter relies on (docs/architecture.md has the full list):

- The scope is an object; ``path`` is percent-decoded, ``query_string`` raw, ``client`` and
  ``server`` are ``"ip:port"`` strings, and on HTTP/2 the host is in ``authority``.
- ``await protocol()`` reads the whole body once and raises ``RSGIProtocolClosed`` if it
  ends early, but buffers without limit; iterating the protocol yields chunks and reports a
  broken body only as an empty chunk before the final one. So a body with a declared
  ``Content-Length`` (already checked against the limit) is read in one call, and one without
  is iterated with a byte count, an early empty chunk meaning "truncated" on HTTP/1.
- ``response_bytes``/``response_str`` set ``content-length`` themselves; ``response_file``
  and ``response_file_range`` do not, nor ``content-type``: the ``PreparedFile`` carries them.
- ``response_stream`` has no backpressure: sending stops as soon as ``client_disconnect()``
  resolves, and that waiter is cancelled when the response ends.
- RSGI has no ``root_path``: a path starting with ``Application(root_path=...)`` is routed
  without it, as the ASGI adapter does with the scope's ``root_path``.
- A WebSocket handshake (``RSGIHandshake``) is a connection, not a request: it reads the
  scope as ``RSGIRequest`` does (``_RSGIConnection``) and has no body.
- ``__rsgi_init__`` gets a stopped loop under the CLI (run startup to completion, raise to
  stop the worker) and a running one under Granian's embedded server (start startup as a
  task; requests wait for it, and get 503 if it failed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from granian.rsgi import ProtocolClosed

from orionis.connections import UNSET as _UNSET
from orionis.connections import Handshake, HTTPConnection, websocket_scheme, without_root
from orionis.datastructures import Address
from orionis.disconnect import Resume
from orionis.draining import install_signal_hooks, stream_until
from orionis.exceptions import ClientDisconnect, problem
from orionis.foundation.enums.runtimes import Runtime
from orionis.requests import _MAX_LENGTH_DIGITS, ONE_SHOT_BODY, Request, two_hosts, wire_headers
from orionis.responses import (
    PreparedFile,
    Response,
    ResponseKind,
    StreamingResponse,
    bodyless,
)
from orionis.websocket_routing import serve_websocket
from orionis.websockets import BYTES, CLOSE, TEXT, WebSocketDisconnect

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["RSGIAdapter", "RSGIRequest"]

logger = logging.getLogger("orionis")

_BODY, _STREAM = ResponseKind.BODY, ResponseKind.STREAM  # module globals: the hot path


def _address(value: str | None) -> Address | None:
    # "127.0.0.1:5000" or "[::1]:5000": the port follows the last colon.
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep:
        return Address(value, 0)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return Address(host, int(port) if port.isdigit() else 0)


class _RSGIConnection:
    """What ``RSGIRequest`` and ``RSGIHandshake`` read from the scope: headers, host, peer
    addresses, query string, scheme and ``root_path``. A mixin without state (its classes
    hold ``_scope``, ``_rsgi_headers`` and ``_scheme``), placed before their base class."""

    __slots__ = ()
    interface = "rsgi"

    _scope: Any
    _rsgi_headers: Any
    _scheme: str | None  # None: the scope's
    app: Application
    http_version: str

    @property
    def root_path(self) -> str:
        """The prefix the app is mounted under (``Application(root_path=...)``)."""
        return self.app.root_path

    @property
    def query_string(self) -> str:
        return self._scope.query_string

    @property
    def scheme(self) -> str:
        scheme = self._scheme
        return self._scope.scheme if scheme is None else scheme

    @scheme.setter
    def scheme(self, value: str) -> None:
        self._scheme = value

    def _native_headers(self) -> Any:
        headers = self._rsgi_headers
        if headers is None:
            headers = self._rsgi_headers = self._scope.headers
        return headers

    def _raw_headers(self) -> list[tuple[str, str]]:
        items = self._native_headers().items()
        if self.http_version == "2":
            authority = self._scope.authority
            if authority is not None and "host" not in self._native_headers():
                # As Granian's ASGI side does: the host is a header on both protocols.
                items = [("host", authority), *items]
        return items

    def _authority(self) -> str | None:
        # Granian also sets it for absolute-form HTTP/1 targets; ASGI cannot see those, so
        # only HTTP/2's :authority is used (HTTP/1 relies on Host, as under ASGI).
        return self._scope.authority if self.http_version == "2" else None

    def _native_header_values(self, name: str) -> list[str]:
        values: list[str] = self._native_headers().get_all(name)
        if name == "host" and not values and self.http_version == "2":
            authority = self._scope.authority
            if authority is not None:
                return [authority]
        return values

    def _peer(self) -> tuple[Address | None, Address | None]:
        return _address(self._scope.client), _address(self._scope.server)


class RSGIRequest(_RSGIConnection, Request):
    __slots__ = ("_protocol", "_scope")

    _rsgi_headers: Any = None  # the scope's, once read
    _scheme: str | None = None  # None: the scope's; set only by Request._override_peer

    # Every scope attribute is a Rust -> Python conversion (50-160 ns), so only what routing
    # needs is read here; the query string and scheme are read when first asked for.
    def __init__(self, app: Application, scope: Any, protocol: Any) -> None:
        # Request.__init__'s fields, inlined (one call less per request; checked alike by
        # tests/unit/test_connections.py).
        self.app = app
        self.path_params = {}
        self.route = None
        self.route_template = None
        self.max_body_size = app.max_body_size
        self.body_timeout = app.body_timeout
        self._scope = scope
        self._protocol = protocol
        self.method = scope.method
        path = scope.path
        root = app.root_path  # RSGI has no root_path: the app's setting, as under ASGI
        if root:
            path = without_root(path, root)
        self.path = path
        version = scope.http_version
        self.http_version = "1.0" if version == "1" else version

    def _declares_framing(self) -> bool:
        headers = self._native_headers()
        return "content-length" in headers or "transfer-encoding" in headers

    def has_body(self) -> bool:
        # Request.has_body with its HTTP/1 shortcuts inlined: it runs for every request. A
        # single plain Content-Length is read here; anything else gets the full checks.
        version = self.http_version
        if version == "1.1" or version == "1.0":
            headers = self._rsgi_headers
            if headers is None:
                headers = self._rsgi_headers = self._scope.headers
            if "content-length" in headers:
                if self._content_length is _UNSET and "transfer-encoding" not in headers:
                    values = headers.get_all("content-length")
                    if len(values) == 1:
                        value = values[0]
                        if value.isdigit() and value.isascii() and len(value) < _MAX_LENGTH_DIGITS:
                            length = self._content_length = int(value)
                            return length > 0
            elif "transfer-encoding" not in headers:
                return False
        return Request.has_body(self)

    def _read_sees_leaving(self) -> bool:
        # Granian ends an HTTP/2 body with the same empty chunks whether it finished or was
        # reset: without a declared length to check, only client_disconnect() can tell.
        return self.http_version != "2" or type(self._content_length) is int

    def _host_conflict(self) -> bool:
        # Granian puts an HTTP/2 host in ``authority`` alone: without a Host header there
        # is only one host, so the common request pays one lookup, not a set of values.
        if "host" not in self._native_headers():
            return False
        return super()._host_conflict()

    async def _read_body(self, length: int | None) -> bytes:
        if length is None or (length > ONE_SHOT_BODY and self.body_timeout is not None):
            # Chunk by chunk, so body_timeout measures progress rather than the whole upload.
            return await super()._read_body(length)
        # Declared, small (or without a timeout) and within the limit (checked by the
        # caller): one call, which raises if the body ends early, and a length check in case
        # it ever stops raising. Timed as by _timed, inlined: one coroutine less.
        wait = self._begin_wait()
        try:
            body = await self._protocol()
        except asyncio.CancelledError:
            if not wait.fired or wait.task.uncancel() > 0:  # type: ignore[union-attr]
                raise  # someone else's cancellation
            body = None
        except ProtocolClosed:
            self._close_connection = True
            raise ClientDisconnect() from None
        finally:
            self._end_wait(wait)
        if body is None:
            raise self._timed_out()
        if len(body) != length:
            self._close_connection = True
            raise ClientDisconnect()
        return body

    async def _chunks(self) -> AsyncIterator[bytes]:
        # Granian turns a body error into an empty chunk followed by the usual final empty
        # one. HTTP/2 ends clean bodies the same way, so the check is HTTP/1 only.
        strict = self.http_version != "2"
        seen_empty = False
        try:
            async for chunk in self._protocol:
                if not chunk:
                    if seen_empty and strict:
                        raise ClientDisconnect()
                    seen_empty = True
                    continue
                if seen_empty and strict:
                    raise ClientDisconnect()
                yield chunk
        except ProtocolClosed:
            raise ClientDisconnect() from None


class RSGIAdapter:
    """Turns RSGI calls into calls on the application's neutral pipeline."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._starting: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[Any] | None = None
        self._failed = False
        self._protos: dict[str, Any] = {"ws": self.websocket}

    # -- lifespan ------------------------------------------------------------------------
    def init(self, loop: asyncio.AbstractEventLoop) -> None:
        if not loop.is_running():
            # Raising here makes Granian's worker exit non-zero: the intended outcome.
            loop.run_until_complete(self.app.startup(Runtime.HTTP))
            # Streams end when the server's SIGTERM arrives (orionis/draining.py).
            install_signal_hooks(self.app, loop)
        elif self.app.running is None:
            # Embedded server: Granian calls this from inside a coroutine and cannot await
            # it. Start in the background; requests wait for it (503 if it fails). Awaiting
            # app.startup() before serve() instead makes a failure stop the program.
            self._starting = loop.create_task(self.app.startup(Runtime.HTTP))

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        if not loop.is_running():
            loop.run_until_complete(self.app.shutdown(Runtime.HTTP))
        else:
            # Embedded server: as above. ``await app.shutdown()`` after serve() waits for
            # this to finish (it is idempotent).
            self._stopping = loop.create_task(self.app.shutdown(Runtime.HTTP))

    async def _started(self) -> bool:
        starting = self._starting
        if starting is not None:
            try:
                await asyncio.shield(starting)
            except Exception:  # logged by startup()
                self._failed = True
            self._starting = None
        return not self._failed

    # -- requests ------------------------------------------------------------------------
    async def __call__(self, scope: Any, protocol: Any) -> None:
        proto = scope.proto
        if proto != "http":  # the other protocols, by table ("http" first: no lookup)
            other = self._protos.get(proto)
            if other is not None:
                await other(scope, protocol)
            return
        if (self._starting is not None or self._failed) and not await self._started():
            response = problem(503, "The application failed to start.")
            protocol.response_bytes(503, response.raw_headers, response.body)
            return
        request = RSGIRequest(self.app, scope, protocol)
        gone = None
        try:  # finalize even if the task is cancelled mid-request
            if request.http_version != "2" or not request._host_conflict():
                dispatching = self.app.dispatch(request)
                try:
                    waiting = dispatching.send(None)
                except StopIteration as done:  # answered without waiting: nothing to guard
                    response = done.value
                else:
                    # It waits: cancel the handler if the client leaves first, once it waits
                    # on more than its body (orionis/disconnect.py).
                    resume = Resume(
                        dispatching,
                        waiting,
                        request,
                        lambda: asyncio.ensure_future(protocol.client_disconnect()),
                    )
                    try:
                        response = await resume
                    finally:
                        gone = resume.gone  # the watcher's, if started: cancelled below
                    if response is None:
                        return  # the client left: nobody to answer; cleanups see it
            else:
                response = two_hosts()
            kind = response.kind
            if kind == _BODY:  # _send_body, inlined: the common answer
                status = response.status_code
                headers = response.raw_headers
                if request._close_connection:
                    headers = request._closing_headers(headers)
                if status == 204 or status == 304 or request.method == "HEAD":
                    protocol.response_empty(status, headers)
                else:
                    protocol.response_bytes(status, headers, response.body)
            elif kind == _STREAM:
                await self._send_stream(request, response, protocol, gone)  # type: ignore[arg-type]
                gone = None  # cancelled there
            else:
                self._send_file(request, response, protocol)  # type: ignore[arg-type]
        finally:
            if gone is not None:
                gone.cancel()
            if request.needs_finalize:
                await request.finalize()
            # What the handler raised holds the request in its traceback: drop it, so the
            # request and the server's objects go now, not at a cyclic GC (which may never
            # come during a graceful shutdown, and Granian waits for them).
            if request._error is not None:
                request._error = None

    def _send_file(self, request: Request, plan: PreparedFile, protocol: Any) -> None:
        headers = wire_headers(request, plan)
        if plan.path is None or request.method == "HEAD":
            protocol.response_empty(plan.status_code, headers)
        elif plan.whole:
            protocol.response_file(plan.status_code, headers, plan.path)
        else:
            protocol.response_file_range(plan.status_code, headers, plan.path, plan.start, plan.end)

    async def _send_stream(
        self,
        request: Request,
        response: StreamingResponse,
        protocol: Any,
        gone: asyncio.Future[Any] | None = None,
    ) -> None:
        status = response.status_code
        if bodyless(status, request.method):
            if gone is not None:
                gone.cancel()
            await response.aclose()
            protocol.response_empty(status, response.raw_headers)
            return
        transport = protocol.response_stream(status, wire_headers(request, response))
        # The waiter outlives the request on keep-alive connections: always cancel it.
        # (The disconnect guard's, when it started one: one waiter per request.)
        if gone is None:
            gone = asyncio.ensure_future(protocol.client_disconnect())
        ends = stream_until(self.app, gone)  # or when shutdown begins
        try:
            async for chunk in response.chunks_until(ends):
                await transport.send_bytes(chunk)
        except ProtocolClosed:
            pass  # the client left while we were sending
        except Exception as exc:
            # Granian ends the response only when this coroutine returns and the transport is
            # released; raised, the traceback's frames keep the transport alive (the stream
            # stays open) until a cyclic GC. So: log, drop every reference, return.
            # RSGI cannot abort a stream: the body ends early with a final chunk.
            logger.error(
                "%s %s: the streaming response's iterator raised; the body ends here",
                request.method,
                request.path,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            exc.__traceback__ = None
            del exc
        finally:
            gone.cancel()
            ends.cancel()
            del transport, gone, ends

    # -- WebSockets ----------------------------------------------------------------------
    async def websocket(self, scope: Any, protocol: Any) -> None:
        """A ``ws`` scope: the neutral WebSocket layer decides, the transport translates."""
        if (self._starting is not None or self._failed) and not await self._started():
            protocol.close(503)
            return
        transport = RSGIWebSocketTransport(protocol)
        handshake = RSGIHandshake(self.app, scope)
        transport.subprotocols = _offered(handshake)
        await serve_websocket(self.app.websocket_table, handshake, transport)


def _offered(handshake: HTTPConnection) -> list[str]:
    # RSGI does not list them: read Sec-WebSocket-Protocol (comma-separated, maybe repeated)
    values = handshake.headers.getlist("sec-websocket-protocol")
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


class RSGIHandshake(_RSGIConnection, Handshake):
    """A WebSocket handshake: the connection, without a body. Granian says
    ``http``/``https`` where ASGI says ``ws``/``wss``: the ASGI names are used on both."""

    __slots__ = ("_rsgi_headers", "_scheme", "_scope")

    def __init__(self, app: Application, scope: Any) -> None:
        super().__init__(app)
        self._scope = scope
        self._rsgi_headers: Any = None
        self._scheme: str | None = websocket_scheme(scope.scheme)
        self.method = scope.method
        self.path = without_root(scope.path, app.root_path)
        version = scope.http_version
        self.http_version = "1.0" if version == "1" else version


class RSGIWebSocketTransport:
    """Granian's WebSocket protocol, as ``orionis.websockets.WebSocketTransport``.

    ``accept()`` takes no subprotocol and no headers, incoming messages are ``kind`` 0
    (close, no code), 1 (bytes) or 2 (str), and ``close(status)`` is an HTTP status before
    accept and a close frame without a code after it.
    """

    __slots__ = ("_protocol", "_transport", "subprotocols")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._transport: Any = None
        self.subprotocols: list[str] = []

    async def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None:
        try:
            self._transport = await self._protocol.accept()
        except ProtocolClosed:
            raise WebSocketDisconnect(1006) from None  # the client left mid-handshake

    async def receive(self) -> tuple[str, Any]:
        try:
            message = await self._transport.receive()
        except ProtocolClosed:
            return CLOSE, (1006, "")
        kind = message.kind
        if kind == 2:
            return TEXT, message.data
        if kind == 1:
            return BYTES, message.data
        return CLOSE, (1005, "")  # Granian does not pass the peer's code on

    async def send(self, data: str | bytes) -> bool:
        try:
            if type(data) is str:
                await self._transport.send_str(data)
            else:
                await self._transport.send_bytes(data)
        except ProtocolClosed:
            return False
        return True

    async def close(self, code: int, reason: str) -> None:
        self._protocol.close(code)  # the frame goes out without it
        # Granian sends the close frame only once its transport object is freed: a
        # reference kept here (or in a cycle awaiting the GC) leaves the client hanging.
        self._transport = None

    async def deny(self, response: Response) -> None:
        # Only the status crosses: Granian sends no headers or body with the refusal.
        self._protocol.close(response.status_code)
