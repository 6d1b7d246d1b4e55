"""Routes, routers, and the route table built from them once before serving.

Paths use ``{name}`` / ``{name:conv}`` or Flask's ``<name>`` / ``<conv:name>``; converters are
``str`` (one non-empty segment, the default), ``int`` (digits), ``float`` (digits with an
optional fraction), ``uuid`` and ``path`` (the rest of the path, ``/`` included; last only).
A parameter spans a whole segment. Matching rules (static before parameters, registration
order among parameters) live in ``orionis._hot.matcher``.

Routers only record what was registered. The application compiles the whole tree into a
``RouteTable`` (matcher, handler plans, middleware chains) the first time it is needed and
again after any change, so routes added to a router after ``include_router`` still count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from orionis import _hot
from orionis.dependencies import Depends
from orionis.disconnect import check_cancel_on_disconnect
from orionis.exceptions import HTTPException
from orionis.handlers import INFER, Endpoint, Executor, Handler
from orionis.middleware import rate_limit as _rate_limit
from orionis.middleware.base import build_chain, instantiate
from orionis.paths import NoMatchFound, Segment, format_param, parse_path, shape
from orionis.requests import check_body_timeout, check_max_body_size
from orionis.responses import Response, ResponseKind
from orionis.route_verbs import REQUIRED, RouteOptions, RouteVerbs
from orionis.websocket_routing import WebSocketRouting

if TYPE_CHECKING:
    from orionis.errors import ErrorBoundary
    from orionis.foundation.application import Application
    from orionis.requests import Request

__all__ = ["NoMatchFound", "Route", "RouteOptions", "RouteTable", "Router"]

_matcher = _hot.matcher

_FILE = ResponseKind.FILE

HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


class _Inherit:
    def __repr__(self) -> str:
        return "INHERIT"


INHERIT: Any = _Inherit()
"""Default for per-route settings: use the application's value."""


def _check_prefix(prefix: str) -> str:
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise ValueError(f"router prefix {prefix!r} must start with '/' and not end with '/'")
    return prefix


