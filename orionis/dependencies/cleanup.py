"""After the response: background tasks, then generator dependencies in reverse order.

If the handler raised, its exception is thrown into each generator, so ``except`` /
``finally`` around the ``yield`` can roll back; a generator that re-raises it is done.
Sync generators are stepped in the thread pool, async ones awaited: one loop for both.
"""

from __future__ import annotations

import logging
from typing import Any

from orionis.background import BackgroundTasks
from orionis.concurrency import run_in_threadpool

__all__ = ["Exits", "finish"]

logger = logging.getLogger("orionis")

# (generator, is_async) pairs, in the order the dependencies were entered
Exits = list[tuple[Any, bool]]


async def finish(
    background: BackgroundTasks | None, exits: Exits, error: BaseException | None
) -> None:
    """Run ``background`` (unless the handler raised: the work it queued belongs to a
    request that failed), then finish ``exits`` last first."""
    if background is not None and error is None:
        await background.run()
    while exits:
        generator, is_async = exits.pop()
        try:
            try:
                if is_async:
                    finished = await _step_async(generator, error)
                else:
                    finished = await run_in_threadpool(_step_sync, generator, error)
            except BaseException as exc:
                if exc is error:  # re-raised what was thrown in: it is done
                    continue
                raise
            if not finished:
                raise RuntimeError(f"dependency {generator!r} yielded more than once")
        except Exception:
            logger.exception("cleanup of dependency %r failed", generator)


async def _step_async(generator: Any, error: BaseException | None) -> bool:
    """Resume an async generator past its ``yield``; True if it then ended."""
    try:
        if error is None:
            await generator.__anext__()
        else:
            await generator.athrow(error)
    except StopAsyncIteration:
        return True
    return False


def _step_sync(generator: Any, error: BaseException | None) -> bool:
    """Resume a sync generator past its ``yield`` (in a thread); True if it then ended."""
    try:
        if error is None:
            next(generator)
        else:
            generator.throw(error)
    except StopIteration:
        return True
    return False
