"""Lifespan callbacks: registration checks and the rules for running them.

Protocol-neutral on purpose: the ASGI adapter drives these from lifespan messages, the RSGI
adapter from ``__rsgi_init__``/``__rsgi_del__``, the test client and CLI helpers directly.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orionis.exceptions import LifespanError
from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime

logger = logging.getLogger("orionis")

LifespanCallback = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class _Hook:
    callback: LifespanCallback
    runtime: Runtime | None
    takes_app: bool

    def applies_to(self, runtime: Runtime) -> bool:
        return self.runtime is None or self.runtime is runtime

    async def run(self, app: object) -> None:
        result = self.callback(app) if self.takes_app else self.callback()
        if inspect.isawaitable(result):
            await result


def _takes_app(callback: LifespanCallback) -> bool:
    """Whether to pass the app: decided once, from the number of required parameters."""
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # some builtins have no signature: call them bare
        return False
    required = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if (
        any(
            p.kind is p.KEYWORD_ONLY and p.default is p.empty for p in signature.parameters.values()
        )
        or len(required) > 1
    ):
        raise TypeError(
            f"lifespan callback {callback!r} must take no parameter or one (the app), "
            f"not {signature}"
        )
    return len(required) == 1


def _name(callback: LifespanCallback) -> str:
    return getattr(callback, "__qualname__", None) or repr(callback)


class LifespanHooks:
    """The startup and shutdown callbacks of one application, in registration order."""

    def __init__(self) -> None:
        self._hooks: dict[Lifespan, list[_Hook]] = {Lifespan.STARTUP: [], Lifespan.SHUTDOWN: []}

    def add(
        self,
        event: Lifespan,
        callbacks: tuple[LifespanCallback, ...],
        runtime: Runtime | None,
    ) -> None:
        """Validate everything first, so a bad call registers nothing."""
        if not isinstance(event, Lifespan):
            raise TypeError(
                f"app.on() takes a Lifespan event first (Lifespan.STARTUP or Lifespan.SHUTDOWN), "
                f"got {event!r}"
            )
        if runtime is not None and not isinstance(runtime, Runtime):
            raise TypeError(
                f"runtime must be a Runtime (or None for every runtime), got {runtime!r}"
            )
        if not callbacks:
            raise ValueError(f"app.on({event}) needs at least one callback")
        hooks = []
        for callback in callbacks:
            if not callable(callback):
                raise TypeError(f"lifespan callback {callback!r} is not callable")
            hooks.append(_Hook(callback, runtime, _takes_app(callback)))
        self._hooks[event].extend(hooks)

    async def startup(self, app: object, runtime: Runtime) -> None:
        """Run startup callbacks in order; the first failure is logged and stops the rest.

        Raises ``LifespanError`` chained to the callback's exception. Shutdown callbacks are
        not run after a failed startup: they may expect resources startup never created.
        """
        for hook in self._hooks[Lifespan.STARTUP]:
            if not hook.applies_to(runtime):
                continue
            try:
                await hook.run(app)
            except Exception as exc:
                logger.error(
                    "startup callback %s failed; this worker will not serve",
                    _name(hook.callback),
                    exc_info=True,
                )
                raise LifespanError(
                    f"startup callback {_name(hook.callback)} failed: {exc!r}"
                ) from exc

    async def shutdown(self, app: object, runtime: Runtime) -> list[BaseException]:
        """Run every shutdown callback even if some fail; return (and log) the failures."""
        errors: list[BaseException] = []
        for hook in self._hooks[Lifespan.SHUTDOWN]:
            if not hook.applies_to(runtime):
                continue
            try:
                await hook.run(app)
            except Exception as exc:
                logger.error("shutdown callback %s failed", _name(hook.callback), exc_info=True)
                errors.append(exc)
        return errors
