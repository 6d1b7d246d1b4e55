"""Work to do after the response has been sent.

    async def signup(user: User, tasks: BackgroundTasks) -> dict:
        tasks.add_task(send_welcome_email, user.email)
        return {"ok": True}

Tasks run in order once the response is on its way, before dependency cleanup (so a task may
still use a dependency's connection). Sync tasks run in the thread pool. A failing task is
logged and does not stop the others.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from orionis.concurrency import run_in_threadpool

__all__ = ["BackgroundTasks"]

logger = logging.getLogger("orionis")


class BackgroundTasks:
    """Collects ``(func, args, kwargs)`` for one request; Orionis runs them after sending."""

    def __init__(self) -> None:
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def add_task(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if not callable(func):
            raise TypeError(f"add_task() needs a callable, got {func!r}")
        self.tasks.append((func, args, kwargs))

    async def run(self) -> None:
        for func, args, kwargs in self.tasks:
            try:
                if inspect.iscoroutinefunction(func):
                    await func(*args, **kwargs)
                else:
                    result = await run_in_threadpool(func, *args, **kwargs)
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                logger.exception("background task %r failed", func)
