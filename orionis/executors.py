"""Handlers run by an executor the user supplies: ``Application(process_executor=...)`` or a
route's ``executor=<concurrent.futures.Executor>`` (e.g. Dask's
``distributed.Client(...).get_executor()``, or a ``ProcessPoolExecutor`` of your own).

Parameters are resolved and validated in the server process; only the plain function and
its values cross. The worker side (``_remote_call``) pickles the outcome itself and tags it,
so the server tells the handler's own exception (answered as from any handler) from the
executor failing (a broken pool, a lost Dask worker, a refused submission): the latter is a
logged 503 problem+json, never a dead server worker. Orionis never shuts a user's executor
down: whoever created it closes it.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from orionis.concurrency import call_sync
from orionis.exceptions import HTTPException

__all__ = ["RemoteTraceback", "check_executor", "check_process_executor", "run_in_executor"]

logger = logging.getLogger("orionis")

UNAVAILABLE = "The executor that runs this request's handler is unavailable; try again later."


class RemoteTraceback(Exception):
    """The traceback of a handler that raised in another process (the ``__cause__``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def check_executor(value: Any, owner: str) -> Any:
    """``value`` if it is a route's valid ``executor=``, else a clear error."""
    if value == "thread" or value == "process" or isinstance(value, Executor):
        return value
    raise ValueError(
        f"{owner}: executor must be 'thread', 'process' or a concurrent.futures.Executor "
        f"(e.g. ProcessPoolExecutor() or distributed.Client(...).get_executor()), got {value!r}"
    )


def check_process_executor(value: Any, workers: int | None = None) -> Executor | None:
    """``Application(process_executor=...)``: ``None`` (the local pool) or an executor."""
    if value is not None and workers is not None:
        raise ValueError(
            "Application: give process_workers (the size of Orionis's local pool) or "
            "process_executor (your own executor, sized by you), not both"
        )
    if value is None or isinstance(value, Executor):
        return value
    raise TypeError(
        "Application: process_executor must be None (the local process pool) or a "
        "concurrent.futures.Executor such as distributed.Client(...).get_executor(), "
        f"got {value!r}"
    )


def _remote_call(func: Callable[..., Any], kwargs: dict[str, Any]) -> bytes:
    """Runs in the executor: the outcome pickled here, tagged ``(True, value)`` or
    ``(False, exception, traceback text)``; anything else the future raises is the executor's."""
    import pickle  # with the first executor route, not with every app

    try:
        value = call_sync(func, **kwargs)
    except BaseException as exc:
        text = "".join(traceback.format_exception(exc))
        try:
            return pickle.dumps((False, exc, text))
        except Exception:  # an exception that does not pickle: keep its text
            shown = RuntimeError(f"{type(exc).__name__} (unpicklable) raised by {func!r}")
            return pickle.dumps((False, shown, text))
    try:
        return pickle.dumps((True, value))
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        problem = TypeError(
            f"{getattr(func, '__name__', func)!r} returned a {type(value).__name__}, which does "
            "not pickle: return a dict, list, str, bytes or another picklable value"
        )
        return pickle.dumps((False, problem, text))


async def run_in_executor(
    executor: Executor, func: Callable[..., Any], kwargs: dict[str, Any], name: str
) -> Any:
    """``func(**kwargs)`` in ``executor``; the handler's exception re-raised here, an executor
    failure answered 503. Cancelled (the client left), the future's ``cancel()`` is attempted
    (asyncio does it): a task already running elsewhere may still run to its end."""
    import pickle

    loop = asyncio.get_running_loop()
    try:
        payload = await loop.run_in_executor(executor, _remote_call, func, kwargs)
        outcome = pickle.loads(payload)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # ours: the client left, or the server is stopping
        failure: Exception = RuntimeError("the executor cancelled the task")
    except Exception as exc:  # submit refused, pool broken, worker lost, result lost
        failure = exc
    else:
        if outcome[0]:
            return outcome[1]
        error: BaseException = outcome[1]
        error.__cause__ = RemoteTraceback(outcome[2])
        raise error
    logger.error(
        "%s: the executor %s failed to run it: %s: %s",
        name,
        type(executor).__name__,
        type(failure).__name__,
        failure,
        exc_info=failure,
    )
    raise HTTPException(503, UNAVAILABLE) from failure
