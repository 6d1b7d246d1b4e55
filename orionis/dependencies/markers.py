"""``Depends``: the marker that makes a parameter the result of another callable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Depends"]


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
