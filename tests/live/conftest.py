"""Fixtures every live test module shares (a module may override ``server`` with its own
kinds, e.g. Granian only)."""

from __future__ import annotations

import pytest

from tests.live.servers import KINDS


@pytest.fixture(scope="module", params=KINDS)
def server(request: pytest.FixtureRequest) -> str:
    """The kind of real server the module's tests run against (one at a time)."""
    return request.param
