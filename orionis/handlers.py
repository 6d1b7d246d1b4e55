"""Calling an endpoint: parameters from its signature, and its return value as a response.

Everything is decided when the route table is built (see ``orionis.dependencies.Plan``).
A handler that only needs typed path values and the request skips solving altogether.

Return values: ``dict``/``list``/pydantic model/dataclass -> JSON (orjson); ``str`` ->
``text/plain``; ``bytes`` -> ``application/octet-stream``; ``None`` -> 204 (or the route's
``status_code`` with an empty body); a ``Response`` as is; ``(body, status)`` or
``(body, status, headers)``. With a ``response_model`` (or a return annotation that contains a
pydantic model, dataclass or TypedDict) the body is validated and filtered through it.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor as FuturesExecutor
from typing import TYPE_CHECKING, Any, Literal

from orionis._pydantic import is_model, pydantic
from orionis.concurrency import run_in_threadpool
from orionis.controllers import Controller
from orionis.dependencies import CallStyle, Depends, Overrides, Plan, Solver, call_style
from orionis.exceptions import RequestValidationError
from orionis.executors import check_executor, run_in_executor
from orionis.requests import Request
from orionis.responses import JSONResponse, PlainTextResponse, Response, json_dumps

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from orionis.process_pool import ProcessPool

__all__ = ["INFER", "Handler", "ResponseValidationError", "to_response"]

Endpoint = Callable[..., Any] | tuple[type, str] | list[Any]
Executor = Literal["thread", "process"] | FuturesExecutor


class _Infer:
    def __repr__(self) -> str:
        return "INFER"


INFER: Any = _Infer()
"""Default ``response_model``: use the return annotation when it contains a model."""


class ResponseValidationError(Exception):
    """A handler returned data that does not fit its response model (a server bug: 500)."""


def _contains_model(annotation: Any) -> bool:
    if isinstance(annotation, type):
        if issubclass(annotation, Response):
            return False
        return (
            is_model(annotation)
            or dataclasses.is_dataclass(annotation)
            or typing.is_typeddict(annotation)
        )
    return any(_contains_model(arg) for arg in typing.get_args(annotation))


def return_annotation(func: Callable[..., Any]) -> Any:
    """The return annotation, with ``tuple[Body, int]`` / ``tuple[Body, int, Headers]``
    (a handler returning ``(body, status[, headers])``) reduced to ``Body``."""
    target = func if inspect.isfunction(func) or inspect.ismethod(func) else type(func).__call__
    try:
        annotation = typing.get_type_hints(target, include_extras=True).get("return")
    except Exception:
        return None
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and len(args) in (2, 3) and args[1] is int:
        return args[0]
    return annotation


class Handler:
    """One endpoint, ready to call with a request. ``plan=False`` only checks its shape."""

    def __init__(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, int],
        *,
        dependencies: Sequence[Depends] = (),
        response_model: Any = INFER,
        status_code: int | None = None,
        executor: Executor = "thread",
        plan: bool = True,
        processes: ProcessPool | None = None,
        overrides: Overrides | None = None,
    ) -> None:
        self.controller: type | None = None
        if isinstance(endpoint, tuple | list):
            func = self._controller_action(endpoint)
        elif isinstance(endpoint, type) and issubclass(endpoint, Controller):
            raise TypeError(_controller_alone(endpoint))
        elif callable(endpoint):
            func = endpoint
        else:
            raise TypeError(
                f"an endpoint must be a callable or a (ControllerClass, 'method') pair, "
                f"got {endpoint!r}"
            )
        self.func = func
        self.name = getattr(func, "__name__", type(func).__name__)
        self.status_code = status_code
        self.executor = check_executor(executor, self.name)
        # executor=<Executor>: the user's own (orionis.executors); None for "thread"/"process".
        self.remote: FuturesExecutor | None = None if isinstance(executor, str) else executor
        # Off the thread pool: the plain function and its values cross to another process.
        out_of_process = executor != "thread"
        # Given by the route table: the pool for executor="process", the app's overrides.
        self.processes = processes
        self.overrides = overrides if overrides is not None else Overrides()
        self.is_async = call_style(func) is CallStyle.ASYNC
        if out_of_process:
            self._check_process_target()
        if not plan:
            return
        self.plan = Plan(
            func,
            path_params,
            skip_first=self.controller is not None,
            extra=list(dependencies),
            owner=self.name,
        )
        self.init_plan: Plan | None = None
        if self.controller is not None and self.controller.__init__ is not object.__init__:
            self.init_plan = Plan(self.controller, path_params, owner=self.controller.__qualname__)
        self._plans = (self.plan,) if self.init_plan is None else (self.plan, self.init_plan)
        # A controller whose __init__ takes anything is built by the solver, not bare.
        self.unsolved = self.plan.unsolved and self.init_plan is None
        # (name, from_path) for an unsolved plan: a path value, or else the request.
        self.plain_arguments = tuple((i.name, i.source == "path") for i in self.plan.inputs)
        # Callable straight from the endpoint layer, with no solving and no thread.
        self.awaited_directly = self.unsolved and self.is_async and self.controller is None
        if out_of_process:
            for item in self.plan.inputs:
                if item.source in ("request", "background"):
                    raise TypeError(
                        f"{self.name}: executor={self._shown_executor()} handlers cannot take "
                        f"{item.name!r} "
                        f"({item.source} objects do not cross process boundaries)"
                    )
        model = return_annotation(func) if response_model is INFER else response_model
        if response_model is INFER and not _contains_model(model):
            model = None
        self.response_model = model
        # pydantic is imported here, with the first response model (response_for uses it)
        self.response_adapter: TypeAdapter[Any] | None = (
            pydantic.TypeAdapter(model) if model is not None else None
        )
        if self.response_adapter is None and status_code is None:
            # Nothing to validate or apply: the result converts as it is (decided once).
            self.response_for = to_response  # type: ignore[method-assign]

    def _controller_action(self, endpoint: tuple[type, str] | list[Any]) -> Callable[..., Any]:
        if (
            len(endpoint) != 2
            or not isinstance(endpoint[0], type)
            or not isinstance(endpoint[1], str)
        ):
            raise TypeError(
                f"a controller endpoint is (ControllerClass, 'method'), got {endpoint!r}"
            )
        cls, method = endpoint
        if not issubclass(cls, Controller):
            raise TypeError(f"{cls.__qualname__} must subclass orionis.Controller")
        func = getattr(cls, method, None)
        if func is None or not callable(func) or method.startswith("_"):
            raise ValueError(f"{cls.__qualname__} has no public action {method!r}")
        self.controller = cls
        return func

    def _shown_executor(self) -> str:
        if self.remote is None:
            return repr(self.executor)
        return f"<{type(self.remote).__name__}>"

    def _check_process_target(self) -> None:
        func = self.func
        shown = self._shown_executor()
        if self.controller is not None or not inspect.isfunction(func) or self.is_async:
            raise TypeError(
                f"{self.name}: executor={shown} needs a plain sync function defined at "
                "module level (it is pickled to the process pool)"
            )
        if "<locals>" in func.__qualname__ or func.__name__ == "<lambda>":
            raise TypeError(
                f"{self.name}: executor={shown} needs a module-level function, not a "
                "lambda or nested function"
            )

    def kwargs(self, request: Request) -> dict[str, Any]:
        """The arguments of an ``unsolved`` handler: typed path values and the request."""
        params = request.path_params
        return {
            name: params[name] if from_path else request for name, from_path in self.plain_arguments
        }

    async def run(self, request: Request) -> Any:
        """Fill the parameters from the request and call the endpoint; the raw result."""
        if self.unsolved:
            kwargs = self.kwargs(request)
            instance = self.controller() if self.controller is not None else None
        else:
            solver = request._solver = Solver(request, self.overrides)
            solved = await solver.solve(*self._plans)
            if solved is None:
                raise RequestValidationError(solver.errors)
            kwargs = solved[0]
            if self.controller is None:
                instance = None
            else:
                instance = self.controller(**solved[1]) if self.init_plan else self.controller()
        func = self.func
        if instance is not None:  # a controller action (never executor="process")
            if self.is_async:
                return await func(instance, **kwargs)
            return await run_in_threadpool(func, instance, **kwargs)
        if self.is_async:
            return await func(**kwargs)
        if self.remote is not None:
            return await run_in_executor(self.remote, func, kwargs, self.name)
        if self.executor == "process":
            if self.processes is None:
                raise RuntimeError(f"{self.name}: executor='process' needs the route table's pool")
            return await self.processes.run(func, kwargs)
        return await run_in_threadpool(func, **kwargs)

    def response_for(self, result: Any) -> Response:
        """The response for a handler's return value (see module docstring)."""
        adapter = self.response_adapter
        if adapter is None and self.status_code is None:
            return to_response(result)
        if isinstance(result, Response):
            return result  # a returned Response keeps its own status
        body, status, headers = split_result(result, self.status_code)
        if adapter is not None and body is not None and not isinstance(body, Response):
            try:
                content = adapter.dump_json(adapter.validate_python(body, from_attributes=True))
            except pydantic.ValidationError as exc:
                raise ResponseValidationError(
                    f"{self.name} returned data that does not match its response model "
                    f"{self.response_model!r}: {exc}"
                ) from exc
            response = Response(content, media_type="application/json")
        else:
            response = to_response(body)
        return _adjust(response, status, headers)


