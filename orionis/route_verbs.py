"""The route registration shortcuts, written once for ``Router`` and ``Application``:
``route`` and the seven verbs, and the options every registration accepts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from typing_extensions import Unpack

if TYPE_CHECKING:
    from orionis.dependencies import Depends
    from orionis.handlers import Endpoint, Executor

__all__ = ["REQUIRED", "RouteOptions", "RouteVerbs"]

REQUIRED: Any = object()  # ``methods`` of ``route`` has no default


class RouteOptions(TypedDict, total=False):
    """Options every route registration accepts (``app.get(path, **options)`` and friends)."""

    name: str | None
    middleware: Sequence[Any] | None
    dependencies: Sequence[Depends] | None
    max_body_size: int | None
    body_timeout: float | None
    cancel_on_disconnect: bool | None
    status_code: int | None
    response_model: Any
    executor: Executor
    tags: Sequence[str] | None
    summary: str | None
    description: str | None
    deprecated: bool
    responses: dict[int | str, Any] | None
    include_in_schema: bool
    rate_limit: Any


class RouteVerbs:
    """``route``/``get``/``post``/... for a class with ``_register(verb, path, endpoint,
    methods, options)``: each registers ``endpoint``, or returns a decorator that does (and
    returns the function unchanged)."""

    def _register(
        self,
        verb: str,
        path: str,
        endpoint: Endpoint | None,
        methods: Sequence[str],
        options: RouteOptions,
    ) -> Any:
        raise NotImplementedError

    def route(
        self,
        path: str,
        endpoint: Endpoint | None = None,
        *,
        methods: Sequence[str] = REQUIRED,
        **options: Unpack[RouteOptions],
    ) -> Any:
        """Register ``endpoint``, or return a decorator that does (and returns the function)."""
        return self._register("route", path, endpoint, methods, options)

    def get(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("get", path, endpoint, ["GET"], options)

    def post(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("post", path, endpoint, ["POST"], options)

    def put(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("put", path, endpoint, ["PUT"], options)

    def patch(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("patch", path, endpoint, ["PATCH"], options)

    def delete(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("delete", path, endpoint, ["DELETE"], options)

    def options(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("options", path, endpoint, ["OPTIONS"], options)

    def head(
        self, path: str, endpoint: Endpoint | None = None, **options: Unpack[RouteOptions]
    ) -> Any:
        return self._register("head", path, endpoint, ["HEAD"], options)
