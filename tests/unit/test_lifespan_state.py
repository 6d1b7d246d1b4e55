"""Issue 10 leftover: one lifespan state. ``Application._phase`` drives ``lifespan_phase``
(readiness), ``running`` and ``_stopping`` (body reads end with 503 once shutdown begins)."""

import asyncio

import pytest

from orionis import Application, Lifespan, Runtime
from orionis.exceptions import LifespanError


def _state(app: Application) -> tuple[str, Runtime | None, bool]:
    return app.lifespan_phase, app.running, app._stopping


async def _passes(until: object, limit: int = 100) -> None:
    """Let the loop run until ``until()`` holds (bounded in loop passes, not in time)."""
    for _ in range(limit):
        if until():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("the loop never got there")


def test_one_phase_through_a_lifespan_and_a_second_one() -> None:
    async def main() -> None:
        app = Application()
        assert _state(app) == ("idle", None, False)
        await app.startup()
        assert _state(app) == ("serving", Runtime.HTTP, False)
        assert await app.shutdown() == []
        assert _state(app) == ("stopped", None, True)
        await app.startup(Runtime.CLI)  # started again: serving, body reads allowed again
        assert _state(app) == ("serving", Runtime.CLI, False)
        await app.shutdown(Runtime.CLI)
        assert _state(app) == ("stopped", None, True)

    asyncio.run(main())


def test_shutdown_during_startup_stops_serving_at_once() -> None:
    """Readiness fails and body reads end from the moment shutdown is called, even while
    the startup callbacks still run: no "serving" in between."""

    async def main() -> None:
        app = Application()
        gate = asyncio.Event()
        phases: list[object] = []

        async def slow_start() -> None:
            phases.append(app.lifespan_phase)
            await gate.wait()
            phases.append(app.lifespan_phase)

        def stop() -> None:
            phases.append((app.lifespan_phase, app.running))

        app.on(Lifespan.STARTUP, slow_start).on(Lifespan.SHUTDOWN, stop)
        starting = asyncio.ensure_future(app.startup())
        await _passes(lambda: phases)
        assert _state(app) == ("starting", None, False)
        stopping = asyncio.ensure_future(app.shutdown())
        await _passes(lambda: app.lifespan_phase != "starting")
        assert _state(app) == ("stopping", None, True)  # the startup has not finished
        gate.set()
        await starting
        assert await stopping == []
        # the startup finished, so its shutdown callbacks ran, for the runtime it started
        assert phases == ["starting", "stopping", ("stopping", Runtime.HTTP)]
        assert _state(app) == ("stopped", None, True)

    asyncio.run(main())


def test_shutdown_without_a_lifespan_stops_the_app() -> None:
    async def main() -> None:
        app = Application()
        assert await app.shutdown() == []  # nothing ran: no callbacks, but no longer ready
        assert _state(app) == ("stopped", None, True)

    asyncio.run(main())


def test_a_failed_startup_is_stopped() -> None:
    async def main() -> None:
        app = Application()

        def broken() -> None:
            raise RuntimeError("no config")

        app.on(Lifespan.STARTUP, broken)
        with pytest.raises(LifespanError):
            await app.startup()
        assert _state(app) == ("stopped", None, True)
        assert await app.shutdown() == []  # no shutdown callbacks for a failed startup

    asyncio.run(main())
