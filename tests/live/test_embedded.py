"""Granian's embedded server (``granian.server.embed.Server``), in this process.

There Granian calls ``__rsgi_init__``/``__rsgi_del__`` from inside a coroutine and cannot
await them, so the documented pattern is ``await app.startup()`` before ``serve()`` and
``await app.shutdown()`` after it. Without that, startup still runs before the first request
is answered (requests wait for it); shutdown callbacks then only run if awaited.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from granian.constants import Interfaces
from granian.server.embed import Server

from orionis import Application
from orionis.foundation.enums.lifespan import Lifespan
from tests.live.servers import free_port

pytestmark = pytest.mark.live


def make_app(log: list[str], fail: bool = False) -> Application:
    app = Application()

    async def up(app: Application) -> None:
        await asyncio.sleep(0.1)
        if fail:
            raise RuntimeError("no database")
        app.state.ready = True
        log.append("up")

    async def down() -> None:
        await asyncio.sleep(0.1)
        log.append("down")

    app.on(Lifespan.STARTUP, up).on(Lifespan.SHUTDOWN, down)
    app.get("/", lambda request: {"ready": request.app.state.ready})
    return app


async def serve_once(app: Application, explicit: bool) -> httpx.Response:
    port = free_port()
    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.RSGI)
    if explicit:
        await app.startup()
    task = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(1200):  # up to a minute for the server to listen (a safety net)
                try:
                    return await client.get(f"http://127.0.0.1:{port}/")
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        raise AssertionError("the embedded server never answered")
    finally:
        server.stop()
        await asyncio.wait_for(task, 10)
        if explicit:
            await app.shutdown()


def test_embedded_with_explicit_lifespan() -> None:
    log: list[str] = []
    response = asyncio.run(serve_once(make_app(log), explicit=True))
    assert (response.status_code, response.json()) == (200, {"ready": True})
    assert log == ["up", "down"]


def test_embedded_startup_runs_before_the_first_answer() -> None:
    log: list[str] = []
    response = asyncio.run(serve_once(make_app(log), explicit=False))
    assert (response.status_code, response.json()) == (200, {"ready": True})
    assert log[0] == "up"


def test_embedded_failed_startup_answers_503_or_raises() -> None:
    # Implicit: the server keeps running but the app refuses to serve.
    response = asyncio.run(serve_once(make_app([], fail=True), explicit=False))
    assert response.status_code == 503
    # Explicit: the failure stops the program before it serves anything.
    with pytest.raises(Exception, match="no database"):
        asyncio.run(serve_once(make_app([], fail=True), explicit=True))
