"""Plans: how to fill one callable's parameters, computed once from its signature.

For every parameter a ``Plan`` records where the value comes from (path, query, header,
cookie, body, form, file, the request itself, background tasks, or a ``Depends``), the
pydantic ``TypeAdapter`` that checks it, and the reader that fetches it (an ``Input``).
Dependencies are plans too. Solving happens per request in ``orionis.dependencies.solver``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from orionis import _hot
from orionis.background import BackgroundTasks
from orionis.connections import HTTPConnection
from orionis.dependencies.bodies import read_body, read_form
from orionis.dependencies.call_styles import call_style
from orionis.dependencies.introspection import (
    is_body_type,
    is_sequence,
    is_upload,
    split_annotated,
    type_hints,
    type_name,
    wants_bytes,
)
from orionis.dependencies.markers import Depends
from orionis.dependencies.readers import MISSING, reader_for
from orionis.params import Body, File, Header, Param, Path, Query
from orionis.requests import Request
from orionis.websockets import WebSocket

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["Dependency", "Input", "Plan"]


@dataclasses.dataclass(slots=True, eq=False)
class Input:
    """One parameter that is not a dependency."""

    name: str  # the Python parameter name
    source: str  # path query header cookie body form file request websocket background
    # ("request": the Request, or a WebSocket's Handshake: both are HTTPConnections)
    key: str  # where to look: query/cookie/form name, lower-case header name, body key
    annotation: Any
    adapter: TypeAdapter[Any] | None  # None: no check needed (plain str, Request...)
    required: bool
    default: Any
    multi: bool  # collects repeated values (list[T])
    marker: Param | None
    embed: bool = False
    as_bytes: bool = False  # a file input typed ``bytes``: uploads are read whole
    # How it is read, chosen here once: ``read(solver, item)``, awaited if ``awaits``.
    read: Any = None
    awaits: bool = False

    def __post_init__(self) -> None:
        if self.source == "body":
            self.read, self.awaits = read_body, True
        elif self.source in ("form", "file"):
            self.read, self.awaits = read_form, True
        else:
            self.read = reader_for(self.source, self.multi)

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
        self.style = call_style(call)
        self.owner = owner or getattr(call, "__qualname__", repr(call))
        self.path_params = dict(path_params)
        self.inputs: list[Input] = []
        self.dependencies: list[Dependency] = [self._dependency(None, d) for d in (extra or [])]
        hints = type_hints(call)
        target = call.__init__ if inspect.isclass(call) else call  # type: ignore[misc]
        parameters = list(inspect.signature(target).parameters.values())
        if skip_first or inspect.isclass(call):
            parameters = parameters[1:]
        for parameter in parameters:
            self._add(parameter, hints.get(parameter.name, parameter.annotation))
        self._check_body()
        # No dependencies and nothing to await (e.g. JWTAuth's ``request``): the solver
        # reads it inline instead of through a coroutine.
        self.leaf = not self.dependencies and not any(i.awaits for i in self.inputs)

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
            for path_name, converter in self.path_params.items():
                if not any(i.name == path_name for i in self.inputs):
                    self.inputs.append(
                        self._input(path_name, _PATH_TYPES[converter], None, MISSING, Path())
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
        base, extras = split_annotated(annotation)
        default = parameter.default if parameter.default is not parameter.empty else MISSING
        for given in (base, *extras, default):
            if isinstance(given, type) and issubclass(given, Param | Depends):
                self._uncalled(name, given)
        marker: Param | Depends | None = None
        for extra in extras:
            if isinstance(extra, Param | Depends):
                marker = extra
        if isinstance(default, Param | Depends):  # FastAPI style: q: int = Query(1)
            marker = default
            default = default.default if isinstance(default, Param) else MISSING
        elif isinstance(marker, Param) and marker.default is not MISSING and default is MISSING:
            default = marker.default
        if isinstance(marker, Depends):
            self.dependencies.append(self._dependency(name, marker, base))
            return
        if isinstance(base, type) and issubclass(base, HTTPConnection):
            # Request, or HTTPConnection: what a WebSocket handshake also is
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
            elif is_upload(base):
                marker = File()
            elif is_body_type(base):
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
        return Input(name, source, name, annotation, None, True, MISSING, False, None)

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
        multi = source in ("query", "header", "form", "file") and is_sequence(base)
        if source in ("query", "header", "cookie", "path") and is_body_type(base):
            raise TypeError(
                f"{self.owner}: parameter {name!r} of type {base!r} cannot come from the "
                f"{source}; mark it Body() or use a scalar type"
            )
        extra_metadata = [e for e in (extras or []) if not isinstance(e, Param | Depends)]
        adapter = self._adapter(base, marker, extra_metadata, source, name)
        required = default is MISSING
        embed = isinstance(marker, Body) and marker.embed
        as_bytes = source == "file" and wants_bytes(base)
        return Input(
            name, source, key, base, adapter, required, default, multi, marker, embed, as_bytes
        )

    def _adapter(
        self, base: Any, marker: Param, metadata: list[Any], source: str, name: str
    ) -> TypeAdapter[Any] | None:
        field = marker.field_info()
        plain = field is None and not metadata
        # pydantic is imported with the first input that needs a validator, not before.
        if source == "path":
            converted = _PATH_TYPES[self.path_params[name]]
            if plain and (base is Any or base is converted):
                return None  # the router's converter already produced this type
            if plain and base is str:  # e.g. {n:int} read as text: "5", not 5
                import pydantic

                return pydantic.TypeAdapter(Annotated[str, pydantic.BeforeValidator(str)])
        if source == "file" and is_upload(base):
            return None
        if plain and base is Any:
            return None
        # Query strings, headers and cookies are text already; JSON and form values are not
        # (a number, an object, an uploaded file), so a plain ``str`` is checked there too.
        if plain and base is str and source in ("query", "header", "cookie"):
            return None
        import pydantic
        from pydantic import TypeAdapter

        parts = [base, *metadata] + ([field] if field is not None else [])
        annotated = Annotated[tuple(parts)] if len(parts) > 1 else base  # type: ignore[valid-type]
        try:
            return TypeAdapter(annotated)
        except pydantic.PydanticSchemaGenerationError:
            shown = type_name(base)
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
    def unsolved(self) -> bool:
        """Only path values the router already typed, and the request: no solving needed."""
        return not self.dependencies and all(
            (i.source == "path" and i.adapter is None) or i.source == "request" for i in self.inputs
        )
