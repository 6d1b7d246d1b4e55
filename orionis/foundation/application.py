"""The application object: one instance, served over RSGI and ASGI alike.

``Application`` holds what users configure (routes, middleware, exception handlers, lifespan
callbacks, state) and the protocol-neutral pipeline:

    adapter -> dispatch(request) -> global middleware -> route table -> router/route
    middleware -> endpoint (body limit, handler, return conversion) -> back out

``dispatch`` never raises and always returns a response whose status and headers are safe to
hand to any server. The protocol entry points (``__call__`` for ASGI, ``__rsgi__`` and
friends for Granian) only forward to ``orionis.adapters``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import Unpack

from orionis import _hot
from orionis.concurrency import run_in_threadpool
from orionis.datastructures import State
from orionis.dependencies import Overrides
from orionis.disconnect import check_cancel_on_disconnect
from orionis.errors import ErrorBoundary, check_key
from orionis.exceptions import LifespanError
from orionis.executors import check_process_executor
from orionis.forms import FormLimits
from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime
from orionis.foundation.lifespan import LifespanCallback, LifespanHooks
from orionis.handlers import Endpoint
from orionis.middleware.base import build_chain, instantiate
from orionis.openapi import SWAGGER_CSS, SWAGGER_JS, ApiDocs, openapi_document
from orionis.process_pool import ProcessPool
from orionis.requests import BodyWait, check_body_timeout, check_max_body_size
from orionis.responses import Response, ResponseKind, head_headers, with_content_length
from orionis.route_verbs import RouteOptions, RouteVerbs
from orionis.routing import Route, Router, RouteTable
from orionis.websocket_routing import (
    WebSocketApplication,
    WebSocketTable,
    check_http_routes,
    check_max_message_size,
    check_origins,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from orionis.adapters.asgi import ASGIAdapter
    from orionis.adapters.rsgi import RSGIAdapter
    from orionis.health import Checks
    from orionis.requests import Request

__all__ = ["Application"]

logger = logging.getLogger("orionis")

_check_response = _hot.headers.check_response

F = TypeVar("F", bound=Callable[..., Any])

_BODY, _STREAM, _FILE = ResponseKind.BODY, ResponseKind.STREAM, ResponseKind.FILE


def _check_root_path(root_path: str) -> str:
    if not isinstance(root_path, str) or (root_path and not root_path.startswith("/")):
        raise ValueError(f"root_path must be '' or a path such as '/api', not {root_path!r}")
    if any(c in root_path for c in "?#%\\") or not root_path.isprintable() or " " in root_path:
        raise ValueError(
            f"root_path {root_path!r} must be a plain path (no query, fragment, escapes or "
            "spaces), such as '/api'"
        )
    return root_path.rstrip("/")


class Application(RouteVerbs, WebSocketApplication):
    """An Orionis application.

    ``title`` and ``version`` describe the API. ``debug=True`` puts the exception and
    traceback in 500 answers (never in production). ``max_body_size`` caps request bodies in
    bytes (``None``: no cap); routes can override it. ``body_timeout`` is how many seconds a
    request body may go without progress before the answer is 408 (``None``: no limit; routes
    can override it): a stalled client must not hold a worker slot or a shutdown.
    ``form_limits`` bounds form parsing.
    ``process_workers`` sizes the pool for ``executor="process"`` routes (default: CPUs);
    ``process_executor`` (any ``concurrent.futures.Executor``, e.g. a Dask client's
    ``get_executor()``) runs them instead, and is never shut down by Orionis.
    The OpenAPI document is served at ``openapi_url`` and Swagger UI at ``docs_url`` (``None``
    switches either off), from a pinned CDN release with integrity hashes; ``docs_assets``
    (a directory holding ``swagger-ui-bundle.js`` and ``swagger-ui.css``) serves them from
    under ``docs_url`` instead, to work offline; ``docs_js_url``/``docs_css_url`` point
    elsewhere. ``root_path`` is the prefix a proxy mounts the app under (ASGI's per-request
    ``root_path`` wins): ``url_path_for``, ``/docs`` and the OpenAPI ``servers`` include it,
    and a request path starting with it is routed without it, on both protocols.
    ``websocket_max_message_size`` (bytes, ``None``: no
    limit) closes a WebSocket with 1009 on a larger incoming message, and
    ``websocket_allowed_origins`` refuses handshakes from browsers on other origins (403);
    routes can override both. ``cancel_on_disconnect`` cancels a handler whose client left
    before the answer was ready (generator dependencies see ``CancelledError``, background
    tasks are dropped); a route's ``cancel_on_disconnect=False`` runs to completion.
    """

    def __init__(
        self,
        *,
        title: str = "Orionis",
        version: str = "0.1.0",
        description: str | None = None,
        debug: bool = False,
        max_body_size: int | None = 1_048_576,
        body_timeout: float | None = 30.0,
        form_limits: FormLimits | None = None,
        process_workers: int | None = None,
        process_executor: Executor | None = None,
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        docs_js_url: str = SWAGGER_JS,
        docs_css_url: str = SWAGGER_CSS,
        docs_assets: str | os.PathLike[str] | None = None,
        root_path: str = "",
        websocket_max_message_size: int | None = 1_048_576,
        websocket_allowed_origins: Sequence[str] | None = None,
        cancel_on_disconnect: bool = True,
    ) -> None:
        self.root_path = _check_root_path(root_path)
        self.errors = ErrorBoundary(debug)
        check_max_message_size(websocket_max_message_size, "Application")
        self.websocket_max_message_size = websocket_max_message_size
        self.websocket_allowed_origins = check_origins(websocket_allowed_origins, "Application")
        self._websocket_table: tuple[RouteTable, WebSocketTable] | None = None
        # global middleware's websocket_session hooks (HTTP middleware skips WebSockets)
        self.websocket_session_watchers: list[Any] = []
        self.title = title
        self.version = version
        self.description = description
        self.max_body_size = check_max_body_size(max_body_size, "Application")
        self.body_timeout = check_body_timeout(body_timeout, "Application")
        # Cancel a handler whose client left (orionis/disconnect.py); routes may override.
        self.cancel_on_disconnect = check_cancel_on_disconnect(cancel_on_disconnect, "Application")
        # Body reads in progress (their timeouts), so shutdown can end them at once.
        self._body_waits: set[BodyWait] = set()
        self.form_limits = form_limits or FormLimits()
        external = check_process_executor(process_executor, process_workers)
        self.processes = ProcessPool(process_workers, external)
        self.overrides = Overrides()
        self.dependency_overrides = self.overrides.mapping
        self.state = State()
        self.router = Router()
        self.router._label = "app"  # messages say @app.get(...), as users wrote it
        self.router._listeners.append(self._routes_changed)
        self._hooks = LifespanHooks()
        self._middleware: list[tuple[Any, dict[str, Any]]] = []
        self._table: RouteTable | None = None
        self._layers: list[Any] | None = None  # global middleware, built once before serving
        self._chain: Callable[[Request], Any] | None = None  # the layers around routing
        # Where the lifespan is ("idle", "starting", "serving", "stopping", "stopped"): the
        # one source of truth for lifespan_phase (readiness), running and _stopping (body
        # reads). _runtime is the runtime the last successful startup ran for.
        self._phase = "idle"
        self._runtime: Runtime | None = None
        self._lifespan_lock: asyncio.Lock | None = None

        self.openapi_url = openapi_url
        if openapi_url is not None:
            docs = ApiDocs(self, openapi_url, docs_url, docs_js_url, docs_css_url, docs_assets)
            docs.register(self.router)

    # The adapters are imported and built on first use, once per process: an app served
    # over ASGI never imports the RSGI adapter (nor granian), and the other way round.
    @functools.cached_property
    def _asgi(self) -> ASGIAdapter:
        from orionis.adapters.asgi import ASGIAdapter

        return ASGIAdapter(self)

    @functools.cached_property
    def _rsgi(self) -> RSGIAdapter:
        from orionis.adapters.rsgi import RSGIAdapter

        return RSGIAdapter(self)

    @functools.cached_property
    def __rsgi__(self) -> Callable[[Any, Any], Any]:
        """RSGI: Granian looks this up once, when it loads the app; it gets the adapter's own
        ``__call__``, no coroutine between (cached on the instance after the first lookup)."""
        return self._rsgi.__call__

    @property
    def debug(self) -> bool:
        """Exception and traceback in 500 answers (never in production)."""
        return self.errors.debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self.errors.debug = value

    @property
    def process_workers(self) -> int | None:
        return self.processes.workers

    @process_workers.setter
    def process_workers(self, value: int | None) -> None:
        self.processes.workers = value

    @property
    def process_executor(self) -> Executor | None:
        """The user's executor for ``executor="process"`` routes (``None``: the local pool)."""
        return self.processes.external

    @process_executor.setter
    def process_executor(self, value: Executor | None) -> None:
        self.processes.external = check_process_executor(value)

    @property
    def process_pool(self) -> ProcessPoolExecutor | None:
        """The pool for ``executor="process"`` routes, while it runs."""
        return self.processes.executor

    # -- lifespan ------------------------------------------------------------------------
    def on(
        self, event: Lifespan, *callbacks: LifespanCallback, runtime: Runtime | None = None
    ) -> Application:
        """Run ``callbacks`` at ``event``, in order, once per worker. Returns the app."""
        self._hooks.add(event, callbacks, runtime)
        return self

    async def startup(self, runtime: Runtime = Runtime.HTTP) -> None:
        """Prepare routes and middleware, then run startup callbacks for ``runtime``.

        Raises ``LifespanError`` (already logged) if anything fails: the caller must not serve.
        """
        async with self._lock():
            await self._startup(runtime)

    @property
    def running(self) -> Runtime | None:
        """The runtime the application was started for, or None."""
        return self._runtime if self._phase == "serving" or self._phase == "stopping" else None

    @property
    def lifespan_phase(self) -> str:
        """``"idle"`` (no lifespan ran), ``"starting"``, ``"serving"``, ``"stopping"`` (from
        the moment ``shutdown()`` is called) or ``"stopped"`` (also after a failed startup):
        readiness probes fail unless serving (or idle, as under ``asginl``)."""
        return self._phase

    @property
    def _stopping(self) -> bool:
        """Whether shutdown has begun (or the app stopped): body reads then end at once (503)."""
        return self._phase == "stopping" or self._phase == "stopped"

    def add_health_route(
        self, path: str = "/healthz", *, checks: Checks = (), timeout: float = 5.0
    ) -> None:
        """Liveness at ``path`` and readiness at ``path + "/ready"``; see ``orionis.health``."""
        from orionis.health import add_health_route

        add_health_route(self, path, checks=checks, timeout=timeout)

    def _lock(self) -> asyncio.Lock:
        # Created lazily: it must belong to the loop that runs the lifespan.
        if self._lifespan_lock is None:
            self._lifespan_lock = asyncio.Lock()
        return self._lifespan_lock

    async def _startup(self, runtime: Runtime) -> None:
        running = self.running
        if running is not None:
            raise RuntimeError(f"the application is already started ({running.value})")
        self._runtime = None
        self._phase = "starting"
        if runtime is Runtime.HTTP:
            try:
                self._prepare()
            except Exception as exc:
                logger.error("the application cannot serve: %s", exc, exc_info=True)
                raise LifespanError(f"invalid application setup: {exc}") from exc
            if self.route_table.uses_process_pool:
                self.processes.start()
        try:
            await self._hooks.startup(self, runtime)
        except BaseException:
            self._phase = "stopped"
            self._close_process_pool()
            raise
        self._runtime = runtime
        if self._phase == "starting":  # else shutdown() was called meanwhile: it runs next
            self._phase = "serving"

    async def shutdown(self, runtime: Runtime = Runtime.HTTP) -> list[BaseException]:
        """Run every shutdown callback for ``runtime``; return the errors (already logged).

        Safe to call twice or concurrently: the second call waits for the first and does
        nothing more. Request bodies still being waited for are ended first (503 with
        ``Connection: close``): a stalled upload never holds up a shutdown.
        """
        self._begin_shutdown()
        async with self._lock():
            return await self._shutdown(runtime)

    async def _shutdown(self, runtime: Runtime) -> list[BaseException]:
        if self.running is None:  # nothing started, or its startup failed: "stopped"
            return []
        try:
            return await self._hooks.shutdown(self, runtime)
        finally:
            self._phase = "stopped"
            if self.process_pool is not None:
                await run_in_threadpool(self._close_process_pool)

    def _begin_shutdown(self) -> None:
        """Readiness fails from here on, and body reads still waiting (or starting later)
        end with a 503; the callbacks run once the lock is free (after a startup)."""
        if self._phase == "idle":
            self._phase = "stopped"  # no lifespan ran: no callbacks to run
        elif self._phase == "starting" or self._phase == "serving":
            self._phase = "stopping"
        for wait in list(self._body_waits):
            wait.expire()  # on the next loop pass: the read answers 503

    def _close_process_pool(self) -> None:
        self.processes.close()

    @asynccontextmanager
    async def lifespan(self, runtime: Runtime = Runtime.CLI) -> AsyncIterator[Application]:
        """``async with app.lifespan(Runtime.CLI):`` runs startup/shutdown around a task."""
        await self.startup(runtime)
        try:
            yield self
        finally:
            await self.shutdown(runtime)

    # -- routes (route() and the verbs: RouteVerbs) --------------------------------------
    def _register(
        self,
        verb: str,
        path: str,
        endpoint: Endpoint | None,
        methods: Sequence[str],
        options: RouteOptions,
    ) -> Any:
        return self.router._register(verb, path, endpoint, methods, options)

    def add_route(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: Sequence[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> Route:
        return self.router.add_route(path, endpoint, methods=methods, **options)

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
        """``Router.resource`` on the application's own router."""
        return self.router.resource(
            path, controller, name=name, param=param, only=only, except_=except_, **options
        )

    def include_router(self, router: Router, *, prefix: str = "") -> None:
        self.router.include_router(router, prefix=prefix)

    def mount_static(
        self,
        path: str,
        directory: str | os.PathLike[str],
        html: bool = False,
        cache_control: str | None = None,
        follow_symlinks: bool = False,
    ) -> Any:
        """Serve the files under ``directory`` at ``path`` (see ``orionis.staticfiles``)."""
        from orionis.staticfiles import StaticFiles

        files = StaticFiles(
            directory, html=html, cache_control=cache_control, follow_symlinks=follow_symlinks
        )
        return files.mount(self.router, path)

    def url_path_for(self, name: str, /, **params: Any) -> str:
        """The path of the route called ``name``, after ``root_path``; raises
        ``NoMatchFound`` if none fits."""
        return self.route_table.url_path_for(name, **params)

    @property
    def route_table(self) -> RouteTable:
        """The ``RouteTable`` compiled from the routers (built on first use, and again after
        any route change)."""
        table = self._table
        if table is None:
            table = self._table = RouteTable(self, self.router)
        return table


    def _routes_changed(self) -> None:
        self._table = None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document for the current routes."""
        return openapi_document(self, self.route_table)

    # -- middleware and errors -----------------------------------------------------------
    def add_middleware(self, middleware_class: type, **options: Any) -> None:
        """Add global middleware; the first added runs outermost. Built once, before serving."""
        if self._layers is not None:
            raise RuntimeError("middleware must be added before the application starts serving")
        if not isinstance(middleware_class, type):
            raise TypeError(
                f"add_middleware() takes a middleware class and its options, got "
                f"{middleware_class!r}"
            )
        self._middleware.append((middleware_class, options))

    def exception_handler(self, key: type[Exception] | int) -> Callable[[F], F]:
        """Decorate ``handler(request, exc)`` to answer an exception type or HTTP status.

        An int key handles ``HTTPException`` with that status, including the built-in 404
        and 405. The handler returns anything a route handler may return; a sync handler
        runs in the thread pool. See ``orionis.errors``.
        """
        check_key(key)

        def decorator(handler: F) -> F:
            self.errors.add(key, handler)
            return handler

        return decorator

    # -- the pipeline --------------------------------------------------------------------
    def _prepare(self) -> None:
        """Compile routes and build the global middleware (once; routes again after changes)."""
        _ = self.route_table
        check_http_routes(self.route_table)
        _ = self.websocket_table
        if self._layers is None:
            self._layers = [instantiate(cls, options) for cls, options in self._middleware]
            self._chain = build_chain(self._layers, self._route) if self._layers else None
            self.websocket_session_watchers[:] = [
                layer.websocket_session
                for layer in self._layers
                if getattr(layer, "websocket_session", None) is not None
            ]

    async def _route(self, request: Request) -> Response:
        """Routing as the innermost layer of global middleware."""
        return await (self._table or self.route_table).resolve(request)(request)

    async def dispatch(self, request: Request) -> Response:
        """Answer ``request``. Never raises; the response is valid for any server."""
        try:
            if self._layers is None:
                self._prepare()
            chain = self._chain
            if chain is not None:
                response = await chain(request)
            else:  # no global middleware: route without a coroutine in between
                response = await (self._table or self.route_table).resolve(request)(request)
            kind = getattr(response, "kind", None)  # middleware may return anything
            if kind == _FILE:  # a FileResponse from middleware
                response = await self.errors.prepare_file(request, response)
                kind = response.kind
        except Exception as exc:  # raised by middleware: endpoints answer their own errors
            response = await self.errors.answer(request, exc)
            kind = response.kind
        except BaseException as exc:  # cancellation must propagate; cleanups still see it
            if request._error is None:
                request._error = exc
            raise
        if kind == _BODY and request.method != "HEAD" and isinstance(response, Response):
            # The common answer, checked inline (as _checked would: a body's length is framed
            # by the adapters).
            try:
                _check_response(response, False)
            except (ValueError, TypeError) as exc:
                return self._refused(request, f"invalid response: {exc}", False)
            return response
        checked = self._checked(request, response, kind)
        if checked is not response and kind == _STREAM:
            await response.aclose()  # a stream replaced by a 500 will never be sent
        return checked

    def _checked(self, request: Request, response: Any, kind: int | None) -> Response:
        head = request.method == "HEAD"
        if kind is None or not isinstance(response, Response):
            reason = f"the pipeline returned {type(response).__name__}, not a Response"
            return self._refused(request, reason, head)
        try:
            if head:
                _check_response(response, True)
                if kind == _BODY:
                    route = request.route  # a GET route answering HEAD: announce its length
                    automatic = route is not None and "HEAD" not in route.methods
                    response.raw_headers = head_headers(
                        response.status_code, response.raw_headers, response.body, automatic
                    )
            else:
                # Streams and files may declare their length; in-memory bodies are framed
                # by the adapters.
                _check_response(response, kind != _BODY)
        except (ValueError, TypeError) as exc:
            return self._refused(request, f"invalid response: {exc}", head)
        return response

    def _refused(self, request: Request, reason: str, head: bool) -> Response:
        response = self.errors.server_error(request, None, reason)
        if head:  # framed like any HEAD answer: the length GET would get
            response.raw_headers = with_content_length(500, response.raw_headers, response.body)
        return response

    # -- protocol entry points (see orionis.adapters) -----------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI 3."""
        await self._asgi(scope, receive, send)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._rsgi.init(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._rsgi.close(loop)

    def __repr__(self) -> str:
        return f"<Application {self.title!r}>"
