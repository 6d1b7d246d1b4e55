"""The protocol-neutral request every handler and middleware sees: a connection
(``orionis.connections.HTTPConnection``: URL, headers, query, cookies, client...) with a body.

An adapter builds a subclass of ``Request`` that fills the plain attributes (method, path,
query string, scheme, HTTP version) and implements three hooks: ``_raw_headers`` (lower-case
``(str, str)`` pairs), ``_peer`` (client and server addresses) and ``_chunks`` (the body in
non-empty chunks as the server delivers it, raising ``ClientDisconnect`` when it ends early).
Two more are optional shortcuts for per-request header checks: ``_native_header_values`` and
``_declares_framing``. Everything else, including body size limits and parsing, lives here
once for both protocols, and is computed only when first asked for.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from orionis.connections import UNSET as _UNSET
from orionis.connections import HTTPConnection
from orionis.deadlines import Deadlines, deadlines
from orionis.exceptions import ClientDisconnect, HTTPException, RequestValidationError, problem
from orionis.forms import FormData, parse_form

if TYPE_CHECKING:
    from orionis.foundation.application import Application
    from orionis.responses import Response

__all__ = [
    "BodyWait",
    "Request",
    "check_body_timeout",
    "check_max_body_size",
    "two_hosts",
    "wire_headers",
]

# A declared length with more significant digits than this is larger than any body a server
# can deliver (2**64 has 20): refused without converting it (``int()`` refuses 4,300 digits).
_MAX_LENGTH_DIGITS = 19

# A declared body up to this size is read by an adapter in one call when it can: a body this
# small arrives in one flight, so the wait for the whole of it is a wait for progress.
ONE_SHOT_BODY = 64 * 1024


def check_body_timeout(value: Any, owner: str) -> float | None:
    """``value`` if it is a valid ``body_timeout`` (seconds > 0, or ``None``); else ValueError."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"{owner}: body_timeout must be a positive number of seconds (e.g. 30.0) or None "
            f"to disable it, got {value!r}"
        )
    return float(value)


def check_max_body_size(value: Any, owner: str) -> int | None:
    """``value`` if it is a valid ``max_body_size`` (bytes >= 0, or ``None``); else ValueError."""
    if value is not None and (not isinstance(value, int) or value < 0):
        raise ValueError(
            f"{owner}: max_body_size must be a non-negative int (bytes) or None, got {value!r}"
        )
    return value


def wire_headers(request: Request, response: Response) -> list[tuple[str, str]]:
    """The headers an adapter sends: the response's, plus ``Connection: close`` when the
    connection cannot carry another request (both adapters use this one rule)."""
    if request._close_connection:
        return request._closing_headers(response.raw_headers)
    return response.raw_headers


def two_hosts() -> Response:
    """The 400 for an HTTP/2 request whose ``Host`` and ``:authority`` disagree."""
    return problem(
        400, "The request names two different hosts (Host and :authority); send only one."
    )


class BodyWait:
    """One wait for request body bytes: cancels its task at the deadline (or at once when
    the application shuts down). Deadlines share one timer per loop (``orionis.deadlines``):
    a timer per read would cost more than the read."""

    __slots__ = ("clock", "deadline", "fired", "handle", "task")

    def __init__(self, task: asyncio.Task[Any] | None, timeout: float | None) -> None:
        self.task = task
        self.fired = False
        self.deadline: float | None = None
        self.handle: asyncio.Handle | None = None  # expire()'s
        self.clock: Deadlines | None = None
        if timeout is not None and task is not None:
            loop = asyncio.get_running_loop()
            self.deadline = loop.time() + timeout
            self.clock = deadlines(loop)
            self.clock.add(self)

    def _fire(self) -> None:
        if not self.fired and self.task is not None:
            self.fired = True
            self.task.cancel()

    def expire(self) -> None:
        """End the wait on the next loop pass (shutdown)."""
        if self.handle is not None:
            self.handle.cancel()
        self.handle = asyncio.get_running_loop().call_soon(self._fire)

    def close(self) -> None:
        """The wait is over: nothing fires for it any more."""
        if self.clock is not None:
            self.clock.discard(self)
        if self.handle is not None:
            self.handle.cancel()


