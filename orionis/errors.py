"""The error boundary: exception handlers, and turning any exception into a response.

One ``ErrorBoundary`` per application owns:

- registration: ``add(key, handler)`` (what ``@app.exception_handler(key)`` does), checked
  at once so a wrong signature is reported where it is written;
- lookup: ``handler_for(exc)``, by status for an ``HTTPException``, else by class hierarchy;
- answering: ``answer(request, exc)`` is the one call every layer makes for an exception
  it caught (the endpoint, 404/405 refusals, middleware failures). It never raises: an
  exception without a handler, a handler that raises, or an answer that cannot be prepared
  becomes the logged 500 (``server_error``);
- ``prepare_file``: a ``FileResponse`` resolved for its request, its OS errors answered as
  404/403/500 through the same handlers.

Sync exception handlers run in the thread pool, as sync route handlers do.
"""

from __future__ import annotations

import errno
import inspect
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orionis.concurrency import run_in_threadpool, run_io
from orionis.exceptions import HTTPException, problem
from orionis.handlers import to_response
from orionis.responses import ResponseKind

if TYPE_CHECKING:
    from orionis.requests import Request
    from orionis.responses import FileResponse, Response

__all__ = ["ErrorBoundary", "ExceptionHandler", "ExceptionHandlerError", "check_key"]

logger = logging.getLogger("orionis")

ExceptionHandler = Callable[["Request", Exception], Any]


class ExceptionHandlerError(Exception):
    """An exception handler raised; its own exception is the ``__cause__``."""


def check_key(key: Any) -> None:
    """Refuse a key ``@app.exception_handler`` cannot use: an exception class or a status."""
    if (isinstance(key, type) and issubclass(key, Exception)) or (
        isinstance(key, int) and not isinstance(key, bool)
    ):
        return
    if inspect.isfunction(key):  # ``@app.exception_handler`` without its key
        raise TypeError(
            "@app.exception_handler needs what it handles: write "
            f"@app.exception_handler(ValueError) or (404) above {key.__name__}"
        )
    raise TypeError(f"exception_handler() takes an exception class or status code, got {key!r}")


def _check_handler(handler: Any, key: Any) -> None:
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


def _is_async(handler: Any) -> bool:
    if inspect.iscoroutinefunction(handler):
        return True
    method = getattr(handler, "__call__", None)  # noqa: B004  # a callable instance
    return inspect.iscoroutinefunction(method)


class ErrorBoundary:
    """Exception handlers and the answers for exceptions (see the module docstring).

    ``debug`` puts the exception and traceback in 500 answers.
    """

    __slots__ = ("debug", "handlers")

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.handlers: dict[Any, ExceptionHandler] = {}

    # -- registration and lookup ---------------------------------------------------------
    def add(self, key: type[Exception] | int, handler: ExceptionHandler) -> None:
        check_key(key)
        _check_handler(handler, key)
        self.handlers[key] = handler

    def handler_for(self, exc: Exception) -> ExceptionHandler | None:
        """The registered handler for ``exc``, as Starlette users expect:

        an ``HTTPException`` goes to a handler for its status, else one for its class up to
        ``HTTPException`` (never to a catch-all ``Exception`` handler: 404s stay 404s); any
        other exception goes to the closest handler in its class hierarchy, else to a
        handler for 500.
        """
        handlers = self.handlers
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

    # -- answering -----------------------------------------------------------------------
    async def handled(self, request: Request, exc: Exception) -> Response | None:
        """The handler's answer for ``exc`` (or an ``HTTPException``'s own); None if neither.

        A handler that raises is reported as ``ExceptionHandlerError``, so nothing calls it
        (or another handler) a second time for its own failure.
        """
        handler = self.handler_for(exc)
        if handler is None:
            return exc.to_response() if isinstance(exc, HTTPException) else None
        try:
            if _is_async(handler):
                result = await handler(request, exc)
            else:
                result = await run_in_threadpool(handler, request, exc)
            if hasattr(result, "__await__"):  # a sync callable returning an awaitable
                result = await result
            return to_response(result)
        except Exception as failure:
            raise ExceptionHandlerError(handler) from failure

    async def refuse(self, request: Request, exc: HTTPException) -> Response:
        """The answer for an ``HTTPException`` the framework raises (404, 405, 501...): its
        handler's or its own. A failing handler raises ``ExceptionHandlerError`` through
        the middleware around it, up to ``answer`` in the application's dispatch."""
        return await self.handled(request, exc)  # type: ignore[return-value]

    async def answer(self, request: Request, exc: Exception) -> Response:
        """The response for ``exc``; never raises. A file answer is prepared for ``request``
        (without handlers: a handler answering a missing file with a missing file must not
        loop)."""
        if isinstance(exc, ExceptionHandlerError):
            return self.server_error(request, exc.__cause__, "exception handler failed")
        try:
            response = await self.handled(request, exc)
            if response is not None and response.kind == ResponseKind.FILE:
                response = await self.prepare_file(request, response, handlers=False)
        except ExceptionHandlerError as failure:
            return self.server_error(request, failure.__cause__, "exception handler failed")
        except Exception as failure:
            return self.server_error(request, failure, "preparing the error answer failed")
        if response is None:
            return self.server_error(request, exc, "unhandled exception")
        return response

    def server_error(self, request: Request, exc: BaseException | None, reason: str) -> Response:
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

    async def prepare_file(
        self, request: Request, response: FileResponse, *, handlers: bool = True
    ) -> Response:
        """Resolve a ``FileResponse`` for this request (in the I/O pool: it stats).

        Done where the response is made (the route's endpoint), so middleware sees the real
        status (200, 206, 304, 416 or an error). A path that cannot name a readable file
        (missing, a directory, too long, a symlink loop, a NUL byte from user input) is a 404
        and no permission a 403, both through the exception handlers unless
        ``handlers=False`` (then their own answer may be a file too, prepared without
        handlers); a failed precondition (``If-Match``, ``If-Unmodified-Since``) is a 412;
        other OS errors are a logged 500. With ``directory=``, a path resolving outside it is
        a 404.
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
                return self.server_error(request, exc, f"cannot send file {response.path!r}")
            error = HTTPException(404, "The requested file does not exist.")
        if not handlers:
            return error.to_response()
        return await self.answer(request, error)