class Route:
    """One path and set of methods bound to an endpoint, as registered."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: Sequence[str] | None = None,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
        dependencies: Sequence[Depends] | None = None,
        max_body_size: int | None = INHERIT,
        body_timeout: float | None = INHERIT,
        cancel_on_disconnect: bool | None = None,
        status_code: int | None = None,
        response_model: Any = INFER,
        executor: Executor = "thread",
        tags: Sequence[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        deprecated: bool = False,
        responses: dict[int | str, Any] | None = None,
        include_in_schema: bool = True,
        rate_limit: Any = None,
    ) -> None:
        if callable(path):
            raise TypeError(
                f"a route path is a string like '/items', got {_callable_name(path)}; "
                "write add_route('/items', endpoint)"
            )
        self.path = path
        self.segments = parse_path(path)
        if isinstance(methods, str) or (methods is not None and not methods):
            raise ValueError(f"route {path!r}: methods must be a non-empty list like ['GET']")
        methods = ["GET"] if methods is None else list(methods)
        upper = [m.upper() for m in methods]
        unknown = [m for m in upper if m not in HTTP_METHODS]
        if unknown:
            raise ValueError(f"route {path!r}: unknown HTTP method(s) {', '.join(unknown)}")
        self.methods = tuple(dict.fromkeys(upper))
        self.endpoint = endpoint
        # Validate the endpoint's shape now; its parameters are planned when the full path
        # (with router prefixes) is known.
        probe = Handler(endpoint, {}, executor=executor, plan=False)
        self.name = name if name is not None else probe.name
        self.explicit_name = name is not None
        self.middleware = list(middleware or [])
        self.dependencies = _check_dependencies(dependencies, f"route {path!r}")
        if max_body_size is not INHERIT:
            max_body_size = check_max_body_size(max_body_size, f"route {path!r}")
        self.max_body_size = max_body_size
        if body_timeout is not INHERIT:
            body_timeout = check_body_timeout(body_timeout, f"route {path!r}")
        self.body_timeout = body_timeout
        # None: the application's setting (orionis/disconnect.py reads it at disconnect)
        self.cancel_on_disconnect = check_cancel_on_disconnect(
            cancel_on_disconnect, f"route {path!r}", inherit=True
        )
        self.status_code = status_code
        self.response_model = response_model
        self.executor = executor
        self.tags = list(tags or [])
        self.summary = summary
        self.description = description
        self.deprecated = deprecated
        self.responses = dict(responses or {})
        self.include_in_schema = include_in_schema
        # "10/second" or a RateLimitMiddleware: enforced by this route's own layer.
        self.rate_limit = _rate_limit.check_option(rate_limit, path)

    def __repr__(self) -> str:
        return f"Route({self.path!r}, methods={list(self.methods)}, name={self.name!r})"


def _check_dependencies(dependencies: Sequence[Depends] | None, owner: str) -> list[Depends]:
    items = list(dependencies or [])
    for item in items:
        if not isinstance(item, Depends):
            raise TypeError(f"{owner}: dependencies must be Depends(...) objects, got {item!r}")
    return items


def _callable_name(value: Any) -> str:
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    return f"the callable {name}" if name else repr(value)


class Router(RouteVerbs, WebSocketRouting):
    """A group of routes with a shared prefix, middleware and tags.

    ``api = Router(prefix="/api", middleware=[Auth], tags=["api"])``, then
    ``app.include_router(api)``. Routers nest with ``include_router``.
    """

    def __init__(
        self,
        prefix: str = "",
        *,
        middleware: Sequence[Any] | None = None,
        dependencies: Sequence[Depends] | None = None,
        tags: Sequence[str] | None = None,
    ) -> None:
        self.prefix = _check_prefix(prefix)
        self.middleware = list(middleware or [])
        self.dependencies = _check_dependencies(dependencies, f"router {prefix!r}")
        self.tags = list(tags or [])
        self.routes: list[Route] = []
        self.includes: list[tuple[Router, str]] = []
        self._listeners: list[Callable[[], None]] = []
        self._label = "router"  # how error messages name this object: @router.get(...)

    # -- change notification ------------------------------------------------------------
    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _contains(self, other: Router) -> bool:
        return other is self or any(child._contains(other) for child, _ in self.includes)

    # -- registration --------------------------------------------------------------------
    def add_route(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: Sequence[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> Route:
        route = Route(path, endpoint, methods=methods, **options)
        self.routes.append(route)
        self._changed()
        return route

    def _register(
        self,
        verb: str,
        path: str,
        endpoint: Endpoint | None,
        methods: Sequence[str],
        options: RouteOptions,
    ) -> Any:
        if methods is REQUIRED:  # route() without methods=
            if callable(path):
                self._no_path("route", path, ', methods=["GET"]')
            raise TypeError(f'{self._label}.route() needs methods=, like methods=["GET"]')
        if callable(path):  # ``@app.get`` without ``("/path")``: the function came as the path
            self._no_path(verb, path, "")
        if endpoint is not None:
            self.add_route(path, endpoint, methods=methods, **options)
            return endpoint

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_route(path, func, methods=methods, **options)
            return func

        return decorator

    def _no_path(self, verb: str, func: Any, rest: str) -> None:
        call = f"@{self._label}.{verb}"
        raise TypeError(
            f'{call} needs the path in parentheses: write {call}("/path"{rest}) above '
            f"{getattr(func, '__name__', 'the handler')}, not {call}"
        )

    def resource(
        self,
        path: str,
        controller: type,
        *,
        name: str | None = None,
        param: str = "{id}",
        only: Sequence[str] | None = None,
        except_: Sequence[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> list[Route]:
        """Map a controller's ``index store show update destroy`` actions (those it defines).

        ``GET path`` -> index, ``POST path`` -> store, ``GET path/{id}`` -> show, ``PUT`` and
        ``PATCH path/{id}`` -> update, ``DELETE path/{id}`` -> destroy, named ``notes.index``
        and so on after the last static segment of ``path`` (or ``name``). ``param`` is the
        member segment (``"{id:int}"``, ``"<uuid:id>"``); ``only``/``except_`` pick actions;
        other options apply to every route. Returns the routes, in that order.
        """
        from orionis.resources import resource_routes  # it imports Route from here: a cycle

        label = f"{self._label}.resource({path!r})"
        routes = resource_routes(label, path, controller, name, param, only, except_, options)
        self.routes.extend(routes)  # all or nothing: every route was checked first
        self._changed()
        return routes

    def include_router(self, router: Router, *, prefix: str = "") -> None:
        """Serve ``router``'s routes (now and later) under ``prefix`` + its own prefix."""
        if not isinstance(router, Router):
            raise TypeError(f"include_router() takes a Router, got {router!r}")
        if router._contains(self):
            raise ValueError("a router cannot include itself, directly or through another")
        self.includes.append((router, _check_prefix(prefix)))
        router._listeners.append(self._changed)
        self._changed()

    def walk(self, parent: RouterSettings | None = None) -> Iterator[tuple[Route, RouterSettings]]:
        """Every route with what its routers add: prefix, middleware, dependencies, tags."""
        mount = RouterSettings(
            (parent.prefix if parent else "") + self.prefix,
            [*(parent.middleware if parent else []), *self.middleware],
            [*(parent.dependencies if parent else []), *self.dependencies],
            [*(parent.tags if parent else []), *self.tags],
        )
        for route in self.routes:
            yield route, mount
        for router, extra in self.includes:
            inner = RouterSettings(
                mount.prefix + extra, mount.middleware, mount.dependencies, mount.tags
            )
            yield from router.walk(inner)


