"""WebSockets in ``TestClient``: the servers' side of the handshake and messages, in process.

``client.websocket_connect(path)`` runs the application on the client's loop thread behind a
fake server that behaves like the real ones (checked against granian 2.8 and uvicorn 0.54):

- RSGI (Granian): ``protocol.accept()`` returns a transport whose ``receive()`` gives messages
  with ``kind`` 0 (close, no data and no code), 1 (bytes) or 2 (str); ``protocol.close(status)``
  before accept refuses the handshake with that HTTP status (no headers, no body), after it
  sends a close frame without a code, which the client sees as 1005, and only once the
  transport object has been freed (as Granian does). Sending or receiving after the peer
  closed raises ``ProtocolClosed``.
- ASGI: ``websocket.connect`` first, then ``websocket.receive``/``websocket.disconnect``;
  ``websocket.accept`` (Granian's side drops its headers), ``websocket.send``,
  ``websocket.close`` (before accept: a 403), and ``websocket.http.response.*`` denials (both
  servers offer the extension). After a disconnect uvicorn's ``send`` raises an ``OSError``,
  Granian's does nothing.

Anything a real server would refuse (a message before the handshake, a status that would
crash Granian, a subprotocol the client did not offer) raises ``ServerError``.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import gc
import os
import queue
import weakref
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from granian.rsgi import ProtocolClosed, ProtocolError

from orionis.testing.servers import ASGIServer, RSGIServer, ServerError, _RSGIHeaders, _RSGIScope
from orionis.websockets import WebSocketDisconnect

if TYPE_CHECKING:
    from orionis.testing.client import _LoopThread

__all__ = ["WebSocketDenied", "WebSocketTestSession"]

_TIMEOUT = 30.0  # a safety net only: every wait normally ends on an event
_CLOSE_TIMEOUT = 5.0  # after a failed test, how long the handler may take to notice


class WebSocketDenied(Exception):
    """The application refused the handshake: ``status`` (and, where the protocol carries
    them, ``headers`` and ``body``) of the HTTP answer."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        super().__init__(f"WebSocket handshake refused with HTTP {status}")
        self.status = status
        self.status_code = status
        self.headers = httpx.Headers(headers)
        self.body = body

    def json(self) -> Any:
        return orjson.loads(self.body)


class _ClientDisconnected(OSError):
    """What uvicorn raises from ``send`` once the client has gone."""


