"""Names users look for where the docs say they are (issue 9, item 8)."""

from __future__ import annotations

import orionis
import orionis.testing
from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime
from orionis.testing.servers import ServerError


def test_lifespan_and_runtime_short_form() -> None:
    from orionis import Lifespan as ShortLifespan
    from orionis import Runtime as ShortRuntime

    assert ShortLifespan is Lifespan and ShortRuntime is Runtime
    assert {"Lifespan", "Runtime"} <= set(orionis.__all__)


def test_server_error_from_orionis_testing() -> None:
    from orionis.testing import ServerError as Exported

    assert Exported is ServerError
    assert "ServerError" in orionis.testing.__all__