@dataclass(slots=True)
class RouterSettings:
    """What the routers around a route contribute (outermost first)."""

    prefix: str
    middleware: list[Any]
    dependencies: list[Depends]
    tags: list[str]


@dataclass(slots=True)
class ServedRoute:
    """A route as served: what the matcher returns for a method."""

    route: Route | None
    path: str
    call: Callable[[Request], Awaitable[Response]]
    max_body_size: int | None
    handler: Handler | None = None
    tags: list[str] | None = None
    body_timeout: float | None = None


class EndpointLayer:
    """The innermost layer: read the body if limited, call the handler, convert the result.
    Its errors are answered here, through ``errors`` (the application's boundary).

    This one solves the handler's inputs (``Handler.run``); ``endpoint_for`` picks, once per
    route when the table is built, a subclass with a cheaper call where the handler allows:
    no per-request checks of how to call it.
    """

    __slots__ = ("errors", "func", "handler", "render")

    def __init__(self, errors: ErrorBoundary, handler: Handler) -> None:
        self.errors = errors
        self.handler = handler
        self.func = handler.func
        self.render = handler.response_for  # to_response itself when there is nothing to apply

    async def call(self, request: Request) -> Any:
        return await self.handler.run(request)

    async def __call__(self, request: Request) -> Response:
        try:
            if request.max_body_size is not None and request.has_body():
                await request.body()  # 413 / 400 here, before the handler can run
            response = self.render(await self.call(request))
            if response.kind == _FILE:  # prepared here, so middleware sees 206/304/404
                response = await self.errors.prepare_file(request, response)
            return response
        except Exception as exc:
            request._error = exc  # thrown into generator dependencies at cleanup
            # Answered here, even with a logged 500, so every middleware sees the answer as
            # a normal response (CORS and security headers reach error pages too).
            return await self.errors.answer(request, exc)
        except BaseException as exc:  # CancelledError, KeyboardInterrupt: cleanups see it
            request._error = exc
            raise


class _PlainEndpoint(EndpointLayer):
    """An async function of path values and the request: called with them, no solving."""

    __slots__ = ()

    async def call(self, request: Request) -> Any:
        return await self.func(**self.handler.kwargs(request))


class _BareEndpoint(EndpointLayer):
    """An async function without parameters: called as it is."""

    __slots__ = ()

    async def call(self, request: Request) -> Any:
        return await self.func()

    async def __call__(self, request: Request) -> Response:
        # EndpointLayer.__call__ with the call inlined: one coroutine less per request.
        try:
            if request.max_body_size is not None and request.has_body():
                await request.body()
            response = self.render(await self.func())
            if response.kind == _FILE:
                response = await self.errors.prepare_file(request, response)
            return response
        except Exception as exc:
            request._error = exc
            return await self.errors.answer(request, exc)
        except BaseException as exc:
            request._error = exc
            raise