class _Link:
    """One connection's two directions: client -> app on the loop, app -> client for the test."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.events: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.answered = False  # accepted or denied
        self.accepted = False
        self.server_closed = False
        self.client_closed = False  # the app has been told (or will be, next receive)

    def emit(self, *event: Any) -> None:
        self.events.put(event)


def _handshake_headers(
    url: httpx.URL, headers: list[tuple[str, str]], subprotocols: list[str]
) -> list[tuple[str, str]]:
    pairs = [
        ("host", url.netloc.decode("ascii")),
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", base64.b64encode(os.urandom(16)).decode("ascii")),
        ("sec-websocket-version", "13"),
    ]
    if subprotocols:
        pairs.append(("sec-websocket-protocol", ", ".join(subprotocols)))
    names = {name for name, _ in pairs}
    pairs += [(k.lower(), v) for k, v in headers if k.lower() not in names]
    return pairs


# -- RSGI ----------------------------------------------------------------------------------
class _Message:
    __slots__ = ("data", "kind")

    def __init__(self, kind: int, data: Any) -> None:
        self.kind = kind
        self.data = data


class _CloseMessage:
    kind = 0  # like Granian's WebsocketInboundCloseMessage: no ``data``, no code


class _RSGITransport:
    def __init__(self, link: _Link) -> None:
        self._link = link
        self._gone = False

    async def receive(self) -> Any:
        if self._gone or self._link.server_closed:
            raise ProtocolClosed("RSGI transport is closed")
        item = await self._link.inbox.get()
        if item[0] == "close":
            self._gone = True
            return _CloseMessage()
        return _Message(1 if item[0] == "bytes" else 2, item[1])

    async def _send(self, kind: str, data: Any) -> None:
        link = self._link
        if link.client_closed or link.server_closed:
            raise ProtocolClosed("RSGI transport is closed")
        link.emit(kind, data)

    async def send_bytes(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError("send_bytes() takes bytes")
        await self._send("bytes", data)

    async def send_str(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError("send_str() takes a str")
        await self._send("text", data)


class _RSGIWebSocketProtocol:
    """Granian's WebSocket protocol. Like Granian, the close frame after accept goes out
    only once ``close()`` was called (or the app returned) AND the transport object has been
    freed: an application that keeps a reference leaves the client waiting."""

    def __init__(self, link: _Link) -> None:
        self._link = link
        self._close_requested = False
        self.transport_alive = False
        self._close_sent = False

    async def accept(self) -> _RSGITransport:
        link = self._link
        if link.answered:
            raise ProtocolError("RSGI protocol error: the handshake is already answered")
        link.answered = link.accepted = True
        link.emit("accept", None, [])
        transport = _RSGITransport(link)
        self.transport_alive = True
        weakref.finalize(transport, self._freed)
        return transport

    def _freed(self) -> None:
        self.transport_alive = False
        self._maybe_close()

    def _maybe_close(self) -> None:
        link = self._link
        if self._close_requested and not self.transport_alive and not self._close_sent:
            self._close_sent = True
            if not link.client_closed:
                link.emit("close", 1005, "")  # Granian's close frame carries no code

    def close(self, status: int | None = None) -> None:
        link = self._link
        if not link.answered:
            if type(status) is not int or not 100 <= status <= 599:
                raise ServerError(f"status {status!r} would crash Granian's worker")
            link.answered = True
            link.server_closed = True
            link.emit("deny", status, [], b"")
        elif not self._close_requested:
            link.server_closed = True
            self._close_requested = True
            self._maybe_close()

    def finished(self) -> None:
        """The application returned: Granian closes the socket (once the transport is freed)."""
        link = self._link
        link.server_closed = True
        if link.accepted:
            self._close_requested = True
            if self.transport_alive:
                gc.collect()  # a cycle the real server would also wait for
            if self.transport_alive:
                raise ServerError(
                    "the application returned but still holds the RSGI WebSocket transport: "
                    "Granian would not close the connection until it is freed"
                )
            self._maybe_close()


async def _run_rsgi(
    server: RSGIServer, url: httpx.URL, headers: list[tuple[str, str]], link: _Link
) -> None:
    port = url.port or (443 if url.scheme in ("https", "wss") else 80)
    scope = _RSGIScope(
        proto="ws",
        http_version="1.1",
        rsgi_version="1.6",
        scheme="https" if url.scheme in ("https", "wss") else "http",
        method="GET",
        path=httpx.URL(url).path,
        query_string=url.query.decode("ascii"),
        authority=None,
        server=f"127.0.0.1:{port}",
        client=f"{server.client[0]}:{server.client[1]}",
        headers=_RSGIHeaders([(k, v) for k, v in headers if v.isascii()]),
    )
    protocol = _RSGIWebSocketProtocol(link)
    await server.app.__rsgi__(scope, protocol)
    if not link.answered:
        raise ServerError("the application returned without answering the WebSocket handshake")
    protocol.finished()


# -- ASGI ----------------------------------------------------------------------------------
async def _run_asgi(
    server: ASGIServer,
    url: httpx.URL,
    headers: list[tuple[str, str]],
    subprotocols: list[str],
    link: _Link,
) -> None:
    granian = server.flavor == "granian"
    port = url.port or (443 if url.scheme in ("https", "wss") else 80)
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss" if url.scheme in ("https", "wss") else "ws",
        "path": url.path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": (server.client[0], server._port(server.client[1])),
        "server": ("127.0.0.1", server._port(port)),
        "subprotocols": list(subprotocols),
        # both servers offer it; a test may set ``websocket_denial = False`` on the backend
        "extensions": (
            {"websocket.http.response": {}} if getattr(server, "websocket_denial", True) else {}
        ),
        "state": {},
    }
    connected = False
    denial: dict[str, Any] | None = None
    told_disconnect: dict[str, Any] | None = None

    async def receive() -> dict[str, Any]:
        nonlocal connected, told_disconnect
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        if told_disconnect is not None:
            return told_disconnect
        if link.server_closed:
            raise ServerError("receive() after the application closed the WebSocket")
        item = await link.inbox.get()
        if item[0] == "close":
            told_disconnect = {
                "type": "websocket.disconnect",
                "code": item[1],
                "reason": None if granian else item[2],
            }
            return told_disconnect
        return {"type": "websocket.receive", item[0]: item[1]}

    async def send(message: dict[str, Any]) -> None:
        nonlocal denial
        kind = message["type"]
        if not connected:
            raise ServerError(f"{kind} sent before websocket.connect was received")
        if link.server_closed and kind != "websocket.http.response.body":
            raise ServerError(f"{kind} sent after the WebSocket was closed")
        if not link.answered:
            if kind == "websocket.accept":
                subprotocol = message.get("subprotocol")
                if subprotocol is not None and subprotocol not in subprotocols:
                    raise ServerError(f"subprotocol {subprotocol!r} was not offered")
                pairs = []
                for name, value in message.get("headers") or []:
                    if not isinstance(name, bytes) or not isinstance(value, bytes):
                        raise ServerError("ASGI headers must be bytes pairs")
                    pairs.append((name.decode("latin-1"), value.decode("latin-1")))
                link.answered = link.accepted = True
                link.emit("accept", subprotocol, [] if granian else pairs)
            elif kind == "websocket.close":
                link.answered = link.server_closed = True
                link.emit("deny", 403, [], b"")
            elif kind == "websocket.http.response.start":
                status = message["status"]
                if type(status) is not int or not 100 <= status <= 599:
                    raise ServerError(f"status {status!r} is not an HTTP status")
                pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
                denial = {"status": status, "headers": pairs, "body": b""}
                link.answered = link.server_closed = True
            else:
                raise ServerError(f"{kind} sent before the handshake was answered")
            return
        if kind == "websocket.http.response.body":
            if denial is None:
                raise ServerError("websocket.http.response.body without a start")
            denial["body"] += message.get("body", b"")
            if not message.get("more_body", False):
                link.emit("deny", denial["status"], denial["headers"], denial["body"])
                denial = None
            return
        if kind == "websocket.send":
            if link.client_closed:
                if granian:
                    return  # Granian drops it silently
                raise _ClientDisconnected()
            text, data = message.get("text"), message.get("bytes")
            if (text is None) == (data is None):
                raise ServerError("websocket.send needs exactly one of text or bytes")
            link.emit("text", text) if text is not None else link.emit("bytes", data)
        elif kind == "websocket.close":
            link.server_closed = True
            if not link.client_closed:
                link.emit("close", message.get("code", 1000), message.get("reason") or "")
        else:
            raise ServerError(f"unexpected ASGI message {kind!r}")

    await server.app(scope, receive, send)
    if denial is not None:
        raise ServerError("the application returned in the middle of a denial response")
    if not link.answered:
        raise ServerError("the application returned without answering the WebSocket handshake")
    if not link.server_closed:
        link.server_closed = True
        if not link.client_closed:
            # what each server does when the app returns without closing
            link.emit("close", 1005 if granian else 1006, "")


# -- the test's side -----------------------------------------------------------------------
class WebSocketTestSession:
    """``with client.websocket_connect("/ws") as ws:``: one connection, driven by the test.

    A refused handshake raises ``WebSocketDenied``; receiving once the server closed raises
    ``WebSocketDisconnect(code, reason)``. Leaving the block closes with 1000 and waits for
    the handler to finish (errors a real server would choke on are raised there).
    """

    __test__ = False

    def __init__(
        self,
        portal: _LoopThread,
        server: ASGIServer | RSGIServer,
        url: httpx.URL,
        headers: list[tuple[str, str]],
        subprotocols: list[str],
    ) -> None:
        self._portal = portal
        self._server = server
        self._url = url
        self._subprotocols = list(subprotocols)
        self._headers = _handshake_headers(url, headers, self._subprotocols)
        self._link: _Link | None = None
        self._future: concurrent.futures.Future[Any] | None = None
        self._done = False
        self._closed: tuple[int, str] | None = None
        self._timeout = _TIMEOUT
        self.accepted_subprotocol: str | None = None
        self.accepted_headers = httpx.Headers()

    def __enter__(self) -> WebSocketTestSession:
        self._portal.start()
        self._link = self._portal.call(self._make_link())
        self._future = self._portal.submit(self._run(self._link))
        event = self._next()
        if event[0] == "accept":
            self.accepted_subprotocol = event[1]
            self.accepted_headers = httpx.Headers(event[2])
            return self
        if event[0] == "deny":
            self._finish()
            raise WebSocketDenied(event[1], event[2], event[3])
        raise ServerError(f"unexpected {event[0]!r} before the handshake was answered")

    def __exit__(self, *exc_info: Any) -> None:
        if self._done:
            return
        if exc_info[0] is None:
            self.close()
            return
        # The test already failed: do not hide that behind a wait for the handler.
        try:
            self._timeout = _CLOSE_TIMEOUT
            self.close()
        except Exception:
            if self._future is not None:
                self._future.cancel()

    @staticmethod
    async def _make_link() -> _Link:
        return _Link()

    async def _run(self, link: _Link) -> None:
        error: BaseException | None = None
        try:
            if isinstance(self._server, RSGIServer):
                await _run_rsgi(self._server, self._url, self._headers, link)
            else:
                await _run_asgi(self._server, self._url, self._headers, self._subprotocols, link)
        except BaseException as exc:  # reported to the test thread, not lost
            error = exc
        finally:
            link.emit("done", error)

    def _next(self) -> tuple[Any, ...]:
        assert self._link is not None
        try:
            event = self._link.events.get(timeout=self._timeout)
        except queue.Empty:
            raise TimeoutError(f"the application sent nothing within {self._timeout}s") from None
        if event[0] == "done":
            self._done = True
            if event[1] is not None:
                raise event[1]
            if self._closed is None:
                self._closed = (1006, "")
        return event

    # -- sending -------------------------------------------------------------------------
    def _put(self, *item: Any) -> None:
        assert self._link is not None
        if self._closed is not None or self._link.client_closed:
            raise WebSocketDisconnect(*(self._closed or (1000, "")))
        self._portal.loop.call_soon_threadsafe(self._link.inbox.put_nowait, item)

    def send_text(self, data: str) -> None:
        self._put("text", data)

    def send_bytes(self, data: bytes) -> None:
        self._put("bytes", bytes(data))

    def send_json(self, data: Any, mode: str = "text") -> None:
        encoded = orjson.dumps(data)
        self._put("bytes", encoded) if mode == "binary" else self._put("text", encoded.decode())

    # -- receiving -----------------------------------------------------------------------
    def receive(self) -> str | bytes:
        """The next message from the application (text or bytes)."""
        if self._closed is not None:
            raise WebSocketDisconnect(*self._closed)
        event = self._next()
        if event[0] in ("text", "bytes"):
            return event[1]  # type: ignore[no-any-return]
        if event[0] == "close":
            self._closed = (event[1], event[2])
        raise WebSocketDisconnect(*(self._closed or (1006, "")))

    def receive_text(self) -> str:
        data = self.receive()
        if not isinstance(data, str):
            raise AssertionError(f"expected a text message, got bytes {data[:50]!r}")
        return data

    def receive_bytes(self) -> bytes:
        data = self.receive()
        if not isinstance(data, bytes):
            raise AssertionError(f"expected a binary message, got text {data[:50]!r}")
        return data

    def receive_json(self) -> Any:
        return orjson.loads(self.receive())

    # -- closing -------------------------------------------------------------------------
    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client side and wait for the handler to finish."""
        link = self._link
        assert link is not None
        if not link.client_closed and self._closed is None and not self._done:
            self._portal.loop.call_soon_threadsafe(self._client_close, code, reason)
        self._finish()

    def _client_close(self, code: int, reason: str) -> None:
        assert self._link is not None
        self._link.client_closed = True
        self._link.inbox.put_nowait(("close", code, reason))

    def _finish(self) -> None:
        """Wait for the application's coroutine to end; raise what it raised."""
        while not self._done:
            event = self._next()
            if event[0] == "close" and self._closed is None:
                self._closed = (event[1], event[2])

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame, once received."""
        return self._closed[0] if self._closed else None
