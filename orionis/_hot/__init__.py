"""The one place that chooses between compiled and interpreted hot-path modules.

Each module here exists twice: ``<name>.py`` (interpreted) and ``<name>_c`` (the same file
compiled by Cython at install time). Everything else in Orionis imports the hot path from this
package only, so the choice is made once, at import:

- default: the compiled twins, falling back to the interpreted ones if they are missing;
- ``ORIONIS_NO_EXTENSIONS=1``: the interpreted twins, even when compiled ones exist;
- ``ORIONIS_REQUIRE_EXTENSIONS=1``: a missing compiled twin is an ``ImportError``.

``COMPILED`` says which one won. Tests import both twins by name to check they agree.
"""

import importlib
import os
from types import ModuleType

__all__ = [
    "COMPILED",
    "MODULE_NAMES",
    "cookies",
    "headers",
    "load",
    "matcher",
    "urls",
]

# The one list of compiled modules: setup.py reads it from here.
MODULE_NAMES = ("matcher", "urls", "cookies", "headers")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def load(name: str, compiled: bool) -> ModuleType:
    """Import one twin by name: ``load("urls", True)`` is ``orionis._hot.urls_c``."""
    return importlib.import_module(f"{__name__}.{name}_c" if compiled else f"{__name__}.{name}")


def _select() -> tuple[bool, dict[str, ModuleType]]:
    if _flag("ORIONIS_NO_EXTENSIONS"):
        return False, {name: load(name, False) for name in MODULE_NAMES}
    try:
        return True, {name: load(name, True) for name in MODULE_NAMES}
    except ImportError as exc:
        if _flag("ORIONIS_REQUIRE_EXTENSIONS"):
            raise ImportError(
                f"ORIONIS_REQUIRE_EXTENSIONS is set but a compiled module is missing ({exc}). "
                'Reinstall with a C compiler available: pip install -e ".[dev]"'
            ) from exc
        return False, {name: load(name, False) for name in MODULE_NAMES}


COMPILED, _modules = _select()
matcher: ModuleType = _modules["matcher"]
urls: ModuleType = _modules["urls"]
cookies: ModuleType = _modules["cookies"]
headers: ModuleType = _modules["headers"]
