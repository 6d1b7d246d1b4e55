"""Module-level handlers and a counting executor for the user-executor tests
(``test_executors.py``, ``test_executors_dask.py``). Handlers are pickled by reference, so
they live in an importable module; the worker process (or Dask worker) imports this file."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any


def where(n: int, word: str = "x") -> dict[str, Any]:
    """The worker's pid, and the validated values it received."""
    return {"pid": os.getpid(), "n": n, "word": word}


def dask_names(pure: str, workers: int, key: str, retries: int = 0) -> dict[str, Any]:
    """Parameters named like ``Client.submit`` options: they must reach the handler, never
    be taken as options by the executor."""
    return {"pure": pure, "workers": workers, "key": key, "retries": retries}


def generator() -> Iterator[int]:
    """Returns a value that does not pickle: a handler bug (500), not the executor's (503)."""
    yield 1


class Unpicklable(Exception):
    """An exception whose instances refuse to pickle."""

    def __reduce__(self) -> Any:
        raise TypeError("Unpicklable refuses to pickle")


def raise_unpicklable() -> None:
    raise Unpicklable("worker secret 0xfeedface")


BLOCK = threading.Event()  # for the in-process executor of the cancellation test


def blocker() -> None:
    BLOCK.wait(60)


class Counting(Executor):
    """Wraps an executor; counts and keeps the futures it was given (``on_submit`` runs
    at each submission, in the submitting thread)."""

    def __init__(self, inner: Executor, on_submit: Callable[[], None] | None = None) -> None:
        self.inner = inner
        self.on_submit = on_submit
        self.futures: list[Future[Any]] = []
        self.shut = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.inner.submit(fn, *args, **kwargs)
        self.futures.append(future)
        if self.on_submit is not None:
            self.on_submit()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shut = True
        self.inner.shutdown(wait, cancel_futures=cancel_futures)
