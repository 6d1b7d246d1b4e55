"""What HTTP requests and WebSocket handshakes share: the connection, before any body.

``HTTPConnection`` holds the URL, headers, query parameters, cookies, path parameters,
client and server addresses, scheme, ``state``, the application and the interface
(``"asgi"``/``"rsgi"``), all parsed on first access. ``orionis.requests.Request`` adds the
body; ``Handshake`` is a WebSocket's connection, which has none (it is not a ``Request``),
and ``WebSocket`` reads these through it.

An adapter's subclass fills the plain attributes (method, path, query string, scheme, HTTP
version) and implements ``_raw_headers`` (lower-case ``(str, str)`` pairs) and ``_peer``
(client and server addresses); ``_authority`` and ``_native_header_values`` are optional.
The attributes stay settable (middleware may replace ``client``-related data via its own
attributes, ``path_params`` and ``route`` are set by routing).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from orionis import _hot
from orionis.datastructures import URL, Address, Headers, QueryParams, State

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["UNSET", "HTTPConnection", "Handshake", "websocket_scheme", "without_root"]

_wrap_headers = _hot.headers.wrap_headers
_parse_cookie = _hot.cookies.parse_cookie
_parse_query = _hot.urls.parse_query

# A Host header we are willing to echo back in ``request.url``: a reg-name or IP literal
# and an optional port. Anything else ("x/public?", "a@evil.com", two Host headers, spaces)
# falls back to the server's own address rather than building a URL from it.
_HOST_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]{1,5})?")

UNSET: Any = object()  # a lazily computed attribute not computed yet


def without_root(path: str, root: str) -> str:
    """``path`` as routed: without the ``root_path`` the app is mounted under, when it
    starts with it (``/api`` and ``/api/x`` do, ``/apix`` does not)."""
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def websocket_scheme(scheme: str) -> str:
    """A handshake's scheme as ASGI names it (``ws``/``wss``), whatever the server said
    (Granian's RSGI side says ``http``/``https``)."""
    if scheme == "ws" or scheme == "wss":
        return scheme
    return "wss" if scheme == "https" else "ws"


class HTTPConnection:
    """One HTTP request or WebSocket handshake, as far as both go (see the module docstring)."""

    interface: ClassVar[str] = ""

    # The fields every request sets are slots. The rest keep a class-level default until a
    # request first needs them (then they go in its ``__dict__``): a new request sets only
    # what routing and the adapters read, not twenty fields.
    __slots__ = (
        "__dict__",
        "__weakref__",  # so tests and tools can check that nothing keeps a request alive
        "app",
        "http_version",
        "method",
        "path",
        "path_params",
        "query_string",
        "route",
        "route_template",
        "scheme",
    )

    # Defaults of the fields computed or set on demand (see above).
    _headers: Headers | None = None
    _query_params: QueryParams | None = None
    _cookies: dict[str, str] | None = None
    _state: State | None = None
    _client: Any = UNSET
    _server: Any = UNSET
    _solver: Any = None  # dependencies.Solver, when the handler needs one
    _error: BaseException | None = None  # what the handler raised, for cleanups
    _host_override: str | None = None  # set by _override_peer (trusted proxy)
    _session: dict[str, Any] | None = None  # set by SessionMiddleware

    def __init__(self, app: Application) -> None:
        self.app = app
        self.path_params: dict[str, Any] = {}
        self.route: Any = None
        # The matched route's full path template, router prefixes included ("/api/u/{id}"),
        # or None (no route matched): what metrics and traces label a request with.
        self.route_template: str | None = None

    # -- adapter hooks -------------------------------------------------------------------
    def _raw_headers(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _peer(self) -> tuple[Address | None, Address | None]:
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
        if self._client is UNSET:
            self._client, self._server = self._peer()
        return self._client

    @property
    def server(self) -> Address | None:
        if self._server is UNSET:
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
        session = self._session
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

    async def finish(self) -> None:
        """After the exchange: the solver's cleanups (background tasks, then generator
        dependencies, which see what the handler raised). ``Request.finalize`` also closes
        uploads."""
        solver = self._solver
        if solver is not None:
            await solver.finish(self._error)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.method} {self.path}>"


class Handshake(HTTPConnection):
    """A WebSocket handshake: the connection only, with no body (so not a ``Request``).

    ``websocket`` is the socket while its session runs (``orionis.websocket_routing`` sets
    it; it is what ``ws: WebSocket`` parameters receive). Adapters subclass it, as they do
    ``Request``, to read their scope.
    """

    __slots__ = ("websocket",)

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.websocket: Any = None
