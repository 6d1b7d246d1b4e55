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
import errno
import inspect
import logging
import multiprocessing
import os
import traceback
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import Unpack

from orionis import _hot
from orionis.concurrency import run_in_threadpool, run_io
from orionis.datastructures import State
from orionis.dependencies import Plan
from orionis.disconnect import check_cancel_on_disconnect
from orionis.exceptions import HTTPException, LifespanError, problem
from orionis.forms import FormLimits
from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime
from orionis.foundation.lifespan import LifespanCallback, LifespanHooks
from orionis.handlers import Endpoint, to_response
from orionis.middleware.base import build_chain, instantiate
from orionis.openapi import SWAGGER_CSS, SWAGGER_JS, ApiDocs, openapi_document
from orionis.requests import BodyWait, check_body_timeout
from orionis.responses import (
    KIND_BODY,
    KIND_FILE,
    KIND_STREAM,
    FileResponse,
    Response,
    head_headers,
    with_content_length,
)
from orionis.routing import _REQUIRED, Route, RouteOptions, Router, RouteTable
from orionis.websocket_routing import (
    WebSocketApplication,
    WebSocketTable,
    check_http_routes,
    check_max_message_size,
    check_origins,
)

if TYPE_CHECKING:
    from orionis.health import Checks
    from orionis.requests import Request

__all__ = ["Application"]

logger = logging.getLogger("orionis")

_check_response = _hot.headers.check_response

F = TypeVar("F", bound=Callable[..., Any])

ExceptionHandler = Callable[["Request", Exception], Any]


def _check_root_path(root_path: str) -> str:
    if not isinstance(root_path, str) or (root_path and not root_path.startswith("/")):
        raise ValueError(f"root_path must be '' or a path such as '/api', not {root_path!r}")
    if any(c in root_path for c in "?#%\\") or not root_path.isprintable() or " " in root_path:
        raise ValueError(
            f"root_path {root_path!r} must be a plain path (no query, fragment, escapes or "
            "spaces), such as '/api'"
        )
    return root_path.rstrip("/")


def _check_exception_handler(handler: Any, key: Any) -> None:
    """Refuse, at registration, a handler that cannot be called as ``handler(request, exc)``."""
    shown = getattr(key, "__name__", repr(key))
    if not callable(handler):
        raise TypeError(
            f"@app.exception_handler({shown}) decorates a function handler(request, exc), "
            f"got {handler!r}"
        )
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    try:
        signature.bind(None, None)
    except TypeError:
        name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
        raise TypeError(
            f"exception handler {name}{signature} for {shown} must accept (request, exc), "
            "like: async def handle(request, exc): ..."
        ) from None


class ExceptionHandlerError(Exception):
    """An exception handler raised; its own exception is the ``__cause__``."""


