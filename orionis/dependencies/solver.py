"""Solving plans for one request: validate every input, then call the dependencies.

Solving collects *every* validation error before anything is called, then the caller
raises one ``RequestValidationError`` (422). Dependencies run before the parameters of the
callable that needs them, at most once per request unless ``use_cache=False``.
``app.dependency_overrides[original] = replacement`` swaps a dependency (for tests); the
``Overrides`` holding that mapping is given to each handler when the route table is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from orionis._pydantic import pydantic
from orionis.concurrency import run_in_threadpool
from orionis.dependencies.bodies import validation_errors
from orionis.dependencies.call_styles import CallStyle
from orionis.dependencies.cleanup import Exits, finish
from orionis.dependencies.plans import Dependency, Input, Plan
from orionis.dependencies.readers import MISSING

if TYPE_CHECKING:
    from orionis.background import BackgroundTasks
    from orionis.requests import Request

__all__ = ["Overrides", "Solver"]


class Overrides:
    """``app.dependency_overrides`` (``mapping``, changed by users at any time) and the plans
    of the replacements, built once per replacement and route shape."""

    __slots__ = ("mapping", "plans")

    def __init__(self, mapping: dict[Callable[..., Any], Callable[..., Any]] | None = None):
        self.mapping: dict[Callable[..., Any], Callable[..., Any]] = (
            {} if mapping is None else mapping
        )
        self.plans: dict[tuple[Any, tuple[tuple[str, int], ...]], Plan] = {}

    def plan(self, call: Callable[..., Any], path_params: Mapping[str, int]) -> Plan:
        key = (call, tuple(sorted(path_params.items())))
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = Plan(call, path_params)
        return plan


class Solver:
    """Per-request state for solving: cache, cleanups, background tasks, parsed bodies."""

    __slots__ = (
        "background",
        "body_failed",
        "cache",
        "called",
        "errors",
        "exits",
        "form",
        "overrides",
        "replacements",
        "request",
    )

    def __init__(self, request: Request, overrides: Overrides) -> None:
        self.request = request
        self.overrides = overrides
        # Read once per request; usually empty, so each dependency runs as planned.
        self.replacements = overrides.mapping
        self.cache: dict[Any, Any] = {}
        self.called: dict[Dependency, Any] = {}
        self.exits: Exits = []
        self.background: BackgroundTasks | None = None
        self.errors: list[dict[str, Any]] = []
        self.body_failed = False  # a body-wide error is reported once, not per parameter
        self.form: Any = None

    async def solve(self, *plans: Plan) -> list[dict[str, Any]] | None:
        """Keyword arguments for each plan's callable, or None if any input was invalid.

        Two phases, so an invalid request has no side effects: first every input of the
        plans and of all their dependencies is validated (every error collected); only if
        all are valid are the dependencies called, in declaration order.
        """
        inputs: dict[int, dict[str, Any]] = {}
        for plan in plans:
            for guard in plan.guards:
                sub = self._effective(guard)[1]
                if sub.leaf:  # JWTAuth and the like: only the request
                    if id(sub) not in inputs:
                        self._read_leaf(sub, inputs)
                else:
                    await self._validate(sub, inputs)
                if self.errors:
                    return None
                await self._call(guard, inputs)
        for plan in plans:
            await self._validate(plan, inputs)
        if self.errors:
            return None
        solved = []
        for plan in plans:
            values = inputs[id(plan)]
            solved.append(await self._kwargs(plan, inputs) if plan.dependencies else values)
        return solved

    def _effective(self, dep: Dependency) -> tuple[Callable[..., Any], Plan]:
        """The callable and plan that run for ``dep``: its override's, if it has one."""
        replacements = self.replacements
        if replacements and dep.call in replacements:
            call = replacements[dep.call]
            return call, self.overrides.plan(call, dep.plan.path_params)
        return dep.call, dep.plan

    async def _validate(self, plan: Plan, inputs: dict[int, dict[str, Any]]) -> None:
        if id(plan) in inputs:  # a dependency shared by several callables
            return
        if plan.leaf:
            self._read_leaf(plan, inputs)
            return
        values = inputs[id(plan)] = {}
        replacements = self.replacements
        for dep in plan.dependencies:
            sub = self._effective(dep)[1] if replacements else dep.plan
            if id(sub) in inputs:  # shared, or a guard: validated already
                continue
            if sub.leaf:
                self._read_leaf(sub, inputs)
            else:
                await self._validate(sub, inputs)
        for item in plan.inputs:
            # the reader was chosen with the plan; only the body and forms need I/O
            value = await item.read(self, item) if item.awaits else item.read(self, item)
            if value is not MISSING:
                values[item.name] = value

    def _read_leaf(self, plan: Plan, inputs: dict[int, dict[str, Any]]) -> None:
        """``_validate`` for a plan without dependencies or awaited inputs."""
        values = inputs[id(plan)] = {}
        for item in plan.inputs:
            value = item.read(self, item)
            if value is not MISSING:
                values[item.name] = value

    async def _kwargs(self, plan: Plan, inputs: dict[int, dict[str, Any]]) -> dict[str, Any]:
        values = inputs[id(plan)]
        if not plan.dependencies:  # nothing to add: callers unpack it, never change it
            return values
        kwargs = dict(values)
        called = self.called
        for dep in plan.dependencies:
            value = called[dep] if dep in called else await self._call(dep, inputs)
            if dep.name is not None:
                kwargs[dep.name] = value
        return kwargs

    async def _call(self, dep: Dependency, inputs: dict[int, dict[str, Any]]) -> Any:
        if dep in self.called:  # a guard, already run first
            return self.called[dep]
        call, plan = self._effective(dep) if self.replacements else (dep.call, dep.plan)
        if dep.use_cache and call in self.cache:
            return self.cache[call]
        kwargs = await self._kwargs(plan, inputs) if plan.dependencies else inputs[id(plan)]
        style = plan.style
        if style is CallStyle.ASYNC:
            value = await call(**kwargs)
        elif style is CallStyle.SYNC:
            value = await run_in_threadpool(call, **kwargs)
        elif style is CallStyle.ASYNC_GEN:
            generator = call(**kwargs)
            try:
                value = await generator.__anext__()
            except StopAsyncIteration:
                raise RuntimeError(f"dependency {plan.owner} did not yield") from None
            self.exits.append((generator, True))
        else:
            generator = call(**kwargs)
            value = await run_in_threadpool(_first, generator, plan.owner)
            self.exits.append((generator, False))
        if dep.use_cache:
            self.cache[call] = value
        self.called[dep] = value
        return value

    def check(self, item: Input, raw: Any) -> Any:
        """``raw`` validated for ``item`` (its default if missing and optional); ``MISSING``
        once an error is recorded."""
        if raw is MISSING:
            if item.required:
                self.errors.append(item.error("missing", "Field required"))
                return MISSING
            return item.default
        if item.adapter is None:
            return raw
        try:
            return item.adapter.validate_python(raw)
        except pydantic.ValidationError as exc:
            self.errors.extend(validation_errors(item, exc))
            return MISSING

    # -- after the response ----------------------------------------------------------
    async def finish(self, error: BaseException | None) -> None:
        """Background tasks, then generator dependencies (``orionis.dependencies.cleanup``).

        Drops the request first: the request holds its solver, so until one of them lets go
        every request (headers, body, parsed inputs) is a reference cycle left to the
        garbage collector, whose collections then cost every request.
        """
        self.request = None  # type: ignore[assignment]
        if self.background is None and not self.exits:
            return
        await finish(self.background, self.exits, error)


def _first(generator: Any, owner: str) -> Any:
    try:
        return next(generator)
    except StopIteration:
        raise RuntimeError(f"dependency {owner} did not yield") from None
