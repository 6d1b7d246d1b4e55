"""The application object, its lifespan and the enums users pass to it.

``Application`` is imported on first use (PEP 562): the enums must stay importable without
loading the application.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from orionis.foundation.enums import Lifespan, Runtime

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["Application", "Lifespan", "Runtime"]


def __getattr__(name: str) -> Any:
    if name != "Application":
        raise AttributeError(f"module 'orionis.foundation' has no attribute {name!r}")
    return importlib.import_module("orionis.foundation.application").Application
