"""The protocol-neutral WebSocket every ``@app.websocket`` handler receives.

An adapter hands ``WebSocket`` the handshake (an ``orionis.connections.Handshake``: a
connection built from the WebSocket scope, with no body) and a small transport that only
translates messages (see ``WebSocketTransport``). Everything else lives here once for both
protocols: the connection states, the incoming message size limit (close 1009), wrong frame
types (1003) and bad JSON (1007), checked close codes and accept headers, and
``WebSocketDisconnect`` once the socket is gone.

What RSGI cannot express (docs/realtime-websockets.md): a subprotocol or headers in the
accept answer, and any close code after accept (the client sees 1005, "no status").
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from orionis import _hot
from orionis.exceptions import problem
from orionis.responses import Response, json_dumps

if TYPE_CHECKING:
    from orionis.connections import HTTPConnection
    from orionis.datastructures import URL, Address, Headers, QueryParams, State
    from orionis.foundation.application import Application

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketState", "WebSocketTransport"]

# What a transport's ``receive`` returns as its first item.
TEXT, BYTES, CLOSE = "text", "bytes", "close"

# Close codes an endpoint may send (RFC 6455 7.4: 1004-1006 and 1015 are never sent).
_RESERVED = frozenset({1004, 1005, 1006, 1015})
_REASON_LIMIT = 123  # bytes: a close frame's payload is at most 125, 2 of them the code


class WebSocketState(enum.Enum):
    """Where a connection is: ``CONNECTING`` until accepted, then ``CONNECTED``, and
    ``DISCONNECTED`` once either side closed it (or the handshake was refused)."""

    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2


class WebSocketDisconnect(Exception):
    """The socket is closed: the peer left (its close code, 1005 when it sent none or the
    protocol does not say, 1006 when the connection dropped) or this side closed it."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"WebSocketDisconnect(code={self.code}, reason={self.reason!r})"


class WebSocketTransport(Protocol):
    """What an adapter provides: messages translated, nothing decided."""

    subprotocols: list[str]  # what the client offered, in its order

    async def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None: ...

    async def receive(self) -> tuple[str, Any]:
        """``(TEXT, str)``, ``(BYTES, bytes)`` or ``(CLOSE, (code, reason))``."""
        ...

    async def send(self, data: str | bytes) -> bool:
        """Send one message; ``False`` when the peer is already gone."""
        ...

    async def close(self, code: int, reason: str) -> None: ...

    async def deny(self, response: Response) -> None:
        """Refuse the handshake with this HTTP answer (as much of it as the protocol can)."""
        ...


def check_close(code: int, reason: str) -> None:
    """Refuse close codes and reasons no peer would accept, before they reach the wire."""
    if (
        not isinstance(code, int)
        or isinstance(code, bool)
        or not (1000 <= code <= 1014 or 3000 <= code <= 4999)
        or code in _RESERVED
    ):
        raise ValueError(
            f"close code {code!r} cannot be sent; use 1000-1003, 1007-1014 or 3000-4999"
        )
    if not isinstance(reason, str) or len(reason.encode("utf-8")) > _REASON_LIMIT:
        raise ValueError(f"a close reason is a str of at most {_REASON_LIMIT} UTF-8 bytes")


def _size(data: str | bytes) -> int:
    if isinstance(data, bytes) or data.isascii():
        return len(data)
    return len(data.encode("utf-8"))


