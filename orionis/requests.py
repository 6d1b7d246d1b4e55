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

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from orionis import _hot
from orionis.datastructures import URL, Address, Headers, QueryParams, State
from orionis.exceptions import ClientDisconnect, HTTPException, RequestValidationError
from orionis.forms import FormData, parse_form

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["Request"]

_wrap_headers = _hot.headers.wrap_headers
_parse_cookie = _hot.cookies.parse_cookie
_parse_query = _hot.urls.parse_query

# A Host header we are willing to echo back in ``request.url``: a reg-name or IP literal
# and an optional port. Anything else ("x/public?", "a@evil.com", two Host headers, spaces)
# falls back to the server's own address rather than building a URL from it.
_HOST_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]{1,5})?")

_UNSET: Any = object()


class Request:
    """An HTTP request, the same under ASGI and RSGI.

    Headers, query params and cookies are parsed on first access. The body is read once and
    is limited to ``max_body_size`` bytes actually received (413 beyond it), whatever
    ``Content-Length`` claims; a body that ends early raises ``ClientDisconnect`` (400).
    """

    interface: ClassVar[str] = ""

    __slots__ = (
        "_body",
        "_client",
        "_content_length",
        "_context",
        "_cookies",
        "_error",
        "_form",
        "_headers",
        "_json",
        "_query_params",
        "_server",
        "_state",
        "_stream_consumed",
        "app",
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

    @property
    def url(self) -> URL:
        return URL(self.scheme, self.host, self.path, self.query_string)

    @property
    def state(self) -> State:
        state = self._state
        if state is None:
            state = self._state = State()
        return state

    # -- body ----------------------------------------------------------------------------
    @property
    def content_length(self) -> int | None:
        """The declared ``Content-Length``, or ``None`` when the body length is not declared."""
        length = self._content_length
        if length is _UNSET:
            values = self._header_values("content-length")
            if not values:
                length = None
            elif len(set(values)) != 1 or not values[0].isdigit() or not values[0].isascii():
                raise HTTPException(400, "The Content-Length header is not a single valid number.")
            elif self._header_values("transfer-encoding"):
                # RFC 9112 6.3: a sign of request smuggling, and the declared length would
                # not bound what the server reads.
                raise HTTPException(
                    400, "A request must not carry both Content-Length and Transfer-Encoding."
                )
            else:
                length = int(values[0])
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
        try:
            async for chunk in chunks:
                received += len(chunk)
                if received > self.DRAIN_LIMIT:
                    break
        except Exception:  # the client left or the body broke: the 413 stands
            pass
        return self._too_large()

    async def _check_declared_length(self) -> int | None:
        length = self.content_length
        limit = self.max_body_size
        if length is not None and limit is not None and length > limit:
            if length > self.DRAIN_LIMIT:
                raise self._too_large()
            raise await self._reject_too_large(None, 0)
        return length

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
        """The server's chunks, counted against ``max_body_size`` and the declared length."""
        limit = self.max_body_size
        total = 0
        source = self._chunks()
        async for chunk in source:
            total += len(chunk)
            if limit is not None and total > limit:
                raise await self._reject_too_large(source, total)
            yield chunk
        if length is not None and total != length:
            raise ClientDisconnect()

    async def stream(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk, as it arrives (or at once if it was already read).

        A route with a ``max_body_size`` (the default) reads the body before the handler
        runs, so there ``stream()`` yields it in one piece; set ``max_body_size=None`` on the
        route to receive it as it arrives.
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
