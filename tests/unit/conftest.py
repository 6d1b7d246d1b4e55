"""Fixtures for the hot-path unit tests: every test runs against both twins.

``twin`` is "compiled" or "pure" (the suite counts tests by this parameter); ``urls``,
``cookies``, ``headers`` and ``matcher`` are that twin of each module.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from orionis._hot import load


@pytest.fixture(params=["compiled", "pure"])
def twin(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def urls(twin: str) -> ModuleType:
    return load("urls", twin == "compiled")


@pytest.fixture
def cookies(twin: str) -> ModuleType:
    return load("cookies", twin == "compiled")


@pytest.fixture
def headers(twin: str) -> ModuleType:
    return load("headers", twin == "compiled")


@pytest.fixture
def matcher(twin: str) -> ModuleType:
    return load("matcher", twin == "compiled")