def endpoint_for(errors: ErrorBoundary, handler: Handler) -> EndpointLayer:
    """The cheapest endpoint layer that calls ``handler`` correctly (chosen once per route)."""
    if handler.awaited_directly:
        return (_PlainEndpoint if handler.plain_arguments else _BareEndpoint)(errors, handler)
    return EndpointLayer(errors, handler)


class _Refusal:
    """A 404, 405 or 501 answer, through the application's exception handlers."""

    __slots__ = ("errors", "exc")

    def __init__(self, errors: ErrorBoundary, exc: HTTPException) -> None:
        self.errors = errors
        self.exc = exc

    async def __call__(self, request: Request) -> Response:
        return await self.errors.refuse(request, self.exc)


class _AutoOptions:
    """The automatic ``OPTIONS`` answer for a path, or for ``OPTIONS *`` (the whole server)."""

    __slots__ = ("allow",)

    def __init__(self, allow: str) -> None:
        self.allow = allow

    async def __call__(self, request: Request) -> Response:
        return Response(status_code=204, headers=[("allow", self.allow)])


class RouteTable:
    """Everything routing needs per request, built once from a router tree."""

    def __init__(self, app: Application, router: Router) -> None:
        # What the layers built here need from the application, given now (they never
        # call back into it): the error boundary, the process pool, the overrides.
        self.errors = errors = app.errors
        self.root_path = app.root_path
        self.matcher = _matcher.Matcher()
        self.names: dict[str, tuple[Route, list[Segment]]] = {}
        self.entries: list[ServedRoute] = []
        leaves: dict[tuple[Any, ...], dict[str, ServedRoute]] = {}
        shapes: dict[tuple[Any, ...], dict[str, ServedRoute]] = {}  # parameter names left out
        leaf_router_mw: dict[tuple[Any, ...], list[Any]] = {}
        instances: dict[int, Any] = {}

        def build(spec: Any) -> Any:
            # One instance per middleware object/class as listed on a router or route.
            key = id(spec)
            if key not in instances:
                instances[key] = (spec, instantiate(spec))
            return instances[key][1]

        self.uses_process_pool = False
        for route, mount in router.walk():
            full_path = mount.prefix + route.path
            router_mw = mount.middleware
            segments = parse_path(full_path)
            params = {s[0]: s[1] for s in segments if isinstance(s, tuple)}
            handler = Handler(
                route.endpoint,
                params,
                dependencies=[*mount.dependencies, *route.dependencies],
                response_model=route.response_model,
                status_code=route.status_code,
                executor=route.executor,
                processes=app.processes,
                overrides=app.overrides,
            )
            self.uses_process_pool |= route.executor == "process"
            mw = [build(m) for m in router_mw] + [instantiate(m) for m in route.middleware]
            if route.rate_limit is not None:  # innermost: counts only requests that got here
                mw.append(_rate_limit.route_layer(route.rate_limit, full_path, route.methods))
            limit = app.max_body_size if route.max_body_size is INHERIT else route.max_body_size
            entry = ServedRoute(
                route,
                full_path,
                build_chain(mw, endpoint_for(errors, handler)),
                limit,
                handler,
                [*mount.tags, *route.tags],
                app.body_timeout if route.body_timeout is INHERIT else route.body_timeout,
            )
            self.entries.append(entry)
            # Leaves are keyed with parameter names, so /u/{id} GET and /u/{uid} POST are
            # separate branches each handler can trust; a method registered twice for the
            # same shape would never be reached, so that is refused below.
            key = tuple(segments)
            same_shape = shapes.setdefault(shape(key), {})
            methods = leaves.setdefault(key, {})
            leaf_router_mw.setdefault(key, [build(m) for m in router_mw])
            for method in route.methods:
                if method in same_shape:
                    other = same_shape[method]
                    raise ValueError(
                        f"{method} {full_path} is registered twice "
                        f"({other.route.name if other.route else '?'} at {other.path} "
                        f"and {route.name})"
                    )
                same_shape[method] = methods[method] = entry
            self._name(route, segments)

        for methods in leaves.values():
            if "GET" in methods and "HEAD" not in methods:
                methods["HEAD"] = methods["GET"]
        for key, methods in leaves.items():
            if "OPTIONS" not in methods:
                # Leaves of one shape match the same paths: Allow lists all their methods,
                # HEAD included wherever GET is (added to the leaves above).
                allowed = {*shapes[shape(key)], "OPTIONS"}
                if "GET" in allowed:
                    allowed.add("HEAD")
                call = build_chain(leaf_router_mw[key], _AutoOptions(", ".join(sorted(allowed))))
                template = next(iter(methods.values())).path  # the path, for route_template
                methods["OPTIONS"] = ServedRoute(
                    None, template, call, app.max_body_size, body_timeout=app.body_timeout
                )
            self.matcher.add(list(key), methods)
        # Methods this server recognises: a method outside them is 501, not 405 (RFC 9110
        # 15.6.2). ``OPTIONS *`` lists what the application serves anywhere.
        served = {method for methods in leaves.values() for method in methods}
        self.methods = HTTP_METHODS | served
        self.server_options = _AutoOptions(", ".join(sorted(served | {"OPTIONS"})))

    def _name(self, route: Route, segments: list[Segment]) -> None:
        # Explicit names must be unique and beat implicit ones (function names), which may
        # repeat: then the first registered wins, as in Starlette.
        existing = self.names.get(route.name)
        if existing is None or (route.explicit_name and not existing[0].explicit_name):
            self.names[route.name] = (route, segments)
        elif existing[0].explicit_name and route.explicit_name and existing[0] is not route:
            raise ValueError(f"route name {route.name!r} is used twice")

    def url_path_for(self, name: str, /, **params: Any) -> str:
        """The route's path after ``Application(root_path=...)``, the proxy's prefix."""
        try:
            _route, segments = self.names[name]
        except KeyError:
            raise NoMatchFound(f"no route named {name!r}") from None
        expected = {s[0] for s in segments if isinstance(s, tuple)}
        if set(params) != expected:
            raise NoMatchFound(
                f"route {name!r} takes parameters {sorted(expected)}, got {sorted(params)}"
            )
        parts = [
            s if isinstance(s, str) else format_param(s[0], s[1], params[s[0]]) for s in segments
        ]
        return self.root_path + "/" + "/".join(parts)

    def resolve(self, request: Request) -> Callable[[Request], Awaitable[Response]]:
        """Match the request; return what answers it: the route's chain, or a 404/405.

        Synchronous, so the common request pays no coroutine for routing.
        """
        found = self.matcher.match(request.path, request.method)
        if found is None:
            return self._unmatched(request)
        entry, params = found
        if entry is None:
            if request.method not in self.methods:
                return self._not_implemented(request)
            allow = ", ".join(sorted(params))
            detail = f"{request.method} is not allowed on {request.path}; allowed: {allow}."
            return _Refusal(self.errors, HTTPException(405, detail, headers={"allow": allow}))
        request.path_params = params
        request.route = entry.route
        request.route_template = entry.path
        request.max_body_size = entry.max_body_size
        request.body_timeout = entry.body_timeout
        return entry.call

    def _unmatched(self, request: Request) -> Callable[[Request], Awaitable[Response]]:
        """No route has this path: 501 for a method nobody serves, ``OPTIONS *``, or 404."""
        method = request.method
        if method not in self.methods:
            return self._not_implemented(request)
        if request.path == "*":  # the asterisk-form target (RFC 9112 3.2.4)
            if method == "OPTIONS":
                return self.server_options
            detail = f"The target '*' is only valid with OPTIONS, not {method}; request a path."
            return _Refusal(self.errors, HTTPException(400, detail))
        return _Refusal(self.errors, HTTPException(404, f"No route matches {request.path}."))

    def _not_implemented(self, request: Request) -> _Refusal:
        method = request.method
        shown = method if len(method) <= 32 else method[:32] + "..."
        detail = (
            f"The method {shown!r} is not implemented by this server "
            f"(it serves {self.server_options.allow})."
        )
        return _Refusal(self.errors, HTTPException(501, detail))