class Request(HTTPConnection):
    """An HTTP request, the same under ASGI and RSGI: a connection with a body.

    Headers, query params and cookies are parsed on first access. The body is read once and
    is limited to ``max_body_size`` bytes actually received (413 beyond it), whatever
    ``Content-Length`` claims; a body that ends early raises ``ClientDisconnect`` (400).
    """

    __slots__ = ("body_timeout", "max_body_size")

    # Body state, a class-level default until a request needs it (as in HTTPConnection).
    _body: bytes | None = None
    _content_length: Any = _UNSET
    _json: Any = _UNSET
    _stream_consumed = False
    _form: FormData | None = None
    # The read waiting on the server right now, if any (``_begin_wait``): a task suspended
    # in its own body read is not watched for a disconnect (``orionis.disconnect.Resume``).
    _body_wait: BodyWait | None = None
    # Set when the connection cannot carry another request after this answer (broken
    # framing, a body left unread or stalled): adapters then add ``Connection: close``.
    _close_connection = False

    def __init__(self, app: Application) -> None:
        # HTTPConnection's fields, set here rather than by calling its __init__: one call
        # less per request (tests/unit/test_connections.py checks the two stay alike).
        self.app = app
        self.path_params: dict[str, Any] = {}
        self.route: Any = None
        self.route_template: str | None = None
        self.max_body_size: int | None = app.max_body_size
        self.body_timeout: float | None = app.body_timeout

    # -- adapter hooks -------------------------------------------------------------------
    def _chunks(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    def _declares_framing(self) -> bool:
        """Whether ``Content-Length`` or ``Transfer-Encoding`` is present (adapters make
        this a direct lookup: it runs for every request)."""
        headers = self.headers
        return "content-length" in headers or "transfer-encoding" in headers

    # -- body ----------------------------------------------------------------------------
    def _framing_error(self, status: int, detail: str) -> HTTPException:
        """An answer after which the connection's byte stream cannot be trusted: it closes."""
        self._close_connection = True
        return HTTPException(status, detail)

    @property
    def content_length(self) -> int | None:
        """The declared ``Content-Length``, or ``None`` when the body length is not declared."""
        length = self._content_length
        if length is _UNSET:
            values = self._header_values("content-length")
            if not values:
                length = None
            elif len(set(values)) != 1 or not values[0].isdigit() or not values[0].isascii():
                raise self._framing_error(
                    400, "The Content-Length header is not a single valid number."
                )
            elif self._header_values("transfer-encoding"):
                # RFC 9112 6.3: a sign of request smuggling, and the declared length would
                # not bound what the server reads.
                raise self._framing_error(
                    400, "A request must not carry both Content-Length and Transfer-Encoding."
                )
            else:
                digits = values[0].lstrip("0")
                if len(digits) > _MAX_LENGTH_DIGITS:  # never int() an unbounded digit string
                    if self.max_body_size is not None:
                        self._close_connection = True
                        raise self._too_large()
                    raise self._framing_error(
                        400,
                        f"The Content-Length header has more than {_MAX_LENGTH_DIGITS} digits; "
                        "no body can be that large.",
                    )
                length = int(digits or "0")
            self._content_length = length
        return length

    def has_body(self) -> bool:
        """Whether a body may follow, so it can be read before the handler runs.

        HTTP/1 announces a body with ``Content-Length`` or ``Transfer-Encoding``; an HTTP/2
        or HTTP/3 body needs neither, so without a length there it counts as possibly present,
        except on ``GET`` and ``HEAD``: their content has no meaning (RFC 9110 9.3.1-2), and
        finding out that none follows costs a wait on the server for every request. Such a
        body is read (and capped, and timed) only if the handler asks for it.
        """
        http1 = self.http_version == "1.1" or self.http_version == "1.0"
        if self._declares_framing():
            length = self.content_length
            if length is not None:
                return length > 0
            if http1:
                return True  # Transfer-Encoding
        elif http1:
            return False  # the common HTTP/1 GET: one cheap check
        method = self.method
        return method != "GET" and method != "HEAD"

    def _host_conflict(self) -> bool:
        """Whether an HTTP/2 request names two hosts (``:authority`` and ``Host``, or two
        ``Host`` values): RFC 9113 8.3.1 makes it malformed. Adapters check it on HTTP/2."""
        hosts = {value.lower() for value in self._header_values("host")}
        authority = self._authority()
        if authority is not None:
            hosts.add(authority.lower())
        return len(hosts) > 1

    def _closing_headers(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``headers`` plus ``Connection: close`` on HTTP/1 (HTTP/2 forbids the header).

        Added by the adapters after the response checks, so the hop-by-hop filter that drops
        a user's ``Connection`` header never sees this one."""
        if self.http_version == "1.1" or self.http_version == "1.0":
            return [*headers, ("connection", "close")]
        return headers

    # An oversized body is read and thrown away up to this many bytes before the 413 goes
    # out. Answering while the client is still uploading makes the server close a socket
    # with unread data, and the TCP reset that follows can destroy the 413 on its way to the
    # client; beyond this budget the client may see a reset instead of the answer.
    DRAIN_LIMIT = 8 * 1024 * 1024

    def _too_large(self) -> HTTPException:
        return HTTPException(
            413,
            f"The request body is larger than this endpoint accepts ({self.max_body_size} bytes).",
        )

    async def _reject_too_large(
        self, chunks: AsyncIterator[bytes] | None, received: int
    ) -> HTTPException:
        """Drain what is left of an oversized body (within ``DRAIN_LIMIT``), then the 413."""
        if chunks is None:
            chunks = self._chunks()
        step = chunks.__anext__
        try:
            while True:
                received += len(await self._timed(step()))
                if received > self.DRAIN_LIMIT:
                    self._close_connection = True  # the rest stays unread
                    break
        except StopAsyncIteration:
            pass
        except Exception:  # the client left, stalled, or the body broke: the 413 stands
            self._close_connection = True
        return self._too_large()

    def _expects_continue(self) -> bool:
        return any(v.lower() == "100-continue" for v in self._header_values("expect"))

    async def _check_declared_length(self) -> int | None:
        length = self.content_length
        limit = self.max_body_size
        if length is not None and limit is not None and length > limit:
            if length > self.DRAIN_LIMIT or self._expects_continue():
                # Too much to drain, or a client waiting for "100 Continue" before it sends
                # the body: answer at once, without reading (servers send the 100 on the
                # first read), and close, since the body may still follow.
                self._close_connection = True
                raise self._too_large()
            raise await self._reject_too_large(None, 0)
        return length

    async def _timed(self, awaitable: Any) -> Any:
        """Await one step of the body (a chunk, or all of it) within ``body_timeout``.

        No progress in time is a 408; the application's shutdown ends every wait still
        pending with a 503, so a stalled client can never hold a worker that is stopping.
        Either way the connection closes: the rest of the body may still arrive. (RSGI's
        one-step read inlines this: ``_begin_wait``, the same ``except``, then ``_end_wait``
        and ``_timed_out``.)
        """
        wait = self._begin_wait()
        try:
            return await awaitable
        except asyncio.CancelledError:
            if not wait.fired or wait.task.uncancel() > 0:  # type: ignore[union-attr]
                raise  # someone else's cancellation
        finally:
            self._end_wait(wait)
        raise self._timed_out()

    def _begin_wait(self) -> BodyWait:
        """A body wait starts: timed, ended by the application's shutdown, and known to the
        disconnect guard (``_body_wait``)."""
        app = self.app
        wait = BodyWait(asyncio.current_task(), self.body_timeout)
        app._body_waits.add(wait)
        self._body_wait = wait
        if app._stopping:
            wait.expire()
        return wait

    def _read_sees_leaving(self) -> bool:
        """Whether a body read ends when the client leaves (a short or broken body), so the
        disconnect guard need not watch it (``orionis.disconnect.Resume``)."""
        return True

    def _end_wait(self, wait: BodyWait) -> None:
        self._body_wait = None
        self.app._body_waits.discard(wait)
        wait.close()

    def _timed_out(self) -> HTTPException:
        """The answer for a wait its deadline (or the shutdown) ended."""
        if self.app._stopping:
            return self._framing_error(503, "The server is shutting down; send the request again.")
        return self._framing_error(
            408,
            f"No part of the request body arrived for {self.body_timeout:g} seconds; "
            "send the body without pausing.",
        )

    async def body(self) -> bytes:
        """The whole body, read once (then cached)."""
        body = self._body
        if body is None:
            if self._stream_consumed:
                raise RuntimeError("the body was already consumed by request.stream()")
            length = self._content_length
            limit = self.max_body_size
            if type(length) is not int or (limit is not None and length > limit):
                length = await self._check_declared_length()  # to read, check, or answer 413
            body = self._body = await self._read_body(length)
        return body

    async def _read_body(self, length: int | None) -> bytes:
        # Adapters may override with a faster path; the checks must stay the same.
        return b"".join([chunk async for chunk in self._limited(length)])

    async def _limited(self, length: int | None) -> AsyncIterator[bytes]:
        """The server's chunks, counted against ``max_body_size`` and the declared length,
        each within ``body_timeout`` of the one before."""
        limit = self.max_body_size
        total = 0
        source = self._chunks()
        step = source.__anext__
        try:
            while True:
                try:
                    chunk = await self._timed(step())
                except StopAsyncIteration:
                    break
                total += len(chunk)
                if limit is not None and total > limit:
                    raise await self._reject_too_large(source, total)
                yield chunk
            if length is not None and total != length:
                raise ClientDisconnect()
        except ClientDisconnect:
            self._close_connection = True  # the framing broke: nothing after it is a request
            raise

    async def stream(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk, as it arrives (or at once if it was already read).

        A route with a ``max_body_size`` (the default) reads the body before the handler
        runs, so there ``stream()`` yields it in one piece; set ``max_body_size=None`` on the
        route to receive it as it arrives. ``body_timeout`` applies between chunks.
        """
        if self._body is not None:
            if self._body:
                yield self._body
            return
        if self._stream_consumed:
            raise RuntimeError("request.stream() can only be iterated once")
        self._stream_consumed = True
        length = await self._check_declared_length()
        async for chunk in self._limited(length):
            yield chunk

    async def json(self) -> Any:
        """The body parsed as JSON; malformed JSON is a 422 with a ``json_invalid`` error."""
        if self._json is _UNSET:
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise RequestValidationError(
                    [{"loc": ["body"], "type": "json_invalid", "msg": f"Invalid JSON: {exc}"}]
                ) from None
        return self._json

    async def form(self) -> FormData:
        """The body as form fields and ``UploadFile``s (urlencoded or multipart), parsed once.

        Limits come from ``Application(form_limits=...)``; uploaded files are closed after the
        response has been sent.
        """
        if self._form is None:
            self._form = await parse_form(
                self.headers.get("content-type"), self.stream(), self.app.form_limits
            )
        return self._form

    @property
    def needs_finalize(self) -> bool:
        """Whether ``finalize`` has work to do; adapters skip its coroutine when not."""
        return self._solver is not None or self._form is not None

    async def finalize(self) -> None:
        """After the response is sent: background tasks, dependency cleanup, upload files."""
        try:
            if self._solver is not None:
                await self._solver.finish(self._error)
        finally:
            if self._form is not None:
                await self._form.close()