def _controller_alone(cls: type) -> str:
    """The message for a controller class registered without an action."""
    names = [n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))]
    usual = [n for n in ("index", "show", "store", "update", "destroy") if n in names]
    action = (usual or names or ["index"])[0]
    return (
        f"{cls.__qualname__} is a controller class: register one of its actions as "
        f'({cls.__qualname__}, "{action}"), or all of them with router.resource(path, '
        f"{cls.__qualname__})"
    )


def split_result(value: Any, status: int | None = None) -> tuple[Any, Any, Any]:
    """A return value as ``(body, status, headers)``: the one place a ``(body, status)`` or
    ``(body, status, headers)`` tuple is taken apart; anything else is the body, with
    ``status`` (the route's) and no headers."""
    if type(value) is not tuple:
        return value, status, None
    if len(value) not in (2, 3) or isinstance(value[0], tuple):
        raise TypeError(
            "a handler may return (body, status) or (body, status, headers), "
            f"got a tuple of {len(value)}"
        )
    return value[0], value[1], value[2] if len(value) == 3 else None


def _adjust(response: Response, status: Any, headers: Any) -> Response:
    """Apply a ``(body, status, headers)`` status and headers (``None``: leave as is)."""
    if status is not None:
        if not isinstance(status, int) or isinstance(status, bool):
            raise TypeError(
                f"the status in a returned (body, status) must be an int like 201 (or "
                f"HTTPStatus.CREATED), got {status!r} ({type(status).__name__})"
            )
        response.status_code = status
    if headers:
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            response.headers[name] = value
    return response


def to_response(value: Any) -> Response:
    """Turn what a handler returned into a ``Response`` (no response model involved)."""
    cls = type(value)
    if cls is dict or cls is list:
        return JSONResponse(value)
    if isinstance(value, Response):
        return value
    if cls is str:
        return PlainTextResponse(value)
    if value is None:
        return Response(status_code=204)
    if cls is bytes:
        return Response(value, media_type="application/octet-stream")
    if cls is tuple:
        body, status, headers = split_result(value)
        return _adjust(to_response(body), status, headers)
    if isinstance(value, Mapping | list) or hasattr(value, "model_dump"):
        return JSONResponse(value)
    if isinstance(value, str):
        return PlainTextResponse(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return Response(bytes(value), media_type="application/octet-stream")
    try:  # dataclasses and other orjson-native values
        return Response(json_dumps(value), media_type="application/json")
    except TypeError:
        raise TypeError(
            f"handler returned {cls.__name__}, which Orionis cannot turn into a response; "
            "return a dict, list, str, bytes, None, a pydantic model or a Response"
        ) from None
