"""How a callable is run: awaited, in the thread pool, or as a (sync/async) generator."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import Enum
from typing import Any

__all__ = ["CallStyle", "call_style"]


class CallStyle(Enum):
    ASYNC = "async"
    SYNC = "sync"
    ASYNC_GEN = "async_gen"
    SYNC_GEN = "sync_gen"


def call_style(call: Callable[..., Any]) -> CallStyle:
    if inspect.isasyncgenfunction(call):
        return CallStyle.ASYNC_GEN
    if inspect.isgeneratorfunction(call):
        return CallStyle.SYNC_GEN
    if inspect.iscoroutinefunction(call):
        return CallStyle.ASYNC
    if inspect.isclass(call) or inspect.isfunction(call):
        return CallStyle.SYNC
    # A callable instance runs as its ``__call__`` method does.
    method = getattr(call, "__call__", None)  # noqa: B004
    if inspect.isfunction(method) or inspect.ismethod(method):
        return call_style(method)
    return CallStyle.SYNC