class Application(WebSocketApplication):
    """An Orionis application.

    ``title`` and ``version`` describe the API. ``debug=True`` puts the exception and
    traceback in 500 answers (never in production). ``max_body_size`` caps request bodies in
    bytes (``None``: no cap); routes can override it. ``body_timeout`` is how many seconds a
    request body may go without progress before the answer is 408 (``None``: no limit; routes
    can override it): a stalled client must not hold a worker slot or a shutdown.
    ``form_limits`` bounds form parsing.
    ``process_workers`` sizes the pool for ``executor="process"`` routes (default: CPUs).
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
        if max_body_size is not None and (not isinstance(max_body_size, int) or max_body_size < 0):
            raise ValueError("max_body_size must be a non-negative int (bytes) or None")
        check_max_message_size(websocket_max_message_size, "Application")
        self.websocket_max_message_size = websocket_max_message_size
        self.websocket_allowed_origins = check_origins(websocket_allowed_origins, "Application")
        self._websocket_table: tuple[RouteTable, WebSocketTable] | None = None
        self.title = title
        self.version = version
        self.description = description
        self.debug = debug
        self.max_body_size = max_body_size
        self.body_timeout = check_body_timeout(body_timeout, "Application")
        # Cancel a handler whose client left (orionis/disconnect.py); routes may override.
        self.cancel_on_disconnect = check_cancel_on_disconnect(cancel_on_disconnect, "Application")
        # Body reads in progress (their timeouts), so shutdown can end them at once.
        self._body_waits: set[BodyWait] = set()
        self._stopping = False
        self.form_limits = form_limits or FormLimits()
        self.process_workers = process_workers
        self.process_pool: ProcessPoolExecutor | None = None
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self._override_plans: dict[tuple[Any, tuple[tuple[str, int], ...]], Plan] = {}
        self.state = State()
        self.router = Router()
        self.router._label = "app"  # messages say @app.get(...), as users wrote it
        self.router._listeners.append(self._routes_changed)
        self._hooks = LifespanHooks()
        self._middleware: list[tuple[Any, dict[str, Any]]] = []
        self._exception_handlers: dict[Any, ExceptionHandler] = {}
        self._table: RouteTable | None = None
        self._layers: list[Any] | None = None  # global middleware, built once before serving
        self._chain: Callable[[Request], Any] | None = None  # the layers around routing
        self._running: Runtime | None = None
        self._lifespan_lock: asyncio.Lock | None = None
        self._phase = "idle"  # lifespan_phase: what readiness probes report (orionis.health)

        self.openapi_url = openapi_url
        if openapi_url is not None:
            docs = ApiDocs(self, openapi_url, docs_url, docs_js_url, docs_css_url, docs_assets)
            docs.register(self.router)

        from orionis.adapters.asgi import ASGIAdapter
        from orionis.adapters.rsgi import RSGIAdapter

        self._asgi = ASGIAdapter(self)
        self._rsgi = RSGIAdapter(self)
        # Granian looks __rsgi__ up on the instance: hand it the adapter itself, one
        # coroutine less per request than the delegating method below.
        self.__rsgi__ = self._rsgi.__call__  # type: ignore[method-assign]

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
        return self._running

    @property
    def lifespan_phase(self) -> str:
        """``"idle"`` (no lifespan ran), ``"starting"``, ``"serving"``, ``"stopping"`` or
        ``"stopped"``: readiness probes fail unless serving (or idle, as under ``asginl``)."""
        return self._phase

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
        if self._running is not None:
            raise RuntimeError(f"the application is already started ({self._running.value})")
        self._stopping = False
        self._phase = "starting"
        if runtime is Runtime.HTTP:
            try:
                self._prepare()
            except Exception as exc:
                logger.error("the application cannot serve: %s", exc, exc_info=True)
                raise LifespanError(f"invalid application setup: {exc}") from exc
            if self.routes_table.uses_process_pool and self.process_pool is None:
                self.process_pool = self._new_process_pool()
        try:
            await self._hooks.startup(self, runtime)
        except BaseException:
            self._phase = "stopped"
            self._close_process_pool()
            raise
        self._running = runtime
        self._phase = "serving"

    async def shutdown(self, runtime: Runtime = Runtime.HTTP) -> list[BaseException]:
        """Run every shutdown callback for ``runtime``; return the errors (already logged).

        Safe to call twice or concurrently: the second call waits for the first and does
        nothing more. Request bodies still being waited for are ended first (503 with
        ``Connection: close``): a stalled upload never holds up a shutdown.
        """
        self._end_body_waits()
        async with self._lock():
            return await self._shutdown(runtime)

    async def _shutdown(self, runtime: Runtime) -> list[BaseException]:
        if self._running is None:
            return []
        self._phase = "stopping"
        try:
            return await self._hooks.shutdown(self, runtime)
        finally:
            self._running = None
            self._phase = "stopped"
            if self.process_pool is not None:
                await run_in_threadpool(self._close_process_pool)

    def _end_body_waits(self) -> None:
        self._stopping = True
        for wait in list(self._body_waits):
            wait.expire()  # on the next loop pass: the read answers 503

    def ensure_process_pool(self) -> ProcessPoolExecutor:
        """The process pool, created here if the lifespan did not run (e.g. ``asginl``)."""
        pool = self.process_pool
        if pool is None:
            logger.warning("creating the process pool on first use: the lifespan did not run")
            pool = self.process_pool = self._new_process_pool()
        return pool

    def replace_process_pool(self, broken: ProcessPoolExecutor) -> None:
        """A worker died (the pool is broken for good): start a fresh pool."""
        if self.process_pool is broken:
            logger.error("a process-pool worker died; starting a new pool")
            self.process_pool = self._new_process_pool()
            broken.shutdown(wait=False, cancel_futures=True)

    def _new_process_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server process runs threads (Granian's runtime)
        return ProcessPoolExecutor(
            self.process_workers, mp_context=multiprocessing.get_context("spawn")
        )

    def _close_process_pool(self) -> None:
        pool, self.process_pool = self.process_pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    @asynccontextmanager
    async def lifespan(self, runtime: Runtime = Runtime.CLI) -> AsyncIterator[Application]:
        """``async with app.lifespan(Runtime.CLI):`` runs startup/shutdown around a task."""
        await self.startup(runtime)
        try:
            yield self
        finally:
            await self.shutdown(runtime)

    # -- routes --------------------------------------------------------------------------
    def add_route(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: Sequence[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> Route:
        return self.router.add_route(path, endpoint, methods=methods, **options)

    def route(
        self,
        path: str,
        endpoint: Endpoint | None = None,
        *,
        methods: Sequence[str] = _REQUIRED,
        **options: Unpack[RouteOptions],
    ) -> Any:
        return self.router.route(path, endpoint, methods=methods, **options)

    def get(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.get(path, endpoint, **options)

    def post(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.post(path, endpoint, **options)

    def put(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.put(path, endpoint, **options)

    def patch(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.patch(path, endpoint, **options)

    def delete(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.delete(path, endpoint, **options)

    def options(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.options(path, endpoint, **options)

    def head(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self.router.head(path, endpoint, **options)

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
        return self.routes_table.url_path_for(name, **params)

    @property
    def routes_table(self) -> RouteTable:
        table = self._table
        if table is None:
            table = self._table = RouteTable(self, self.router)
        return table

    def _routes_changed(self) -> None:
        self._table = None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document for the current routes."""
        return openapi_document(self, self.routes_table)

    def override_plan(self, call: Callable[..., Any], path_params: Mapping[str, int]) -> Plan:
        """The plan for a dependency override (built once per override and route shape)."""
        key = (call, tuple(sorted(path_params.items())))
        plan = self._override_plans.get(key)
        if plan is None:
            plan = self._override_plans[key] = Plan(call, path_params)
        return plan

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
        and 405. The handler returns anything a route handler may return.
        """
        if not (
            (isinstance(key, type) and issubclass(key, Exception))
            or (isinstance(key, int) and not isinstance(key, bool))
        ):
            if inspect.isfunction(key):  # ``@app.exception_handler`` without its key
                raise TypeError(
                    "@app.exception_handler needs what it handles: write "
                    f"@app.exception_handler(ValueError) or (404) above {key.__name__}"
                )
            raise TypeError(
                f"exception_handler() takes an exception class or status code, got {key!r}"
            )

        def decorator(handler: F) -> F:
            _check_exception_handler(handler, key)
            self._exception_handlers[key] = handler
            return handler

        return decorator

    def _handler_for(self, exc: Exception) -> ExceptionHandler | None:
        """The registered handler for ``exc``, as Starlette users expect:

        an ``HTTPException`` goes to a handler for its status, else one for its class up to
        ``HTTPException`` (never to a catch-all ``Exception`` handler: 404s stay 404s); any
        other exception goes to the closest handler in its class hierarchy, else to a
        handler for 500.
        """
        handlers = self._exception_handlers
        if not handlers:
            return None
        if isinstance(exc, HTTPException):
            handler = handlers.get(exc.status_code)
            if handler is not None:
                return handler
            for cls in type(exc).__mro__:
                handler = handlers.get(cls)
                if handler is not None or cls is HTTPException:
                    return handler
        for cls in type(exc).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                return handler
        return handlers.get(500)

    async def exception_response(self, request: Request, exc: Exception) -> Response | None:
        """The answer for ``exc`` if a handler (or ``HTTPException`` itself) provides one.

        A handler that raises is reported as ``ExceptionHandlerError``, so nothing calls it
        (or another handler) a second time for its own failure.
        """
        handler = self._handler_for(exc)
        if handler is None:
            return exc.to_response() if isinstance(exc, HTTPException) else None
        try:
            result = handler(request, exc)
            if hasattr(result, "__await__"):
                result = await result
            return to_response(result)
        except Exception as failure:
            raise ExceptionHandlerError(handler) from failure

    async def error_response(self, request: Request, exc: HTTPException) -> Response:
        """``exception_response`` for an ``HTTPException``, which always has an answer: its
        handler's (``to_response`` never gives ``None``) or its own."""
        return await self.exception_response(request, exc)  # type: ignore[return-value]

    async def handled_response(self, request: Request, exc: Exception) -> Response | None:
        """``exception_response``, with a ``FileResponse`` answer prepared for ``request``.

        Prepared without handlers: a handler answering a missing file with a missing file
        must not loop.
        """
        response = await self.exception_response(request, exc)
        if response is not None and response.kind == KIND_FILE:
            response = await self.prepare_file(request, response, handlers=False)
        return response

    def internal_error(self, request: Request, exc: BaseException | None, reason: str) -> Response:
        """Log ``reason`` with the traceback and answer 500, without internals unless debug."""
        # %r: the path is client-controlled and percent-decoded (no forged log lines)
        logger.error(
            "%s %r: %s", request.method, request.path, reason, exc_info=exc is not None and exc
        )
        extra = None
        if self.debug and exc is not None:
            try:
                text = repr(exc)
            except Exception:  # a broken __repr__ must not turn the 500 into a crash
                text = f"<{type(exc).__qualname__}: repr() failed>"
            extra = {"exception": text, "traceback": traceback.format_exception(exc)}
        elif self.debug:
            extra = {"exception": reason}
        return problem(500, "The server failed to handle this request.", extra=extra)

    # -- the pipeline --------------------------------------------------------------------
    def _prepare(self) -> None:
        """Compile routes and build the global middleware (once; routes again after changes)."""
        _ = self.routes_table
        check_http_routes(self.routes_table)
        _ = self.websocket_table
        if self._layers is None:
            self._layers = [instantiate(cls, options) for cls, options in self._middleware]
            self._chain = build_chain(self._layers, self._route) if self._layers else None

    async def _route(self, request: Request) -> Response:
        """Routing as the innermost layer of global middleware."""
        return await (self._table or self.routes_table).resolve(request)(request)

    async def dispatch(self, request: Request) -> Response:
        """Answer ``request``. Never raises; the response is valid for any server."""
        try:
            if self._layers is None:
                self._prepare()
            chain = self._chain
            if chain is not None:
                response = await chain(request)
            else:  # no global middleware: route without a coroutine in between
                response = await (self._table or self.routes_table).resolve(request)(request)
            kind = getattr(response, "kind", None)  # middleware may return anything
            if kind == KIND_FILE:  # a FileResponse from middleware
                response = await self.prepare_file(request, response)
                kind = response.kind
        except Exception as exc:  # raised by middleware: endpoints answer their own errors
            response = await self._last_resort(request, exc)
            kind = response.kind
        except BaseException as exc:  # cancellation must propagate; cleanups still see it
            if request._error is None:
                request._error = exc
            raise
        checked = self._checked(request, response, kind)
        if checked is not response and kind == KIND_STREAM:
            await response.aclose()  # a stream replaced by a 500 will never be sent
        return checked

    async def _last_resort(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, ExceptionHandlerError):
            return self.internal_error(request, exc.__cause__, "exception handler failed")
        try:
            response = await self.handled_response(request, exc)
        except ExceptionHandlerError as failure:
            return self.internal_error(request, failure.__cause__, "exception handler failed")
        except Exception as failure:
            return self.internal_error(request, failure, "preparing the error answer failed")
        if response is None:
            return self.internal_error(request, exc, "unhandled exception")
        return response

    def _checked(self, request: Request, response: Any, kind: int | None) -> Response:
        head = request.method == "HEAD"
        if kind is None or not isinstance(response, Response):
            reason = f"the pipeline returned {type(response).__name__}, not a Response"
            return self._refused(request, reason, head)
        try:
            if head:
                _check_response(response, True)
                if kind == KIND_BODY:
                    route = request.route  # a GET route answering HEAD: announce its length
                    automatic = route is not None and "HEAD" not in route.methods
                    response.raw_headers = head_headers(
                        response.status_code, response.raw_headers, response.body, automatic
                    )
            else:
                # Streams and files may declare their length; in-memory bodies are framed
                # by the adapters.
                _check_response(response, kind != KIND_BODY)
        except (ValueError, TypeError) as exc:
            return self._refused(request, f"invalid response: {exc}", head)
        return response

    def _refused(self, request: Request, reason: str, head: bool) -> Response:
        response = self.internal_error(request, None, reason)
        if head:  # framed like any HEAD answer: the length GET would get
            response.raw_headers = with_content_length(500, response.raw_headers, response.body)
        return response

    async def prepare_file(
        self, request: Request, response: FileResponse, *, handlers: bool = True
    ) -> Response:
        """Resolve a ``FileResponse`` for this request (in the I/O pool: it stats).

        Done where the response is made (the route's endpoint), so middleware sees the real
        status (200, 206, 304, 416 or an error). A path that cannot name a readable file
        (missing, a directory, too long, a symlink loop, a NUL byte from user input) is a 404 and no
        permission a 403, both through the exception handlers unless ``handlers=False``
        (then their own answer may be a file too, prepared without handlers); a failed
        precondition (``If-Match``, ``If-Unmodified-Since``) is a 412; other OS errors are a
        logged 500. With ``directory=``, a path resolving outside it is a 404.
        """
        try:
            return await run_io(response.prepare, request)
        except HTTPException as exc:  # 412: a precondition failed
            error = exc
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            logger.info("FileResponse %r: %s", response.path, exc)
            error = HTTPException(404, "The requested file does not exist.")
        except PermissionError:
            error = HTTPException(403, "Access denied.")
        except OSError as exc:
            if exc.errno not in (errno.ENAMETOOLONG, errno.ELOOP):
                return self.internal_error(request, exc, f"cannot send file {response.path!r}")
            error = HTTPException(404, "The requested file does not exist.")
        if not handlers:
            return error.to_response()
        return await self.handled_response(request, error)  # type: ignore[return-value]

    # -- protocol entry points (see orionis.adapters) -----------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI 3."""
        await self._asgi(scope, receive, send)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        """RSGI (Granian)."""
        await self._rsgi(scope, protocol)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._rsgi.init(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._rsgi.close(loop)

    def __repr__(self) -> str:
        return f"<Application {self.title!r}>"
