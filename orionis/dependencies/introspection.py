"""Reading parameter annotations: optionals, sequences, body types, uploads, hints."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union

from orionis._pydantic import is_model
from orionis.forms import UploadFile

__all__ = [
    "is_body_type",
    "is_sequence",
    "is_upload",
    "split_annotated",
    "type_hints",
    "type_name",
    "unwrap_optional",
    "wants_bytes",
]


def unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(unwrap_optional(annotation))
    return origin in (list, set, frozenset, tuple) or annotation in (list, set, tuple)


def is_body_type(annotation: Any) -> bool:
    """Types that only make sense as a JSON body when no marker says otherwise."""
    inner = unwrap_optional(annotation)
    origin = typing.get_origin(inner) or inner
    if isinstance(origin, type):
        if is_model(origin) or dataclasses.is_dataclass(origin):
            return True
        if issubclass(origin, dict | Mapping):
            return True
        if typing.is_typeddict(origin):
            return True
    if origin in (list, set, frozenset, tuple):
        return any(is_body_type(arg) for arg in typing.get_args(inner))
    return False


def wants_bytes(annotation: Any) -> bool:
    """``bytes`` or a sequence of ``bytes`` (optionally ``| None``): a file read whole."""
    inner = unwrap_optional(annotation)
    return inner is bytes or (is_sequence(inner) and bytes in typing.get_args(inner))


def is_upload(annotation: Any) -> bool:
    inner = unwrap_optional(annotation)
    if is_sequence(inner):
        args = typing.get_args(inner)
        inner = args[0] if args else inner
    return inner is UploadFile


def type_hints(call: Callable[..., Any]) -> dict[str, Any]:
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


def type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        module = annotation.__module__
        prefix = "" if module in ("builtins", "__main__") else f"{module}."
        return prefix + annotation.__qualname__
    return repr(annotation).replace("typing.", "")


def split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        return base, extras
    return annotation, []