class WebSocket:
    """One WebSocket connection, the same under ASGI and RSGI.

    The connection attributes (``path_params``, ``query_params``, ``headers``, ``cookies``,
    ``url``, ``client``, ``state``, ``app``, ``interface``) are the handshake's. Incoming
    messages larger than ``max_message_size`` bytes close the socket with 1009.
    """

    __slots__ = (
        "_close_code",
        "_request",
        "_transport",
        "accepted_subprotocol",
        "client_state",
        "max_message_size",
    )

    def __init__(
        self, request: HTTPConnection, transport: WebSocketTransport, max_message_size: int | None
    ) -> None:
        self._request = request
        self._transport = transport
        self.max_message_size = max_message_size
        self.client_state = WebSocketState.CONNECTING
        self.accepted_subprotocol: str | None = None
        self._close_code: tuple[int, str] | None = None  # set once the socket is closed

    # -- the handshake's attributes ------------------------------------------------------
    @property
    def request(self) -> HTTPConnection:
        """The handshake: a connection with no body (what dependencies taking ``Request`` or
        ``HTTPConnection`` receive)."""
        return self._request

    @property
    def app(self) -> Application:
        return self._request.app

    @property
    def interface(self) -> str:
        return self._request.interface

    @property
    def path(self) -> str:
        return self._request.path

    @property
    def path_params(self) -> dict[str, Any]:
        return self._request.path_params

    @property
    def query_params(self) -> QueryParams:
        return self._request.query_params

    @property
    def headers(self) -> Headers:
        return self._request.headers

    @property
    def cookies(self) -> dict[str, str]:
        return self._request.cookies

    @property
    def url(self) -> URL:
        return self._request.url

    @property
    def client(self) -> Address | None:
        return self._request.client

    @property
    def state(self) -> State:
        return self._request.state

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self._transport.subprotocols)

    # -- handshake -----------------------------------------------------------------------
    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Sequence[tuple[str, str]] | dict[str, str] | None = None,
    ) -> None:
        """Complete the handshake. ``subprotocol`` must be one the client offered.

        Under RSGI neither the subprotocol nor ``headers`` reach the client (Granian's
        accept takes neither); Granian's ASGI side drops ``headers`` too.
        """
        if self.client_state is not WebSocketState.CONNECTING:
            raise RuntimeError(f"accept() on a WebSocket that is {self.client_state.name}")
        if subprotocol is not None and subprotocol not in self._transport.subprotocols:
            raise ValueError(
                f"accept(subprotocol={subprotocol!r}): the client offered "
                f"{self._transport.subprotocols}; pick one of them or None"
            )
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
        pairs = _hot.headers.clean_headers(pairs, False)
        try:
            await self._transport.accept(subprotocol, pairs)
        except WebSocketDisconnect:
            self.client_state = WebSocketState.DISCONNECTED
            self._close_code = (1006, "")
            raise
        self.accepted_subprotocol = subprotocol
        self.client_state = WebSocketState.CONNECTED

    async def deny(self, response: Response) -> None:
        """Refuse the handshake with ``response`` (status only under RSGI)."""
        if self.client_state is not WebSocketState.CONNECTING:
            raise RuntimeError("the handshake is already answered")
        self.client_state = WebSocketState.DISCONNECTED
        self._close_code = (1000, "")
        await self._transport.deny(response)

    # -- receiving -----------------------------------------------------------------------
    def _closed(self) -> WebSocketDisconnect:
        code, reason = self._close_code or (1006, "")
        return WebSocketDisconnect(code, reason)

    async def receive(self) -> str | bytes:
        """The next message, text or bytes; ``WebSocketDisconnect`` once the socket is closed."""
        state = self.client_state
        if state is WebSocketState.CONNECTING:
            raise RuntimeError("call accept() before receiving")
        if state is WebSocketState.DISCONNECTED:
            raise self._closed()
        kind, data = await self._transport.receive()
        if kind == CLOSE:
            self.client_state = WebSocketState.DISCONNECTED
            self._close_code = data
            raise self._closed()
        limit = self.max_message_size
        if limit is not None and _size(data) > limit:
            await self._fail(1009, f"message larger than {limit} bytes")
        return data  # type: ignore[no-any-return]

    async def receive_text(self) -> str:
        data = await self.receive()
        if not isinstance(data, str):
            await self._fail(1003, "expected a text message")
        return data  # type: ignore[return-value]

    async def receive_bytes(self) -> bytes:
        data = await self.receive()
        if not isinstance(data, bytes):
            await self._fail(1003, "expected a binary message")
        return data  # type: ignore[return-value]

    async def receive_json(self) -> Any:
        """A text or binary message parsed as JSON; invalid JSON closes with 1007."""
        data = await self.receive()
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            await self._fail(1007, "message is not valid JSON")

    async def iter_text(self) -> AsyncIterator[str]:
        """Text messages until the socket closes (then the loop just ends)."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    async def _fail(self, code: int, reason: str) -> Any:
        """Close for a peer's protocol fault and tell the handler the socket is gone."""
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)

    # -- sending -------------------------------------------------------------------------
    async def _send(self, data: str | bytes) -> None:
        state = self.client_state
        if state is WebSocketState.CONNECTING:
            raise RuntimeError("call accept() before sending")
        if state is WebSocketState.DISCONNECTED or not await self._transport.send(data):
            if self.client_state is not WebSocketState.DISCONNECTED:
                self.client_state = WebSocketState.DISCONNECTED
                self._close_code = (1006, "")
            raise self._closed()

    async def send_text(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes a str, got {type(data).__name__}")
        await self._send(data)

    async def send_bytes(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"send_bytes() takes bytes, got {type(data).__name__}")
        await self._send(bytes(data))

    async def send_json(self, data: Any) -> None:
        """``data`` as JSON (orjson) in a text message."""
        await self._send(json_dumps(data).decode("utf-8"))

    # -- closing -------------------------------------------------------------------------
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket; before ``accept()`` this refuses the handshake with 403.

        Under RSGI the close frame carries no code (the client sees 1005).
        """
        check_close(code, reason)
        state = self.client_state
        if state is WebSocketState.CONNECTING:
            await self.deny(problem(403, "The server refused this WebSocket connection."))
            return
        if state is WebSocketState.DISCONNECTED:
            return
        self.client_state = WebSocketState.DISCONNECTED
        self._close_code = (code, reason)
        await self._transport.close(code, reason)

    def __repr__(self) -> str:
        return f"<WebSocket {self.path} {self.client_state.name}>"
