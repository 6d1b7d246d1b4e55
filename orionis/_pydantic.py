"""pydantic, imported when a route first needs it, not with Orionis.

An app whose routes take only path values and the request, and return str, bytes, dicts or
``Response`` objects, never validates anything: importing pydantic (20-40 ms) would only slow
its start. Plans, handlers and the OpenAPI document import it when they build a validator.

- ``pydantic``: the module, imported on its first attribute access (for ``except
  pydantic.ValidationError`` on paths that only run once a validator exists).
- ``is_model(cls)``: whether ``cls`` is a pydantic model, without importing pydantic: no
  model class can exist before pydantic is imported.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

__all__ = ["is_model", "pydantic"]


class _LazyModule:
    """A module imported on first attribute access; each attribute is kept once read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(importlib.import_module(self._name), attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


if TYPE_CHECKING:
    import pydantic
else:
    pydantic = _LazyModule("pydantic")


def is_model(cls: type) -> bool:
    """``issubclass(cls, pydantic.BaseModel)``, importing nothing."""
    main = sys.modules.get("pydantic.main")
    return main is not None and issubclass(cls, main.BaseModel)
