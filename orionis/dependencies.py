"""Filling a callable's parameters from a request: plans built once, solved per request.

A ``Plan`` is computed from a signature when the route table is built (never per request):
for every parameter it records where the value comes from (path, query, header, cookie,
body, form, file, the request itself, background tasks, or a ``Depends``) and the pydantic
``TypeAdapter`` that checks it. Solving a plan for a request collects *every* validation
error before anything is called, then raises one ``RequestValidationError`` (422).

Dependencies (``Depends(fn)``) are plans too. They run before the parameters of the callable
that needs them, at most once per request unless ``use_cache=False``. Generator dependencies
are finished after the response has been sent, in reverse order; if the handler raised, the
exception is thrown into them first, so ``except``/``finally`` around the ``yield`` can roll
back. ``app.dependency_overrides[original] = replacement`` swaps a dependency (for tests).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import logging
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union

import pydantic
from pydantic import TypeAdapter
from pydantic_core import PydanticUndefined

from orionis import _hot
from orionis.background import BackgroundTasks
from orionis.concurrency import run_in_threadpool
from orionis.exceptions import HTTPException, RequestValidationError
from orionis.forms import UploadFile
from orionis.params import Body, File, Header, Param, Path, Query
from orionis.requests import Request
from orionis.websockets import WebSocket

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["Depends", "Input", "Plan", "RequestContext"]

logger = logging.getLogger("orionis")

_MISSING: Any = PydanticUndefined

# How a callable is run.
ASYNC, SYNC, ASYNC_GEN, SYNC_GEN = "async", "sync", "async_gen", "sync_gen"


class Depends:
    """``db: Annotated[DB, Depends(get_db)]``: the parameter is what ``get_db`` returns.

    ``Depends()`` with no callable uses the annotated class itself. With ``use_cache=False``
    the dependency runs each time it is needed in a request instead of once.
    """

    __slots__ = ("dependency", "use_cache")

    def __init__(self, dependency: Callable[..., Any] | None = None, *, use_cache: bool = True):
        if dependency is not None and not callable(dependency):
            raise TypeError(f"Depends() takes a callable, got {dependency!r}")
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", repr(self.dependency))
        return f"Depends({name})"


def call_kind(call: Callable[..., Any]) -> str:
    if inspect.isasyncgenfunction(call):
        return ASYNC_GEN
    if inspect.isgeneratorfunction(call):
        return SYNC_GEN
    if inspect.iscoroutinefunction(call):
        return ASYNC
    if inspect.isclass(call) or inspect.isfunction(call):
        return SYNC
    # A callable instance runs as its ``__call__`` method does.
    method = getattr(call, "__call__", None)  # noqa: B004
    if inspect.isfunction(method) or inspect.ismethod(method):
        return call_kind(method)
    return SYNC


# -- type inspection ---------------------------------------------------------------------
def unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(unwrap_optional(annotation))
    return origin in (list, set, frozenset, tuple) or annotation in (list, set, tuple)


def _is_body_type(annotation: Any) -> bool:
    """Types that only make sense as a JSON body when no marker says otherwise."""
    inner = unwrap_optional(annotation)
    origin = typing.get_origin(inner) or inner
    if isinstance(origin, type):
        if issubclass(origin, pydantic.BaseModel) or dataclasses.is_dataclass(origin):
            return True
        if issubclass(origin, dict | Mapping):
            return True
        if typing.is_typeddict(origin):
            return True
    if origin in (list, set, frozenset, tuple):
        return any(_is_body_type(arg) for arg in typing.get_args(inner))
    return False


def _wants_bytes(annotation: Any) -> bool:
    """``bytes`` or a sequence of ``bytes`` (optionally ``| None``): a file read whole."""
    inner = unwrap_optional(annotation)
    return inner is bytes or (_is_sequence(inner) and bytes in typing.get_args(inner))


def _is_upload(annotation: Any) -> bool:
    inner = unwrap_optional(annotation)
    if _is_sequence(inner):
        args = typing.get_args(inner)
        inner = args[0] if args else inner
    return inner is UploadFile


def _type_hints(call: Callable[..., Any]) -> dict[str, Any]:
    """Annotations with string (postponed) ones evaluated; unresolvable ones stay strings."""
    target: Any = call
    if inspect.isclass(call):
        target = call.__init__
    elif not (inspect.isfunction(call) or inspect.ismethod(call)):
        target = getattr(call, "__call__", call)  # noqa: B004
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # one bad name must not hide the others: resolve one by one
        pass
    namespace = getattr(inspect.unwrap(target), "__globals__", {})
    hints = {}
    for name, value in getattr(target, "__annotations__", {}).items():
        if isinstance(value, str):
            # unresolvable names stay strings; Plan reports them with the parameter's name
            with contextlib.suppress(Exception):
                value = eval(value, dict(namespace))  # the function's own annotation text
        hints[name] = value
    return hints


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        module = annotation.__module__
        prefix = "" if module in ("builtins", "__main__") else f"{module}."
        return prefix + annotation.__qualname__
    return repr(annotation).replace("typing.", "")


def _split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        return base, extras
    return annotation, []


# -- plans -------------------------------------------------------------------------------
@dataclasses.dataclass(slots=True, eq=False)
class Input:
    """One parameter that is not a dependency."""

    name: str  # the Python parameter name
    source: str  # path query header cookie body form file request websocket background
    key: str  # where to look: query/cookie/form name, lower-case header name, body key
    annotation: Any
    adapter: TypeAdapter[Any] | None  # None: no check needed (plain str, Request...)
    required: bool
    default: Any
    multi: bool  # collects repeated values (list[T])
    marker: Param | None
    embed: bool = False
    as_bytes: bool = False  # a file input typed ``bytes``: uploads are read whole

    def error(self, kind: str, msg: str, loc: tuple[Any, ...] = ()) -> dict[str, Any]:
        """An error entry; ``loc`` starts with path/query/header/cookie/body (forms: body)."""
        where: list[Any] = ["body" if self.source in ("form", "file") else self.source]
        if self.source != "body" or self.embed:
            where.append(self.key)
        return {"loc": [*where, *loc], "type": kind, "msg": msg}


@dataclasses.dataclass(slots=True, eq=False)
class Dependency:
    name: str | None  # parameter name, or None for route/router-level dependencies
    call: Callable[..., Any]
    use_cache: bool
    plan: Plan


_matcher = _hot.matcher
# What the router's converter produced for a path parameter, by converter kind.
_PATH_TYPES = {
    _matcher.STR: str,
    _matcher.INT: int,
    _matcher.FLOAT: float,
    _matcher.UUID: uuid.UUID,
    _matcher.PATH: str,
}


class Plan:
    """How to fill one callable's parameters; built once, solved per request."""

    def __init__(
        self,
        call: Callable[..., Any],
        path_params: Mapping[str, int],
        *,
        skip_first: bool = False,
        extra: list[Depends] | None = None,
        owner: str | None = None,
    ) -> None:
        self.kind = call_kind(call)
        self.owner = owner or getattr(call, "__qualname__", repr(call))
        self.path_params = dict(path_params)
        self.inputs: list[Input] = []
        self.dependencies: list[Dependency] = [self._dependency(None, d) for d in (extra or [])]
        hints = _type_hints(call)
        target = call.__init__ if inspect.isclass(call) else call  # type: ignore[misc]
        parameters = list(inspect.signature(target).parameters.values())
        if skip_first or inspect.isclass(call):
            parameters = parameters[1:]
        for parameter in parameters:
            self._add(parameter, hints.get(parameter.name, parameter.annotation))
        self._check_body()

    @functools.cached_property
    def guards(self) -> list[Dependency]:
        """Dependencies run before anything else is validated: route/router dependencies
        (given as ``extra``) and any dependency declaring a security scheme (JWTAuth...), so
        an unauthenticated request is refused before its input is parsed.

        Lazy because only top-level plans are solved with guards; computing it for every
        dependency's own plan would walk the dependency tree again at each level.
        """
        guards = [d for d in self.dependencies if d.name is None]
        guards += [
            d
            for d in self.all_dependencies()
            if getattr(d.call, "openapi_security", None) and d not in guards
        ]
        return guards

    # -- building --------------------------------------------------------------------
    def _dependency(self, name: str | None, marker: Depends, annotation: Any = None) -> Dependency:
        call = marker.dependency
        if call is None:
            if not inspect.isclass(annotation) or annotation is Any:
                raise TypeError(
                    f"{self.owner}: Depends() without a callable needs a class annotation "
                    f"(parameter {name!r})"
                )
            call = annotation
        return Dependency(name, call, marker.use_cache, Plan(call, self.path_params))

    def _add(self, parameter: inspect.Parameter, annotation: Any) -> None:
        name = parameter.name
        if parameter.kind is parameter.VAR_POSITIONAL:
            return
        if parameter.kind is parameter.VAR_KEYWORD:  # **kwargs receives the path values
            for path_name, kind in self.path_params.items():
                if not any(i.name == path_name for i in self.inputs):
                    self.inputs.append(
                        self._input(path_name, _PATH_TYPES[kind], None, _MISSING, Path())
                    )
            return
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise TypeError(f"{self.owner}: positional-only parameter {name!r} cannot be filled")
        if annotation is inspect.Parameter.empty:
            annotation = Any
        if isinstance(annotation, str):
            raise TypeError(
                f"{self.owner}: parameter {name!r} has the annotation {annotation!r}, which "
                "cannot be resolved; define that type at module level (postponed annotations "
                "cannot see local names)"
            )
        base, extras = _split_annotated(annotation)
        default = parameter.default if parameter.default is not parameter.empty else _MISSING
        for given in (base, *extras, default):
            if isinstance(given, type) and issubclass(given, Param | Depends):
                self._uncalled(name, given)
        marker: Param | Depends | None = None
        for extra in extras:
            if isinstance(extra, Param | Depends):
                marker = extra
        if isinstance(default, Param | Depends):  # FastAPI style: q: int = Query(1)
            marker = default
            default = default.default if isinstance(default, Param) else _MISSING
        elif isinstance(marker, Param) and marker.default is not _MISSING and default is _MISSING:
            default = marker.default
        if isinstance(marker, Depends):
            self.dependencies.append(self._dependency(name, marker, base))
            return
        if isinstance(base, type) and issubclass(base, Request):
            self.inputs.append(self._special(name, "request", base))
            return
        if isinstance(base, type) and issubclass(base, WebSocket):
            self.inputs.append(self._special(name, "websocket", base))
            return
        if name == "request" and base is Any and marker is None:
            self.inputs.append(self._special(name, "request", Request))
            return
        if isinstance(base, type) and issubclass(base, BackgroundTasks):
            self.inputs.append(self._special(name, "background", base))
            return
        if marker is None:
            if name in self.path_params:
                marker = Path()
            elif _is_upload(base):
                marker = File()
            elif _is_body_type(base):
                marker = Body()
            else:
                marker = Query()
        self.inputs.append(self._input(name, base, extras, default, marker))

    def _uncalled(self, name: str, marker: type) -> None:
        """``v = Depends`` or ``Annotated[T, Query]``: the marker class, never instantiated."""
        what = marker.__name__
        call = f"{what}(get_{name})" if issubclass(marker, Depends) else f"{what}()"
        raise TypeError(
            f"{self.owner}: parameter {name!r} uses the class {what} itself; call it: "
            f"{name}: Annotated[T, {call}] or {name}: T = {call}"
        )

    @staticmethod
    def _special(name: str, source: str, annotation: Any) -> Input:
        return Input(name, source, name, annotation, None, True, _MISSING, False, None)

    def _input(
        self, name: str, base: Any, extras: list[Any] | None, default: Any, marker: Param
    ) -> Input:
        source = marker.source
        if source == "path" and name not in self.path_params:
            raise TypeError(
                f"{self.owner}: {name!r} is marked Path() but the route path has no {{{name}}}"
            )
        if source != "path" and name in self.path_params:
            raise TypeError(
                f"{self.owner}: {name!r} is a path parameter "
                f"but is marked {type(marker).__name__}()"
            )
        key = marker.alias or name
        if isinstance(marker, Header):
            if marker.alias is None and marker.convert_underscores:
                key = name.replace("_", "-")
            key = key.lower()
        multi = source in ("query", "header", "form", "file") and _is_sequence(base)
        if source in ("query", "header", "cookie", "path") and _is_body_type(base):
            raise TypeError(
                f"{self.owner}: parameter {name!r} of type {base!r} cannot come from the "
                f"{source}; mark it Body() or use a scalar type"
            )
        extra_metadata = [e for e in (extras or []) if not isinstance(e, Param | Depends)]
        adapter = self._adapter(base, marker, extra_metadata, source, name)
        required = default is _MISSING
        embed = isinstance(marker, Body) and marker.embed
        as_bytes = source == "file" and _wants_bytes(base)
        return Input(
            name, source, key, base, adapter, required, default, multi, marker, embed, as_bytes
        )

    def _adapter(
        self, base: Any, marker: Param, metadata: list[Any], source: str, name: str
    ) -> TypeAdapter[Any] | None:
        field = marker.field_info()
        plain = field is None and not metadata
        if source == "path":
            converted = _PATH_TYPES[self.path_params[name]]
            if plain and (base is Any or base is converted):
                return None  # the router's converter already produced this type
            if plain and base is str:  # e.g. {n:int} read as text: "5", not 5
                return TypeAdapter(Annotated[str, pydantic.BeforeValidator(str)])
        if source == "file" and _is_upload(base):
            return None
        if plain and base is Any:
            return None
        # Query strings, headers and cookies are text already; JSON and form values are not
        # (a number, an object, an uploaded file), so a plain ``str`` is checked there too.
        if plain and base is str and source in ("query", "header", "cookie"):
            return None
        parts = [base, *metadata] + ([field] if field is not None else [])
        annotated = Annotated[tuple(parts)] if len(parts) > 1 else base  # type: ignore[valid-type]
        try:
            return TypeAdapter(annotated)
        except pydantic.PydanticSchemaGenerationError:
            shown = _type_name(base)
            raise TypeError(
                f"{self.owner}: parameter {name!r} of type {shown} cannot be read from a "
                f"request; make it a Depends (Annotated[{shown}, Depends(get_{name})]), "
                "Request, a pydantic model (the JSON body) or a scalar (str, int, list[str]...)"
            ) from None

    def _check_body(self) -> None:
        bodies = [i for i in self.inputs if i.source == "body"]
        forms = [i for i in self.inputs if i.source in ("form", "file")]
        if bodies and forms:
            raise TypeError(
                f"{self.owner}: a handler cannot take both a JSON body and form fields "
                f"(JSON: {', '.join(repr(i.name) for i in bodies)}; "
                f"form: {', '.join(repr(i.name) for i in forms)})"
            )
        if len(bodies) > 1:
            for body in bodies:
                body.embed = True  # several body parameters: {"a": ..., "b": ...}

    # -- introspection (OpenAPI, tests) -------------------------------------------------
    def all_inputs(self) -> list[Input]:
        """Inputs of this plan and of every dependency below it (deduplicated)."""
        seen: dict[tuple[str, str], Input] = {}
        for dep in self.dependencies:
            for item in dep.plan.all_inputs():
                seen.setdefault((item.source, item.key), item)
        for item in self.inputs:
            seen.setdefault((item.source, item.key), item)
        return list(seen.values())

    def all_dependencies(self) -> list[Dependency]:
        found: list[Dependency] = []
        for dep in self.dependencies:
            found.extend(dep.plan.all_dependencies())
            found.append(dep)
        return found

    @property
    def simple(self) -> bool:
        """Only path values the router already typed, and the request: no solving needed."""
        return not self.dependencies and all(
            (i.source == "path" and i.adapter is None) or i.source == "request" for i in self.inputs
        )


