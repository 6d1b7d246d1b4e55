"""WebSocket routes: registration on routers, the table built from them, and serving one
connection from handshake to close.

``@app.websocket("/ws/{room}")`` (also on a ``Router``, under its prefixes and router
dependencies) or ``app.add_websocket_route(path, endpoint)``. Paths use the HTTP routes'
syntax and converters; parameters are solved from the handshake like an HTTP handler's
(path, query, header, cookie, ``Depends``, ``websocket: WebSocket``); a ``Request`` or
``HTTPConnection`` parameter receives the handshake, a connection without a body, and body or
form parameters are refused when the table is built. HTTP middleware does not run for
WebSockets.

Refusals happen before ``accept()``: no route 404, an ``Origin`` not in ``allowed_origins``
403, a failed validation or guard 403, ``close()`` before ``accept()`` 403, a handler that
raises before accepting 500. After ``accept()``, a handler that raises closes with 1011 (and
is logged), an ``HTTPException`` with 1008 (4xx) or 1011 (5xx).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from typing_extensions import Unpack

from orionis import _hot
from orionis.dependencies import Depends
from orionis.exceptions import HTTPException, RequestValidationError, problem
from orionis.handlers import Endpoint, Handler
from orionis.paths import parse_path, shape
from orionis.websockets import WebSocket, WebSocketDisconnect, WebSocketState, WebSocketTransport

if TYPE_CHECKING:
    from orionis.connections import Handshake, HTTPConnection
    from orionis.foundation.application import Application
    from orionis.routing import Router, RouterSettings, RouteTable

__all__ = [
    "WebSocketApplication",
    "WebSocketOptions",
    "WebSocketRoute",
    "WebSocketRouting",
    "WebSocketTable",
    "serve_websocket",
]

logger = logging.getLogger("orionis")


class _Inherit:
    def __repr__(self) -> str:
        return "INHERIT"


INHERIT: Any = _Inherit()
"""Default for per-route WebSocket settings: use the application's value."""

_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s?#]+")


def check_origins(origins: Sequence[str] | None, owner: str) -> frozenset[str] | None:
    """``allowed_origins`` as compared at handshake time (lower-case, no trailing slash)."""
    if origins is None:
        return None
    if isinstance(origins, str):
        raise TypeError(f"{owner}: allowed_origins is a list, e.g. ['https://app.example']")
    cleaned = set()
    for origin in origins:
        text = origin.strip().lower().rstrip("/") if isinstance(origin, str) else None
        if text is None or not (text == "*" or text == "null" or _ORIGIN.fullmatch(text)):
            raise ValueError(
                f"{owner}: allowed origin {origin!r} should look like 'https://app.example' "
                "(scheme, host and optional port), or '*' for any"
            )
        cleaned.add(text)
    return frozenset(cleaned)


def check_max_message_size(size: Any, owner: str) -> None:
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise ValueError(f"{owner}: max_message_size must be a positive int (bytes) or None")


class WebSocketOptions(TypedDict, total=False):
    """Options every WebSocket registration accepts (``WebSocketRoute``'s keywords; an
    absent setting is ``INHERIT``: the application's value)."""

    name: str | None
    dependencies: Sequence[Depends] | None
    allowed_origins: Sequence[str] | None
    max_message_size: int | None


