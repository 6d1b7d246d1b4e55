"""The protocol-neutral request every handler and middleware sees.

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
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from orionis import _hot
from orionis.datastructures import URL, Address, Headers, QueryParams, State
from orionis.exceptions import ClientDisconnect, HTTPException, RequestValidationError, problem
from orionis.forms import FormData, parse_form

if TYPE_CHECKING:
    from orionis.foundation.application import Application
    from orionis.responses import Response

__all__ = ["BodyWait", "Request", "check_body_timeout", "two_hosts"]

_wrap_headers = _hot.headers.wrap_headers
_parse_cookie = _hot.cookies.parse_cookie
_parse_query = _hot.urls.parse_query

# A Host header we are willing to echo back in ``request.url``: a reg-name or IP literal
# and an optional port. Anything else ("x/public?", "a@evil.com", two Host headers, spaces)
# falls back to the server's own address rather than building a URL from it.
_HOST_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]{1,5})?")

_UNSET: Any = object()

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


def two_hosts() -> Response:
    """The 400 for an HTTP/2 request whose ``Host`` and ``:authority`` disagree."""
    return problem(
        400, "The request names two different hosts (Host and :authority); send only one."
    )


class BodyWait:
    """One wait for request body bytes: cancels its task at the deadline (or at once when
    the application shuts down). Lighter than ``asyncio.timeout`` on this per-read path."""

    __slots__ = ("deadline", "fired", "handle", "task")

    def __init__(self, task: asyncio.Task[Any] | None, timeout: float | None) -> None:
        self.task = task
        self.fired = False
        self.deadline: float | None = None
        self.handle: asyncio.TimerHandle | asyncio.Handle | None = None
        if timeout is not None and task is not None:
            loop = asyncio.get_running_loop()
            self.deadline = loop.time() + timeout
            self.handle = loop.call_at(self.deadline, self._fire)

    def _fire(self) -> None:
        if not self.fired and self.task is not None:
            self.fired = True
            self.task.cancel()

    def expire(self) -> None:
        """End the wait on the next loop pass (shutdown)."""
        if self.handle is not None:
            self.handle.cancel()
        self.handle = asyncio.get_running_loop().call_soon(self._fire)


class Request:
    """An HTTP request, the same under ASGI and RSGI.

    Headers, query params and cookies are parsed on first access. The body is read once and
    is limited to ``max_body_size`` bytes actually received (413 beyond it), whatever
    ``Content-Length`` claims; a body that ends early raises ``ClientDisconnect`` (400).
    """

    interface: ClassVar[str] = ""

    __slots__ = (
        "__weakref__",  # so tests and tools can check that nothing keeps a request alive
        "_body",
        "_client",
        "_close_connection",
        "_content_length",
        "_context",
        "_cookies",
        "_error",
        "_form",
        "_headers",
        "_host_override",
        "_json",
        "_query_params",
        "_server",
        "_session",
        "_state",
        "_stream_consumed",
        "app",
        "body_timeout",
        "http_version",
        "max_body_size",
        "method",
        "path",
        "path_params",
        "query_string",
        "route",
        "route_template",
        "scheme",
    )

    def __init__(self, app: Application) -> None:
        self.app = app
        self.max_body_size: int | None = app.max_body_size
        self.body_timeout: float | None = app.body_timeout
        self.path_params: dict[str, Any] = {}
        self.route: Any = None
        # The matched route's full path template, router prefixes included ("/api/u/{id}"),
        # or None (no route matched): what metrics and traces label a request with.
        self.route_template: str | None = None
        self._headers: Headers | None = None
        self._query_params: QueryParams | None = None
        self._cookies: dict[str, str] | None = None
        self._body: bytes | None = None
        self._content_length: Any = _UNSET
        self._json: Any = _UNSET
        self._state: State | None = None
        self._stream_consumed = False
        self._client: Any = _UNSET
        self._server: Any = _UNSET
        self._form: FormData | None = None
        self._context: Any = None  # dependencies.RequestContext, when the handler needs one
        self._error: BaseException | None = None  # what the handler raised, for cleanups
        # Set when the connection cannot carry another request after this answer (broken
        # framing, a body left unread or stalled): adapters then add ``Connection: close``.
        self._close_connection = False
        self._host_override: str | None = None  # set by _override_peer (trusted proxy)

    # -- adapter hooks -------------------------------------------------------------------
    def _raw_headers(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _peer(self) -> tuple[Address | None, Address | None]:
        raise NotImplementedError

    def _chunks(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    def _authority(self) -> str | None:
        """The HTTP/2 ``:authority`` when the server passes it outside the headers."""
        return None

    def _header_values(self, name: str) -> list[str]:
        """All values of one (lower-case) header, without building ``headers`` just for it."""
        headers = self._headers
        if headers is not None:
            return headers.getlist(name)
        return self._native_header_values(name)

    def _native_header_values(self, name: str) -> list[str]:
        """``_header_values`` straight from the server's headers (adapters look it up
        directly; this fallback builds ``headers``)."""
        return self.headers.getlist(name)

    def _declares_framing(self) -> bool:
        """Whether ``Content-Length`` or ``Transfer-Encoding`` is present (adapters make
        this a direct lookup: it runs for every request)."""
        headers = self.headers
        return "content-length" in headers or "transfer-encoding" in headers

    # -- headers, query, cookies ---------------------------------------------------------
    @property
    def headers(self) -> Headers:
        headers = self._headers
        if headers is None:
            headers = self._headers = _wrap_headers(self._raw_headers(), False)
        return headers

    @property
    def query_params(self) -> QueryParams:
        params = self._query_params
        if params is None:
            params = self._query_params = QueryParams(_parse_query(self.query_string))
        return params

    @property
    def cookies(self) -> dict[str, str]:
        cookies = self._cookies
        if cookies is None:
            values = self.headers.getlist("cookie")
            # HTTP/2 may split one Cookie header into several; join them back.
            cookies = self._cookies = _parse_cookie("; ".join(values)) if values else {}
        return cookies

    # -- addresses and URL ---------------------------------------------------------------
    @property
    def client(self) -> Address | None:
        if self._client is _UNSET:
            self._client, self._server = self._peer()
        return self._client

    @property
    def server(self) -> Address | None:
        if self._server is _UNSET:
            self._client, self._server = self._peer()
        return self._server

    @property
    def host(self) -> str:
        """The requested host (and port), only if it is well-formed; else the server address."""
        if self._host_override is not None:
            return self._host_override
        authority = self._authority()
        if authority is None:
            hosts = self.headers.getlist("host")
            authority = hosts[0] if len(hosts) == 1 else None
        if authority is not None and _HOST_RE.fullmatch(authority):
            return authority
        server = self.server
        if server is None:
            return "localhost"
        host = f"[{server.host}]" if ":" in server.host else server.host
        return f"{host}:{server.port}"

    def _override_peer(
        self,
        client: Address | None = None,
        scheme: str | None = None,
        host: str | None = None,
    ) -> None:
        """Replace what the server reported with what a trusted proxy forwarded.

        Used by ``ProxyHeadersMiddleware``; the values must already be validated. ``None``
        leaves a part as it is.
        """
        if client is not None:
            _ = self.server  # resolve the server address before the client is replaced
            self._client = client
        if scheme is not None:
            self.scheme = scheme
        if host is not None:
            self._host_override = host

    @property
    def url(self) -> URL:
        return URL(self.scheme, self.host, self.path, self.query_string)

    @property
    def session(self) -> dict[str, Any]:
        """The session dict that ``SessionMiddleware`` loaded for this request."""
        session = getattr(self, "_session", None)  # set only by SessionMiddleware
        if session is None:
            raise RuntimeError(
                "request.session needs SessionMiddleware: "
                "app.add_middleware(SessionMiddleware, secret_key=...)"
            )
        return session

    @property
    def state(self) -> State:
        state = self._state
        if state is None:
            state = self._state = State()
        return state

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
        or HTTP/3 body needs neither, so without a length there it counts as possibly present.
        """
        if (self.http_version == "1.1" or self.http_version == "1.0") and not (
            self._declares_framing()
        ):
            return False  # the common GET: one cheap check
        length = self.content_length
        if length is not None:
            return length > 0
        return True

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
        Either way the connection closes: the rest of the body may still arrive.
        """
        app = self.app
        wait = BodyWait(asyncio.current_task(), self.body_timeout)
        waits = app._body_waits
        waits.add(wait)
        try:
            if app._stopping:
                wait.expire()
            return await awaitable
        except asyncio.CancelledError:
            if not wait.fired or wait.task.uncancel() > 0:  # type: ignore[union-attr]
                raise  # someone else's cancellation
        finally:
            waits.discard(wait)
            if wait.handle is not None:
                wait.handle.cancel()
        if app._stopping:
            raise self._framing_error(503, "The server is shutting down; send the request again.")
        raise self._framing_error(
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
            length = await self._check_declared_length()
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
        return self._context is not None or self._form is not None

    async def finalize(self) -> None:
        """After the response is sent: background tasks, dependency cleanup, upload files."""
        try:
            if self._context is not None:
                await self._context.finish(self._error)
        finally:
            if self._form is not None:
                await self._form.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.method} {self.path}>"
