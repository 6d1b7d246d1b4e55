"""Running blocking code without blocking the event loop.

Two thread pools (docs/architecture.md, "Thread pools"):

- the event loop's default executor runs user code: sync handlers, dependencies, background
  tasks and sync iterators of a ``StreamingResponse`` (``run_in_threadpool``). User code can
  fill it (a generator blocking in ``next()`` holds a thread for as long as it blocks);
- a small pool of Orionis' own (``run_io``) runs the framework's short file I/O: the
  ``stat`` behind a ``FileResponse``, file reads for ASGI servers without ``pathsend``, and
  ``UploadFile`` I/O once a spool is on disk. So files are still served when user code has
  every default thread busy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["IO_THREADS", "iterate_in_threadpool", "run_in_threadpool", "run_io"]

# Threads of the framework's own I/O pool: its jobs are short (a stat, a 64 KiB read), so a
# few suffice; a slow disk can hold them, but never user code.
IO_THREADS = 4


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


_io_pool: concurrent.futures.ThreadPoolExecutor | None = None
_io_lock = threading.Lock()


def _io_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _io_pool
    pool = _io_pool
    if pool is None:
        with _io_lock:
            pool = _io_pool
            if pool is None:  # created on first use, so a forked worker makes its own
                pool = _io_pool = concurrent.futures.ThreadPoolExecutor(
                    IO_THREADS, thread_name_prefix="orionis-io"
                )
    return pool


async def run_io(func: Callable[..., T], *args: Any) -> T:
    """Call ``func`` (short, blocking file I/O of the framework's own) in Orionis' I/O pool,
    never behind user code waiting in the default pool. Not for user code: use
    ``run_in_threadpool``."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_io_executor(), call_sync, func, *args)


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
