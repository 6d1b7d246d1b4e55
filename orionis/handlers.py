"""Calling an endpoint: a plan computed once per route, and return-value conversion.

The signature is inspected when the route is registered, never per request. A parameter is
filled by name from the path parameters, or with the request when it is annotated
``Request`` (or unannotated and named ``request``); one with a default may be left out.
Anything else is a registration-time ``TypeError`` that names the parameter.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from orionis.concurrency import run_in_threadpool
from orionis.controllers import Controller
from orionis.requests import Request
from orionis.responses import JSONResponse, PlainTextResponse, Response, json_dumps

__all__ = ["Handler", "to_response"]

Endpoint = Callable[..., Any] | tuple[type, str] | list[Any]


def _is_async(func: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - callable instances
    return call is not None and inspect.iscoroutinefunction(call)


def _type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    target = func if inspect.isfunction(func) or inspect.ismethod(func) else type(func).__call__
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable forward references: fall back to raw annotations
        return dict(getattr(target, "__annotations__", {}))


def _is_request_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Request)


class Handler:
    """One endpoint, ready to call with a request."""

    __slots__ = ("_kwargs", "controller", "func", "is_async", "name")

    def __init__(
        self, endpoint: Endpoint, path_params: frozenset[str], *, plan: bool = True
    ) -> None:
        self.controller: type | None = None
        if isinstance(endpoint, tuple | list):
            func = self._controller_action(endpoint)
        elif callable(endpoint):
            func = endpoint
        else:
            raise TypeError(
                f"an endpoint must be a callable or a (ControllerClass, 'method') pair, "
                f"got {endpoint!r}"
            )
        self.func = func
        self.is_async = _is_async(func)
        self.name = getattr(func, "__name__", type(func).__name__)
        # ``plan=False`` only validates the endpoint's shape (at registration, before the
        # full path with router prefixes is known).
        self._kwargs = self._plan(func, path_params) if plan else ()

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
        init = inspect.signature(cls.__init__)
        required = [
            p
            for name, p in list(init.parameters.items())[1:]
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required:
            raise TypeError(
                f"{cls.__qualname__} is created per request without arguments; "
                f"its __init__ requires {', '.join(p.name for p in required)}"
            )
        self.controller = cls
        return func

    def _plan(
        self, func: Callable[..., Any], path_params: frozenset[str]
    ) -> tuple[tuple[str, bool], ...]:
        """``(name, from_path)`` per parameter to fill; ``from_path=False`` is the request."""
        signature = inspect.signature(func)
        hints = _type_hints(func)
        parameters = list(signature.parameters.values())
        if self.controller is not None:
            parameters = parameters[1:]  # self
        plan: list[tuple[str, bool]] = []
        for p in parameters:
            if p.kind is p.VAR_KEYWORD:
                plan.extend((name, True) for name in sorted(path_params))
                continue
            if p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind is p.POSITIONAL_ONLY:
                raise TypeError(
                    f"{self.name}: positional-only parameter {p.name!r} cannot be filled"
                )
            annotation = hints.get(p.name, p.annotation)
            if p.name in path_params:
                plan.append((p.name, True))
            elif _is_request_type(annotation) or (p.name == "request" and annotation is p.empty):
                plan.append((p.name, False))
            elif p.default is p.empty:
                raise TypeError(
                    f"{self.name}: cannot fill parameter {p.name!r}; it is not a path "
                    f"parameter ({', '.join(sorted(path_params)) or 'none in this route'}) "
                    f"and not annotated Request. Give it a default or add it to the path."
                )
        return tuple(plan)

    async def __call__(self, request: Request) -> Any:
        params = request.path_params
        kwargs = {
            name: (params[name] if from_path else request) for name, from_path in self._kwargs
        }
        func = self.func
        if self.controller is not None:
            instance = self.controller()
            if self.is_async:
                return await func(instance, **kwargs)
            return await run_in_threadpool(func, instance, **kwargs)
        if self.is_async:
            return await func(**kwargs)
        return await run_in_threadpool(func, **kwargs)


def to_response(value: Any) -> Response:
    """Turn what a handler returned into a ``Response`` (see CONTRACT.md, Handlers)."""
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
        return _from_tuple(value)
    if isinstance(value, Mapping | list) or hasattr(value, "model_dump"):
        return JSONResponse(value)
    if isinstance(value, str):
        return PlainTextResponse(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return Response(bytes(value), media_type="application/octet-stream")
    # dataclasses and other orjson-native values (tuple subclasses, ints...) as JSON, if they can
    try:
        return Response(json_dumps(value), media_type="application/json")
    except TypeError:
        raise TypeError(
            f"handler returned {cls.__name__}, which Orionis cannot turn into a response; "
            "return a dict, list, str, bytes, None, a pydantic model or a Response"
        ) from None


def _from_tuple(value: tuple[Any, ...]) -> Response:
    if len(value) not in (2, 3) or isinstance(value[0], tuple):
        raise TypeError(
            "a handler may return (body, status) or (body, status, headers), "
            f"got a tuple of {len(value)}"
        )
    response = to_response(value[0])
    if value[0] is None and value[1] != 204:
        response = Response(status_code=value[1])
    response.status_code = value[1]
    if len(value) == 3 and value[2]:
        headers = value[2]
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, header_value in items:
            response.headers[name] = header_value
    return response
