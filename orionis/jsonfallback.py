"""JSON for what orjson refuses but the request side accepts: the slow path of ``json_dumps``.

orjson stops at integers outside 64 bits, at 255 levels of nesting and at strings holding
lone surrogates, yet a path or query ``int``, or a JSON body, can bring each of them in. This
module only runs after orjson raised: it walks the value (iteratively, so Python's recursion
limit does not apply) and hands orjson a copy it can encode, where

- an integer outside 64 bits becomes an ``orjson.Fragment`` of its digits;
- every ``CHUNK`` levels, the subtree is encoded on its own and becomes a fragment;
- a lone surrogate in a string or key (no UTF-8 exists for it) becomes U+FFFD;
- pydantic models, dataclasses and sets become plain dicts and lists first.

Everything else is left to orjson, so the output matches the fast path byte for byte.
Beyond ``MAX_DEPTH`` levels the value is refused with a ``TypeError`` that says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["CHUNK", "MAX_DEPTH", "dumps"]

MAX_DEPTH = 1024  # as deep as orjson.loads reads a request body
CHUNK = 200  # levels per orjson call (orjson's own limit is 255)

_LOW, _HIGH = -(2**63), 2**64  # what orjson encodes as an integer
_SURROGATE = re.compile("[\ud800-\udfff]")


def _scalar(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if _LOW <= value < _HIGH:
            return value
        try:
            return orjson.Fragment(int.__repr__(value).encode())
        except ValueError:  # more digits than int() may print (sys.get_int_max_str_digits)
            raise TypeError(
                "cannot encode an int of more digits than Python may convert to text "
                "(sys.get_int_max_str_digits()); return it as a str"
            ) from None
    if isinstance(value, str):
        return _text(value)
    return value


def _text(text: str) -> str:
    try:
        text.encode()
    except UnicodeEncodeError:  # lone surrogates: no UTF-8 for them, and parsers refuse "\ud800"
        return _SURROGATE.sub("\ufffd", text)
    return text


def _key(key: Any) -> Any:
    if isinstance(key, str):
        return _text(key)
    if isinstance(key, int) and not isinstance(key, bool) and not _LOW <= key < _HIGH:
        return int.__repr__(key)
    return key


def _plain(value: Any) -> Any:
    """Models, dataclasses and sets as the dicts and lists orjson would have made of them."""
    dump = getattr(value, "model_dump", None)
    if dump is not None and not isinstance(value, type):
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, set | frozenset):
        return list(value)
    return value


def dumps(content: Any, default: Callable[[Any], Any], option: int) -> bytes:
    """``orjson.dumps(content, default=default, option=option)`` for values orjson refused."""

    def encode(value: Any) -> bytes:
        return orjson.dumps(value, default=default, option=option)

    root: list[Any] = []
    # frames: (pending (key, value) pairs, the copy being built, its depth, its key in parent)
    stack: list[tuple[Any, Any, int, Any]] = [(iter(((None, content),)), root, 0, None)]
    while stack:
        pairs, built, depth, _ = frame = stack[-1]
        descended = False
        for key, value in pairs:
            value = _plain(value)
            if isinstance(value, dict | list | tuple):
                if depth >= MAX_DEPTH:
                    raise TypeError(
                        f"cannot encode a value nested more than {MAX_DEPTH} levels deep as "
                        "JSON; flatten it"
                    )
                if isinstance(value, dict):
                    children: Any = ((_key(k), v) for k, v in value.items())
                    stack.append((children, {}, depth + 1, key))
                else:
                    stack.append((((None, v) for v in value), [], depth + 1, key))
                descended = True
                break
            value = _scalar(value)
            if isinstance(built, dict):
                built[key] = value
            else:
                built.append(value)
        if descended:
            continue
        stack.pop()
        if not stack:
            break
        _, _, depth, key = frame
        if depth % CHUNK == 0:
            built = orjson.Fragment(encode(built))
        parent = stack[-1][1]
        if isinstance(parent, dict):
            parent[key] = built
        else:
            parent.append(built)
    return encode(root[0])
