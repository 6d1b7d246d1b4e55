"""Running blocking code without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["iterate_in_threadpool", "run_in_threadpool"]


async def run_in_threadpool(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``func`` in the event loop's default thread pool, with the caller's contextvars."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await loop.run_in_executor(None, call)


_DONE = object()


def _next(iterator: Iterator[T]) -> T | object:
    try:
        return next(iterator)
    except StopIteration:
        return _DONE


async def iterate_in_threadpool(iterable: Iterable[T]) -> AsyncIterator[T]:
    """Advance a blocking iterator one item at a time in the thread pool."""
    iterator = iter(iterable)
    while True:
        item = await run_in_threadpool(_next, iterator)
        if item is _DONE:
            return
        yield item  # type: ignore[misc]
