"""Running blocking code without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["iterate_in_threadpool", "run_in_threadpool"]


def call_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``func``; a ``StopIteration`` escaping it becomes a ``RuntimeError``.

    asyncio cannot carry ``StopIteration`` through a future (it would leave the awaiting
    request hanging forever), so work sent to a pool goes through this. Module-level so it
    pickles for the process pool.
    """
    try:
        return func(*args, **kwargs)
    except StopIteration as exc:
        raise RuntimeError(f"{func!r} raised StopIteration") from exc


async def run_in_threadpool(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``func`` in the event loop's default thread pool, with the caller's contextvars."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, call_sync, func, *args, **kwargs)
    return await loop.run_in_executor(None, call)


_DONE = object()


def _next(iterator: Iterator[T]) -> T | object:
    try:
        return next(iterator)
    except StopIteration:
        return _DONE


async def iterate_in_threadpool(iterable: Iterable[T]) -> AsyncIterator[T]:
    """Advance a blocking iterator one item at a time in the thread pool.

    Cancelled while a thread is inside ``next()``, this waits for that call before it lets
    the cancellation through: only then can the iterator be closed (closing a generator that
    another thread is running raises ``ValueError``), so its ``finally`` blocks run now.
    """
    iterator = iter(iterable)
    while True:
        step = asyncio.ensure_future(run_in_threadpool(_next, iterator))
        try:
            item = await asyncio.shield(step)
        except asyncio.CancelledError:
            await asyncio.wait((step,))
            if not step.cancelled():
                step.exception()  # retrieved: the cancellation is what matters now
            raise
        if item is _DONE:
            return
        yield item  # type: ignore[misc]
