"""Lifespan callbacks: registration checks, order, runtimes and failure rules, both protocols.

The live tier (tests/live) checks the same rules against real granian and uvicorn processes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import httpx
import pytest

from orionis import Application, Request
from orionis.exceptions import LifespanError
from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime
from orionis.testing import TestClient
from orionis.testing.servers import Exchange, RSGIServer


def test_registration_is_chainable_and_ordered(interface: str) -> None:
    app = Application()
    log: list[str] = []

    async def open_db(app: Application) -> None:
        await asyncio.sleep(0)
        app.state.db = "connected"
        log.append("open_db")

    def warm_cache() -> None:
        log.append("warm_cache")

    class Callable:
        def __call__(self, app: Application) -> None:
            log.append(f"object:{app.title}")

    result = app.on(Lifespan.STARTUP, open_db, warm_cache).on(Lifespan.STARTUP, Callable())
    assert result is app
    app.on(Lifespan.STARTUP, functools.partial(log.append, "partial"))
    app.on(Lifespan.SHUTDOWN, lambda: log.append("close"), lambda a: log.append("close2"))

    @app.get("/db")
    async def db(request: Request) -> dict:
        return {"db": request.app.state.db}

    with TestClient(app, interface) as client:
        assert log == ["open_db", "warm_cache", "object:Orionis", "partial"]
        assert client.get("/db").json() == {"db": "connected"}
    assert log[-2:] == ["close", "close2"]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("startup", print), {}, TypeError, "takes a Lifespan event first"),
        ((Lifespan.STARTUP,), {}, ValueError, "needs at least one callback"),
        ((Lifespan.STARTUP, "not callable"), {}, TypeError, "is not callable"),
        ((Lifespan.STARTUP, lambda a, b: None), {}, TypeError, "no parameter or one"),
        ((Lifespan.STARTUP, lambda *, key: None), {}, TypeError, "no parameter or one"),
        ((Lifespan.STARTUP, print), {"runtime": "http"}, TypeError, "runtime must be a Runtime"),
    ],
)
def test_wrong_registrations_are_refused(
    args: tuple, kwargs: dict, error: type[Exception], message: str
) -> None:
    app = Application()
    with pytest.raises(error, match=message):
        app.on(*args, **kwargs)


def test_a_refused_registration_registers_nothing() -> None:
    app = Application()
    log: list[str] = []
    with pytest.raises(TypeError):
        app.on(Lifespan.STARTUP, lambda: log.append("ok"), "bad")
    asyncio.run(app.startup())
    assert log == []


def test_optional_parameters_are_not_filled() -> None:
    app = Application()
    seen: list[Any] = []
    app.on(Lifespan.STARTUP, lambda x=None: seen.append(x))
    asyncio.run(app.startup())
    assert seen == [None]


def test_runtime_filtering(interface: str) -> None:
    app = Application()
    log: list[str] = []
    app.on(Lifespan.STARTUP, lambda: log.append("any"))
    app.on(Lifespan.STARTUP, lambda: log.append("http"), runtime=Runtime.HTTP)
    app.on(Lifespan.STARTUP, lambda: log.append("cli"), runtime=Runtime.CLI)
    app.on(Lifespan.SHUTDOWN, lambda: log.append("cli-down"), runtime=Runtime.CLI)
    app.on(Lifespan.SHUTDOWN, lambda: log.append("http-down"), runtime=Runtime.HTTP)
    with TestClient(app, interface):
        assert log == ["any", "http"]
    assert log == ["any", "http", "http-down"]

    log.clear()

    async def command() -> None:
        async with app.lifespan(Runtime.CLI) as running:
            assert running is app
            log.append("command")

    asyncio.run(command())
    assert log == ["any", "cli", "command", "cli-down"]


def test_failing_startup_stops_serving(interface: str, caplog: pytest.LogCaptureFixture) -> None:
    app = Application()
    log: list[str] = []
    app.on(Lifespan.STARTUP, lambda: log.append("first"))

    def broken() -> None:
        raise ConnectionError("database unreachable")

    app.on(Lifespan.STARTUP, broken, lambda: log.append("never"))
    app.on(Lifespan.SHUTDOWN, lambda: log.append("shutdown"))
    with (
        caplog.at_level(logging.ERROR, "orionis"),
        pytest.raises(LifespanError, match="database unreachable"),
        TestClient(app, interface),
    ):
        pass
    assert log == ["first"]
    assert any("will not serve" in rec.getMessage() for rec in caplog.records)


def test_every_shutdown_callback_runs_even_if_one_fails(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()
    log: list[str] = []

    async def failing() -> None:
        log.append("failing")
        raise RuntimeError("flush failed")

    app.on(Lifespan.SHUTDOWN, lambda: log.append("a"), failing, lambda: log.append("b"))
    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface):
        pass
    assert log == ["a", "failing", "b"]
    assert any("shutdown callback" in rec.getMessage() for rec in caplog.records)


def test_startup_twice_is_an_error() -> None:
    app = Application()

    async def twice() -> None:
        await app.startup()
        with pytest.raises(RuntimeError, match="already started"):
            await app.startup()
        await app.shutdown()
        await app.startup()  # again after a shutdown: fine
        await app.shutdown()

    asyncio.run(twice())


def test_client_reuse_runs_lifespan_each_time(interface: str) -> None:
    app = Application()
    log: list[str] = []
    app.on(Lifespan.STARTUP, lambda: log.append("up")).on(
        Lifespan.SHUTDOWN, lambda: log.append("down")
    )
    for _ in range(2):
        with TestClient(app, interface):
            pass
    assert log == ["up", "down", "up", "down"]


async def _rsgi_get(app: Application, path: str) -> tuple[int, bytes]:
    ex = Exchange(request=httpx.Request("GET", f"http://testserver{path}"), body=b"")
    ex.disconnected, ex.complete = asyncio.Event(), asyncio.Event()
    await RSGIServer(app).run(ex)
    status, body = 0, b""
    while not ex.events.empty():
        event = ex.events.get()
        if event[0] == "start":
            status = event[1]
        elif event[0] == "body":
            body += event[1]
    return status, body


def test_rsgi_init_on_a_running_loop_gates_requests_until_started() -> None:
    """Granian's embedded server calls __rsgi_init__ with its loop already running."""
    app = Application()
    log: list[str] = []

    async def slow_start(app: Application) -> None:
        await asyncio.sleep(0.05)
        app.state.ready = True
        log.append("started")

    app.on(Lifespan.STARTUP, slow_start).on(Lifespan.SHUTDOWN, lambda: log.append("stopped"))
    app.get("/", lambda request: {"ready": request.app.state.ready})

    async def main() -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        app.__rsgi_init__(loop)
        assert log == []  # scheduled, not awaited: the loop is running
        result = await _rsgi_get(app, "/")
        app.__rsgi_del__(loop)
        stopping = app._rsgi._stopping
        assert stopping is not None  # __rsgi_del__ started the shutdown; wait for it
        await stopping
        return result

    status, body = asyncio.run(main())
    assert (status, body) == (200, b'{"ready":true}')
    assert log == ["started", "stopped"]


def test_rsgi_failed_startup_on_a_running_loop_answers_503() -> None:
    app = Application()

    def broken() -> None:
        raise RuntimeError("no config")

    app.on(Lifespan.STARTUP, broken)
    app.get("/", lambda: "never")

    async def main() -> list[tuple[int, bytes]]:
        app.__rsgi_init__(asyncio.get_running_loop())
        return [await _rsgi_get(app, "/"), await _rsgi_get(app, "/")]

    results = asyncio.run(main())
    for status, body in results:
        assert status == 503
        assert b"failed to start" in body


def test_rsgi_init_on_a_stopped_loop_raises_to_stop_the_worker() -> None:
    app = Application()
    app.on(Lifespan.STARTUP, lambda: 1 / 0)
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(LifespanError, match="ZeroDivisionError"):
            app.__rsgi_init__(loop)
    finally:
        loop.close()