# -- solving -----------------------------------------------------------------------------
def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def _errors(item: Input, exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors(include_url=False, include_input=False):
        entry = item.error(error["type"], error["msg"], tuple(error["loc"]))
        ctx = error.get("ctx")
        if ctx:
            entry["ctx"] = _json_safe(ctx)
        out.append(entry)
    return out


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


# Where a 415 names what would have been accepted: Accept-Post (W3C LDP) and Accept-Patch
# (RFC 5789); other methods have no such header, so the detail says it.
_ACCEPT_HEADERS = {"POST": "accept-post", "PATCH": "accept-patch"}


def _unsupported_media_type(method: str, content_type: str | None) -> HTTPException:
    """415 for a JSON body sent as something else (RFC 9110 15.5.16), not a 422: the body
    was never read as JSON. The ``errors`` entry is the one a 422 would have carried."""
    message = f"Expected a JSON body (application/json), got {content_type or 'no Content-Type'}"
    header = _ACCEPT_HEADERS.get(method)
    return HTTPException(
        415,
        f"{message}; send it with Content-Type: application/json.",
        headers={header: "application/json"} if header else None,
        extra={"errors": [{"loc": ["body"], "type": "content_type", "msg": message}]},
    )


class RequestContext:
    """Per-request state for solving: cache, cleanups, background tasks, parsed bodies."""

    __slots__ = (
        "app",
        "background",
        "body_failed",
        "cache",
        "called",
        "errors",
        "exits",
        "form",
        "overrides",
        "request",
    )

    def __init__(self, request: Request) -> None:
        self.request = request
        self.app: Application = request.app
        # Read once per request; usually empty, so each dependency runs as planned.
        self.overrides = self.app.dependency_overrides
        self.cache: dict[Any, Any] = {}
        self.called: dict[Dependency, Any] = {}
        self.exits: list[tuple[str, Any]] = []
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
                await self._validate(self._effective(guard)[1], inputs)
                if self.errors:
                    return None
                await self._call(guard, inputs)
        for plan in plans:
            await self._validate(plan, inputs)
        if self.errors:
            return None
        return [await self._kwargs(plan, inputs) for plan in plans]

    def _effective(self, dep: Dependency) -> tuple[Callable[..., Any], Plan]:
        """The callable and plan that run for ``dep``: its override's, if it has one."""
        overrides = self.overrides
        if overrides and dep.call in overrides:
            call = overrides[dep.call]
            return call, self.app.override_plan(call, dep.plan.path_params)
        return dep.call, dep.plan

    async def _validate(self, plan: Plan, inputs: dict[int, dict[str, Any]]) -> None:
        if id(plan) in inputs:  # a dependency shared by several callables
            return
        values = inputs[id(plan)] = {}
        for dep in plan.dependencies:
            await self._validate(self._effective(dep)[1], inputs)
        for item in plan.inputs:
            source = item.source
            if source == "body":  # only the body and forms need I/O
                value = await self._body_value(item)
            elif source == "form" or source == "file":
                value = await self._form_value(item)
            else:
                value = self._value(item)
            if value is not _MISSING:
                values[item.name] = value

    async def _kwargs(self, plan: Plan, inputs: dict[int, dict[str, Any]]) -> dict[str, Any]:
        values = inputs[id(plan)]
        if not plan.dependencies:  # nothing to add: callers unpack it, never change it
            return values
        kwargs = dict(values)
        for dep in plan.dependencies:
            value = await self._call(dep, inputs)
            if dep.name is not None:
                kwargs[dep.name] = value
        return kwargs

    async def _call(self, dep: Dependency, inputs: dict[int, dict[str, Any]]) -> Any:
        if dep in self.called:  # a guard, already run first
            return self.called[dep]
        call, plan = self._effective(dep)
        if dep.use_cache and call in self.cache:
            return self.cache[call]
        kwargs = await self._kwargs(plan, inputs)
        kind = plan.kind
        if kind == ASYNC:
            value = await call(**kwargs)
        elif kind == SYNC:
            value = await run_in_threadpool(call, **kwargs)
        elif kind == ASYNC_GEN:
            generator = call(**kwargs)
            try:
                value = await generator.__anext__()
            except StopAsyncIteration:
                raise RuntimeError(f"dependency {plan.owner} did not yield") from None
            self.exits.append((ASYNC_GEN, generator))
        else:
            generator = call(**kwargs)
            value = await run_in_threadpool(_first, generator, plan.owner)
            self.exits.append((SYNC_GEN, generator))
        if dep.use_cache:
            self.cache[call] = value
        self.called[dep] = value
        return value

    def _value(self, item: Input) -> Any:
        """A value that needs no I/O: path, query, header, cookie, request, background."""
        source = item.source
        request = self.request
        if source == "request":
            return request
        if source == "websocket":  # set on WebSocket handshakes only (websocket_routing)
            return request.websocket  # type: ignore[attr-defined]
        if source == "background":
            if self.background is None:
                self.background = BackgroundTasks()
            return self.background
        if source == "path":
            raw: Any = request.path_params.get(item.key, _MISSING)
        elif source == "query":
            params = request.query_params
            raw = params.getlist(item.key) if item.multi else params.get(item.key, _MISSING)
        elif source == "header":
            headers = request.headers
            raw = headers.getlist(item.key) if item.multi else headers.get(item.key, _MISSING)
        else:
            raw = request.cookies.get(item.key, _MISSING)
        if item.multi and raw == []:
            raw = _MISSING
        return self._check(item, raw)

    def _check(self, item: Input, raw: Any) -> Any:
        if raw is _MISSING:
            if item.required:
                self.errors.append(item.error("missing", "Field required"))
                return _MISSING
            return item.default
        if item.adapter is None:
            return raw
        try:
            return item.adapter.validate_python(raw)
        except pydantic.ValidationError as exc:
            self.errors.extend(_errors(item, exc))
            return _MISSING

    def _body_error(self, kind: str, msg: str) -> Any:
        self.body_failed = True
        self.errors.append({"loc": ["body"], "type": kind, "msg": msg})
        return _MISSING

    async def _body_value(self, item: Input) -> Any:
        request = self.request
        body = await request.body()
        if not body:
            return self._check(item, _MISSING)
        if self.body_failed:
            return _MISSING
        content_type = request.headers.get("content-type")
        if not _is_json(content_type):
            raise _unsupported_media_type(request.method, content_type)
        if not item.embed and item.adapter is not None:
            try:  # straight from the bytes: no intermediate Python objects
                return item.adapter.validate_json(body)
            except pydantic.ValidationError as exc:
                self.errors.extend(_errors(item, exc))
                return _MISSING
        try:
            data = await request.json()  # parsed once, shared with the handler's request.json()
        except RequestValidationError as exc:  # malformed JSON: one entry for the whole body
            self.body_failed = True
            self.errors.extend(exc.errors)
            return _MISSING
        if not item.embed:
            return data
        if not isinstance(data, dict):
            return self._body_error("dict_type", "Input should be a JSON object")
        return self._check(item, data.get(item.key, _MISSING))

    async def _form_value(self, item: Input) -> Any:
        """A form field or upload, checked; ``_MISSING`` if its error is already reported."""
        form = self.form
        if form is None:
            if self.body_failed:
                return _MISSING
            try:
                form = self.form = await self.request.form()
            except RequestValidationError as exc:  # malformed form: one entry, with the rest
                self.body_failed = True
                self.errors.extend(exc.errors)
                return _MISSING
        values = form.getlist(item.key)
        if not values:
            return self._check(item, _MISSING)
        if item.source == "file":
            if not all(isinstance(v, UploadFile) for v in values):
                self.errors.append(item.error("file_type", "Expected an uploaded file"))
                return _MISSING
            if item.as_bytes:
                values = [await _read_all(u) for u in values]
        return self._check(item, values if item.multi else values[-1])

    # -- after the response ----------------------------------------------------------
    async def finish(self, error: BaseException | None) -> None:
        """Run background tasks (unless the handler raised: the work it queued belongs to
        a request that failed), then finish generator dependencies in reverse order."""
        if self.background is None and not self.exits:
            return
        if self.background is not None and error is None:
            await self.background.run()
        while self.exits:
            kind, generator = self.exits.pop()
            try:
                if kind == ASYNC_GEN:
                    await _finish_async(generator, error)
                else:
                    await run_in_threadpool(_finish_sync, generator, error)
            except Exception:
                logger.exception("cleanup of dependency %r failed", generator)


async def _read_all(upload: UploadFile) -> bytes:
    """The whole upload, leaving it rewound for whoever reads it next."""
    await upload.seek(0)
    data = await upload.read()
    await upload.seek(0)
    return data


def _first(generator: Any, owner: str) -> Any:
    try:
        return next(generator)
    except StopIteration:
        raise RuntimeError(f"dependency {owner} did not yield") from None


async def _finish_async(generator: Any, error: BaseException | None) -> None:
    try:
        if error is None:
            await generator.__anext__()
        else:
            await generator.athrow(error)
    except StopAsyncIteration:
        return
    except BaseException as exc:
        if exc is error:
            return
        raise
    raise RuntimeError(f"dependency {generator!r} yielded more than once")


def _finish_sync(generator: Any, error: BaseException | None) -> None:
    try:
        if error is None:
            next(generator)
        else:
            generator.throw(error)
    except StopIteration:
        return
    except BaseException as exc:
        if exc is error:
            return
        raise
    raise RuntimeError(f"dependency {generator!r} yielded more than once")
