"""Plain containers a request or response exposes: headers, query params, URL, address, state."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

from orionis import _hot

__all__ = ["URL", "Address", "Headers", "MultiDict", "MutableHeaders", "QueryParams", "State"]

Headers = _hot.headers.Headers
MutableHeaders = _hot.headers.MutableHeaders
Mapping.register(Headers)


class Address(NamedTuple):
    """A peer address. ``port`` is always an ``int``, whatever the server sent."""

    host: str
    port: int


V = TypeVar("V")


class MultiDict(Mapping[str, V]):
    """Read-only pairs in order, repeats kept (query strings, forms).

    As in Starlette: ``d[key]``, ``get`` and ``items()`` see the last value for a key;
    ``getlist(key)`` and ``multi_items()`` see every one.
    """

    __slots__ = ("_dict", "_list")

    def __init__(self, pairs: list[tuple[str, V]] | Mapping[str, V] | None = None) -> None:
        if type(pairs) is list:  # what the parsers give: skip the (slow) ABC check
            pass
        elif pairs is None:
            pairs = []
        elif isinstance(pairs, Mapping):
            pairs = list(pairs.items())
        self._list: list[tuple[str, V]] = pairs
        self._dict: dict[str, V] = dict(pairs)

    def getlist(self, key: str) -> list[V]:
        return [v for k, v in self._list if k == key]

    def multi_items(self) -> list[tuple[str, V]]:
        return list(self._list)

    def __getitem__(self, key: str) -> V:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return type(self) is type(other) and self._list == other._list
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


class QueryParams(MultiDict[str]):
    """Decoded query parameters. ``params.get("q")`` is the last ``q`` (as in Starlette and
    FastAPI for a scalar parameter); ``params.getlist("q")`` has them all."""

    __slots__ = ()


_PATH_SAFE = "/:@!$&'()*+,;=~"


class URL:
    """The request URL, assembled from parts the framework has already validated."""

    __slots__ = ("netloc", "path", "query", "scheme")

    def __init__(self, scheme: str, netloc: str, path: str, query: str = "") -> None:
        self.scheme = scheme
        self.netloc = netloc
        self.path = path  # percent-decoded, as routing sees it
        self.query = query  # raw, as the client sent it

    @property
    def hostname(self) -> str:
        host = self.netloc
        if host.startswith("["):
            return host[1 : host.find("]")]
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def port(self) -> int | None:
        tail = self.netloc.rsplit("]", 1)[-1]
        if ":" in tail:
            port = tail.rsplit(":", 1)[1]
            return int(port) if port.isdigit() else None
        return None

    def replace(self, **parts: str) -> URL:
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(parts)
        return URL(**values)

    def __str__(self) -> str:
        url = f"{self.scheme}://{self.netloc}{quote(self.path, safe=_PATH_SAFE)}"
        return f"{url}?{self.query}" if self.query else url

    def __eq__(self, other: object) -> bool:
        if isinstance(other, URL | str):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"


class State:
    """An attribute namespace: ``app.state.db = ...`` at startup, ``request.state`` per request."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_values", dict(values or {}))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"state has no attribute {name!r}; set it first (e.g. in a startup callback)"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __repr__(self) -> str:
        return f"State({self._values!r})"
