"""Path templates: ``{name:conv}`` / ``<conv:name>`` parsed into segments, and the
parameters of ``url_path_for`` checked and formatted back into a path.

Converters are the matcher's (``orionis._hot.matcher``): ``str``, ``int``, ``float``,
``uuid`` and ``path``; a parameter spans a whole segment and ``path`` must come last.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from orionis import _hot

__all__ = ["CONVERTERS", "NoMatchFound", "Segment", "format_param", "parse_path", "shape"]

_matcher = _hot.matcher
CONVERTERS = _matcher.CONVERTERS  # name -> the matcher's converter code
_CONVERTER_NAMES = {code: name for name, code in CONVERTERS.items()}

_BRACES = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?\}$")
_ANGLES = re.compile(r"^<(?:([A-Za-z_]+):)?([A-Za-z_][A-Za-z0-9_]*)>$")

Segment = str | tuple[str, int]


class NoMatchFound(LookupError):
    """``url_path_for`` got an unknown route name or parameters that do not fit it."""


def parse_path(path: str) -> list[Segment]:
    """Split a path template into literal strings and ``(name, converter)`` parameters."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"route path {path!r} must be a string starting with '/'")
    segments: list[Segment] = []
    seen: set[str] = set()
    for part in path[1:].split("/"):
        match = _BRACES.match(part)
        if match:
            name, conv = match.group(1), match.group(2) or "str"
        else:
            match = _ANGLES.match(part)
            if match:
                conv, name = match.group(1) or "str", match.group(2)
        if match is None:
            if any(c in part for c in "{}<>"):
                raise ValueError(
                    f"route path {path!r}: segment {part!r} mixes text and a parameter; "
                    "a parameter must be a whole segment like {name} or {name:int}"
                )
            segments.append(part)
            continue
        if conv not in CONVERTERS:
            raise ValueError(
                f"route path {path!r}: unknown converter {conv!r}; "
                f"use one of {', '.join(CONVERTERS)}"
            )
        if name in seen:
            raise ValueError(f"route path {path!r}: parameter {name!r} appears twice")
        seen.add(name)
        segments.append((name, CONVERTERS[conv]))
    for i, segment in enumerate(segments):
        if isinstance(segment, tuple) and segment[1] == _matcher.PATH and i != len(segments) - 1:
            raise ValueError(f"route path {path!r}: a path parameter must be the last segment")
    return segments


def format_param(name: str, converter: int, value: Any) -> str:
    text = str(value)
    if converter == _matcher.PATH:
        text = quote(text, safe="/")
        if text.startswith("/"):
            raise NoMatchFound(f"path parameter {name!r} must not start with '/'")
        return text
    if converter == _matcher.STR:
        if not text:
            raise NoMatchFound(f"parameter {name!r} must not be empty")
        return quote(text, safe="")
    if _CHECKERS[converter].match("/" + text, "GET") is None:
        raise NoMatchFound(
            f"{value!r} is not a valid {_CONVERTER_NAMES[converter]} for parameter {name!r}"
        )
    return text


def _checker(converter: int) -> Any:
    matcher = _matcher.Matcher()
    matcher.add([("v", converter)], {"GET": True})
    return matcher


# url_path_for validates typed parameters with the same converters the router uses
_CHECKERS = {code: _checker(code) for code in (_matcher.INT, _matcher.FLOAT, _matcher.UUID)}


def shape(segments: tuple[Any, ...]) -> tuple[Any, ...]:
    """A path template without parameter names: templates with one shape match the same paths."""
    return tuple(s if isinstance(s, str) else s[1] for s in segments)