class WebSocketRoute:
    """One WebSocket path bound to an async endpoint, as registered."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        name: str | None = None,
        dependencies: Sequence[Depends] | None = None,
        allowed_origins: Sequence[str] | None = INHERIT,
        max_message_size: int | None = INHERIT,
    ) -> None:
        from orionis.routing import _check_dependencies  # it imports this module

        owner = f"websocket route {path!r}"
        self.path = path
        self.segments = parse_path(path)
        probe = Handler(endpoint, {}, plan=False)
        if not probe.is_async:
            raise TypeError(
                f"{owner}: the endpoint {probe.name} must be an 'async def' (it awaits the socket)"
            )
        self.endpoint = endpoint
        self.name = name if name is not None else probe.name
        self.dependencies = _check_dependencies(dependencies, owner)
        if allowed_origins is not INHERIT:
            allowed_origins = check_origins(allowed_origins, owner)
        self.allowed_origins = allowed_origins
        if max_message_size is not INHERIT:
            check_max_message_size(max_message_size, owner)
        self.max_message_size = max_message_size

    def __repr__(self) -> str:
        return f"WebSocketRoute({self.path!r}, name={self.name!r})"


class WebSocketRouting:
    """The WebSocket half of ``Router``: ``websocket`` and ``add_websocket_route``."""

    @property
    def websocket_routes(self) -> list[WebSocketRoute]:
        routes: list[WebSocketRoute] | None = self.__dict__.get("_websocket_routes")
        if routes is None:
            routes = self.__dict__["_websocket_routes"] = []
        return routes

    def add_websocket_route(
        self, path: str, endpoint: Endpoint, **options: Unpack[WebSocketOptions]
    ) -> WebSocketRoute:
        """Serve WebSocket connections to ``path`` with ``endpoint`` (an ``async def``)."""
        route = WebSocketRoute(path, endpoint, **options)
        self.websocket_routes.append(route)
        self._changed()  # type: ignore[attr-defined]
        return route

    def websocket(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[WebSocketOptions]
    ) -> Any:
        """``@router.websocket("/ws/{room}")``: register, returning the function unchanged.

        ``allowed_origins`` (default: the application's) refuses handshakes whose ``Origin``
        is not listed; ``max_message_size`` (bytes, default: the application's) closes the
        socket with 1009 on a larger incoming message.
        """
        if endpoint is not None:
            self.add_websocket_route(path, endpoint, **options)
            return endpoint

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_websocket_route(path, func, **options)
            return func

        return decorator

    def walk_websockets(
        self, parent: RouterSettings | None = None
    ) -> Iterator[tuple[WebSocketRoute, RouterSettings]]:
        """Every WebSocket route with its full prefix and router dependencies."""
        from orionis.routing import RouterSettings  # it imports this module

        router: Router = self  # type: ignore[assignment]
        mount = RouterSettings(
            (parent.prefix if parent else "") + router.prefix,
            [],
            [*(parent.dependencies if parent else []), *router.dependencies],
            [],
        )
        for route in self.websocket_routes:
            yield route, mount
        for child, extra in router.includes:
            inner = RouterSettings(mount.prefix + extra, [], mount.dependencies, [])
            yield from child.walk_websockets(inner)


class WebSocketApplication:
    """The WebSocket half of ``Application``: registration on its router, and the table."""

    router: Router
    _websocket_table: tuple[RouteTable, WebSocketTable] | None

    def websocket(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[WebSocketOptions]
    ) -> Any:
        """``@app.websocket("/ws/{room}")``; see ``Router.websocket``."""
        return self.router.websocket(path, endpoint, **options)

    def add_websocket_route(
        self, path: str, endpoint: Endpoint, **options: Unpack[WebSocketOptions]
    ) -> WebSocketRoute:
        return self.router.add_websocket_route(path, endpoint, **options)

    @property
    def websocket_table(self) -> WebSocketTable:
        """The WebSocket routes, rebuilt whenever the routes change (with the HTTP table)."""
        table = self.route_table  # type: ignore[attr-defined]
        cached = self._websocket_table
        if cached is None or cached[0] is not table:
            app: Application = self  # type: ignore[assignment]
            cached = self._websocket_table = (table, WebSocketTable(app, self.router))
        return cached[1]


@dataclass(slots=True)
class _WebSocketEntry:
    route: WebSocketRoute
    path: str
    handler: Handler
    allowed_origins: frozenset[str] | None
    max_message_size: int | None


class WebSocketTable:
    """The WebSocket routes of a router tree, ready to match (built once per route change)."""

    def __init__(self, app: Application, router: Router) -> None:

        self.matcher = _hot.matcher.Matcher()
        # the limit before a route matched (the handshake itself)
        self.max_message_size = app.websocket_max_message_size
        # ``websocket_session(request)`` hooks of the global middleware (filled in place by
        # the application once its middleware is built)
        self.session_watchers: list[Any] = app.websocket_session_watchers
        self.entries: list[_WebSocketEntry] = []
        shapes: dict[tuple[Any, ...], _WebSocketEntry] = {}
        for route, mount in router.walk_websockets():
            full_path = mount.prefix + route.path
            segments = parse_path(full_path)
            params = {s[0]: s[1] for s in segments if isinstance(s, tuple)}
            handler = Handler(
                route.endpoint,
                params,
                dependencies=[*mount.dependencies, *route.dependencies],
                response_model=None,
                overrides=app.overrides,
            )
            _check_no_body(handler, full_path)
            origins = route.allowed_origins
            if origins is INHERIT:
                origins = app.websocket_allowed_origins
            size = route.max_message_size
            if size is INHERIT:
                size = app.websocket_max_message_size
            entry = _WebSocketEntry(route, full_path, handler, origins, size)
            key = shape(tuple(segments))
            if key in shapes:
                raise ValueError(
                    f"WebSocket route {full_path} is registered twice "
                    f"({shapes[key].route.name} at {shapes[key].path} and {route.name})"
                )
            shapes[key] = entry
            self.entries.append(entry)
            self.matcher.add(list(segments), {"GET": entry})


_BODY_SOURCES = {"body": "a JSON body", "form": "a form field", "file": "an uploaded file"}


def _check_no_body(handler: Handler, path: str) -> None:
    """Refuse, before serving, WebSocket handlers (or their dependencies) reading a body:
    a handshake has none; data comes as messages after ``accept()``."""
    for plan in handler._plans:
        for item in plan.all_inputs():
            what = _BODY_SOURCES.get(item.source)
            if what is not None:
                raise TypeError(
                    f"{handler.name} (WebSocket {path}): parameter {item.name!r} is {what}, "
                    "which a WebSocket handshake does not have; receive it as a message after "
                    "accept() instead: data = await ws.receive_json()"
                )


def check_http_routes(table: RouteTable) -> None:
    """Refuse, before serving, HTTP handlers asking for a ``WebSocket`` they can never get."""
    for entry in table.entries:
        handler = entry.handler
        if handler is None:
            continue
        for plan in handler._plans:
            for item in plan.all_inputs():
                if item.source == "websocket":
                    raise TypeError(
                        f"{handler.name} ({entry.path}): parameter {item.name!r} is a WebSocket, "
                        "which only @app.websocket routes receive; take request: Request instead"
                    )


def origin_allowed(request: HTTPConnection, allowed: frozenset[str] | None) -> bool:
    """No list: any origin. A list: a browser's ``Origin`` must be on it ('*' allows all).

    A handshake without ``Origin`` passes: browsers always send one, so its absence means a
    non-browser client, which cross-site WebSocket hijacking cannot involve.
    """
    if allowed is None or "*" in allowed:
        return True
    origins = request.headers.getlist("origin")
    if not origins:
        return True
    return len(origins) == 1 and origins[0].strip().lower().rstrip("/") in allowed


async def serve_websocket(
    table: WebSocketTable, request: Handshake, transport: WebSocketTransport
) -> None:
    """Run one connection from handshake to close. Never raises, but for cancellation.

    ``request`` is the handshake (a connection without a body, not a ``Request``); the
    solver finds the socket as ``request.websocket`` while the session runs.
    """
    ws = WebSocket(request, transport, table.max_message_size)
    request.websocket = ws
    failure: BaseException | None = None
    try:
        found = table.matcher.match(request.path, "GET")
        if found is None or found[0] is None:
            await ws.deny(problem(404, f"No WebSocket route matches {request.path}."))
            return
        entry, params = found
        request.path_params = params
        request.route = entry.route
        request.route_template = entry.path
        ws.max_message_size = entry.max_message_size
        if not origin_allowed(request, entry.allowed_origins):
            await ws.deny(problem(403, "WebSocket connections from this Origin are not allowed."))
            return
        with _watched(table.session_watchers, request):
            await entry.handler.run(request)
            if ws.client_state is WebSocketState.CONNECTING:
                await ws.deny(problem(403, "The handler returned without accepting the WebSocket."))
            else:
                await ws.close(1000)
    except WebSocketDisconnect:
        # the socket is closed: the normal end of a handler (refuse if nothing answered yet)
        await _refuse(ws, problem(403, "The handler ended without accepting the WebSocket."))
    except RequestValidationError as exc:
        failure = exc
        await _refuse(
            ws, problem(403, "Invalid handshake parameters.", extra={"errors": exc.errors})
        )
    except HTTPException as exc:
        failure = exc
        if ws.client_state is WebSocketState.CONNECTING:
            await _refuse(ws, problem(403, exc.detail))
        else:
            await _close(ws, 1008 if exc.status_code < 500 else 1011, exc.detail)
    except Exception as exc:
        failure = exc
        logger.error("WebSocket %r: the handler raised", request.path, exc_info=exc)
        if ws.client_state is WebSocketState.CONNECTING:
            await _refuse(ws, problem(500, "The server failed to handle this WebSocket."))
        else:
            await _close(ws, 1011, "")
    finally:
        request._error = failure  # thrown into generator dependencies at cleanup
        try:
            await request.finish()  # background tasks, generator dependencies
        finally:
            request.websocket = None  # no ws <-> request cycle
            request._error = None  # nor one through the failure's traceback


def _watched(watchers: list[Any], request: HTTPConnection) -> contextlib.ExitStack:
    """Observability hook: global middleware defining ``websocket_session(request)`` (a
    context manager) wraps each routed session, since HTTP middleware does not run for
    WebSockets (``MetricsMiddleware`` counts open connections with it)."""
    stack = contextlib.ExitStack()
    for watch in watchers:
        stack.enter_context(watch(request))
    return stack


async def _refuse(ws: WebSocket, response: Any) -> None:
    if ws.client_state is WebSocketState.CONNECTING:
        with contextlib.suppress(Exception):  # the client may be gone already
            await ws.deny(response)


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    reason = reason.encode("utf-8")[:123].decode("utf-8", "ignore")
    with contextlib.suppress(Exception):
        await ws.close(code, reason)
