"""The process pool behind ``executor="process"`` routes: started with the application,
created on first use if the lifespan did not run, replaced when a worker dies. With
``Application(process_executor=...)`` those routes use the user's executor instead
(``orionis.executors``): no local pool is made, and the user's is never shut down here."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from orionis.concurrency import call_sync
from orionis.executors import run_in_executor

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["ProcessPool"]

logger = logging.getLogger("orionis")


class ProcessPool:
    """One application's pool of ``workers`` processes (``None``: one per CPU)."""

    __slots__ = ("executor", "external", "workers")

    def __init__(self, workers: int | None, external: Executor | None = None) -> None:
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None
        # Application(process_executor=...): used instead of a local pool, owned by the user.
        self.external = external

    def start(self) -> None:
        if self.executor is None and self.external is None:
            self.executor = self._new()

    def ensure(self) -> ProcessPoolExecutor:
        """The pool, created here if the lifespan did not run (e.g. ``asginl``)."""
        executor = self.executor
        if executor is None:
            logger.warning("creating the process pool on first use: the lifespan did not run")
            executor = self.executor = self._new()
        return executor

    async def run(self, func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """``func(**kwargs)`` in a worker process. A dead worker breaks the pool for good:
        the next call gets a fresh one."""
        if self.external is not None:
            return await run_in_executor(self.external, func, kwargs, func.__name__)
        executor = self.ensure()
        # multiprocessing is imported with the first pool (_new), not with Orionis
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                executor, functools.partial(call_sync, func, **kwargs)
            )
        except BrokenProcessPool:
            self.replace(executor)
            raise

    def replace(self, broken: ProcessPoolExecutor) -> None:
        if self.executor is broken:
            logger.error("a process-pool worker died; starting a new pool")
            self.executor = self._new()
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        executor, self.executor = self.executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _new(self) -> ProcessPoolExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the server process runs threads (Granian's runtime)
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
