"""The docs' example modules import each other by name, as they do run from docs/examples/."""

from __future__ import annotations

import importlib
import pathlib
import sys
from types import ModuleType

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"

if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Import an example module afresh (its app is built at import) with ``env`` set."""

    def load(name: str, **env: str) -> ModuleType:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        sys.modules.pop(name, None)
        return importlib.import_module(name)

    return load
