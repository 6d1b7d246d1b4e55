"""The middleware contract and how layers are chained.

A middleware is an object with ``async def handle(self, request, call_next)`` that returns a
``Response``; ``await call_next()`` runs everything inside it. Chains are built once, before
serving, so a request pays one small object per layer and nothing else.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from orionis.responses import Response

if TYPE_CHECKING:
    from orionis.requests import Request

__all__ = ["CallNext", "Middleware", "build_chain", "instantiate"]

CallNext = Callable[[], Awaitable[Response]]
"""The ``call_next`` a middleware's ``handle`` gets: ``await call_next()`` runs the inner
layers and the handler and returns their ``Response``."""
Endpoint = Callable[["Request"], Awaitable[Response]]


class Middleware:
    """Subclass and implement ``handle``. Options come in through ``__init__``.

    ``app.add_middleware(Timing, threshold=0.5)`` builds ``Timing(threshold=0.5)`` once;
    ``middleware=[Timing]`` on a router or route builds ``Timing()``; instances are used as is.
    """

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        raise NotImplementedError(f"{type(self).__qualname__} must implement async handle()")


def instantiate(spec: Any, options: dict[str, Any] | None = None) -> Any:
    """A middleware instance from a class (built with ``options``) or an instance."""
    instance = spec(**(options or {})) if isinstance(spec, type) else spec
    handle = getattr(instance, "handle", None)
    if handle is None or not inspect.iscoroutinefunction(handle):
        raise TypeError(
            f"middleware {spec!r} needs an `async def handle(self, request, call_next)` method"
        )
    return instance


class _Layer:
    __slots__ = ("handle", "inner", "name")

    def __init__(self, middleware: Any, inner: Endpoint) -> None:
        self.handle = middleware.handle
        self.inner = inner
        self.name = type(middleware).__qualname__

    async def __call__(self, request: Request) -> Response:
        response = await self.handle(request, functools.partial(self.inner, request))
        if not isinstance(response, Response):
            raise TypeError(
                f"middleware {self.name} returned {type(response).__name__}, not a Response; "
                "return the result of `await call_next()` or a Response"
            )
        return response


def build_chain(middleware: Sequence[Any], endpoint: Endpoint) -> Endpoint:
    """Wrap ``endpoint`` so that ``middleware[0]`` runs outermost."""
    for instance in reversed(middleware):
        endpoint = _Layer(instance, endpoint)
    return endpoint
