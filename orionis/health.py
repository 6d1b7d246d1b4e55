"""Liveness and readiness routes for load balancers and orchestrators.

    async def database() -> bool: ...
    app.add_health_route("/healthz", checks=[database], timeout=2.0)

- ``GET /healthz`` (liveness): always ``200 {"status": "ok"}`` while the worker answers.
- ``GET /healthz/ready`` (readiness): ``200 {"status": "ready", "checks": {...}}`` when the
  application is serving and every check passes; otherwise ``503`` problem+json with
  ``failed`` (the names of the failed checks) and ``checks`` (each ``ok``, ``failed``,
  ``error`` or ``timeout``). It fails while startup callbacks are still running and from
  the moment shutdown begins, so a load balancer drains the worker. Without any lifespan
  (``granian --interface asginl``, a ``TestClient`` outside ``with``) only the checks count.

A check is a sync or async callable without arguments (or a ``{"name": check}`` mapping);
it fails by returning something falsy other than ``None``, by raising (logged, never shown
to the client) or by taking longer than ``timeout`` seconds. Checks run concurrently; a sync
check runs in the thread pool, and one still stuck from an earlier probe is reported as a
timeout without starting another thread, so probes cannot pile up threads.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orionis.concurrency import run_in_threadpool
from orionis.exceptions import problem
from orionis.responses import JSONResponse, Response

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["Check", "Checks", "HealthChecks", "add_health_route"]

Check = Callable[[], Any]
"""A readiness check: sync or async, no arguments; falsy (not ``None``) or raising fails."""
Checks = Sequence[Check] | Mapping[str, Check]

logger = logging.getLogger("orionis")

_NO_STORE = [("cache-control", "no-store")]


class HealthChecks:
    """The readiness checks of one application and how one probe runs them."""

    def __init__(self, app: Application, checks: Checks, timeout: float) -> None:
        if isinstance(checks, Mapping):
            items = list(checks.items())
        elif callable(checks) or isinstance(checks, str):
            raise TypeError("checks must be a list of callables or a {name: callable} mapping")
        else:
            items = [(getattr(c, "__name__", None) or repr(c), c) for c in checks]
        for name, check in items:
            if not callable(check):
                raise TypeError(f"health check {name!r} is not callable: pass the function")
        names = [name for name, _ in items]
        if len(set(names)) != len(names):
            raise ValueError(f"health check names must be unique, got {names}; use a mapping")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.app = app
        self.checks: list[tuple[str, Callable[[], Any]]] = items
        self.timeout = float(timeout)
        self._threads: dict[str, asyncio.Future[Any]] = {}  # sync checks still running

    async def _run(self, name: str, check: Callable[[], Any]) -> str:
        try:
            if inspect.iscoroutinefunction(check):
                result = await asyncio.wait_for(check(), self.timeout)
            else:
                busy = self._threads.get(name)
                if busy is not None and not busy.done():
                    return "timeout"  # the last probe's call never returned
                future = asyncio.ensure_future(run_in_threadpool(check))
                self._threads[name] = future
                result = await asyncio.wait_for(asyncio.shield(future), self.timeout)
                if inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, self.timeout)
        except TimeoutError:
            logger.warning("health check %s took longer than %ss", name, self.timeout)
            return "timeout"
        except Exception:
            logger.warning("health check %s raised", name, exc_info=True)
            return "error"
        return "failed" if result is not None and not result else "ok"

    async def ready(self) -> Response:
        phase = self.app.lifespan_phase
        if phase not in ("serving", "idle"):
            detail = {
                "starting": "The application is starting.",
                "stopping": "The application is shutting down.",
            }.get(phase, "The application is not serving.")
            return self._unavailable(detail, {}, [], phase)
        results = await asyncio.gather(*(self._run(name, c) for name, c in self.checks))
        checks = {name: result for (name, _), result in zip(self.checks, results, strict=True)}
        failed = [name for name, result in checks.items() if result != "ok"]
        if self.app.lifespan_phase not in ("serving", "idle"):  # shutdown began meanwhile
            return self._unavailable("The application is shutting down.", checks, failed, phase)
        if failed:
            detail = f"Not ready: {', '.join(failed)} failed."
            return self._unavailable(detail, checks, failed, phase)
        return JSONResponse({"status": "ready", "checks": checks}, headers=_NO_STORE)

    @staticmethod
    def _unavailable(
        detail: str, checks: dict[str, str], failed: list[str], phase: str
    ) -> Response:
        extra = {"phase": phase, "failed": failed, "checks": checks}
        return problem(503, detail, headers=dict(_NO_STORE), extra=extra)


def add_health_route(
    app: Application, path: str, *, checks: Checks = (), timeout: float = 5.0
) -> None:
    """Register liveness at ``path`` and readiness at ``path + "/ready"`` (see the module)."""
    if not isinstance(path, str) or not path.startswith("/") or path.endswith("/"):
        raise ValueError(f"health path must look like '/healthz', not {path!r}")
    health = HealthChecks(app, checks, timeout)

    async def live() -> Response:
        return JSONResponse({"status": "ok"}, headers=_NO_STORE)

    async def ready() -> Response:
        return await health.ready()

    app.add_route(path, live, name="health.live", include_in_schema=False)
    app.add_route(path + "/ready", ready, name="health.ready", include_in_schema=False)
