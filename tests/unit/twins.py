"""Helpers shared by the hot-path unit tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, settings

from orionis._hot import load

# Property tests: bounded, deterministic enough for CI, fine with function-scoped fixtures
# (they only hand out modules).
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def other(name: str, twin: str) -> ModuleType:
    """The twin of module ``name`` that the fixture did not pick, for agreement checks."""
    return load(name, twin != "compiled")


def outcome(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """A call's result, or the type of what it raised: comparable across twins."""
    try:
        return ("ok", fn(*args))
    except Exception as exc:
        return ("raised", type(exc))
