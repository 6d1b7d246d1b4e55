"""A client that leaves while its handler is still working cancels the handler (issue 11.5).

The TestClient's ``{"disconnect": asyncio.Event()}`` option makes the client hang up once the
event is set; the handlers below set it themselves once they are waiting, so the disconnect
always arrives mid-handler, on both interfaces, with no clock involved.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from orionis import Application, BackgroundTasks, Depends, Request
from orionis.testing import TestClient

# Loop passes a handler that must NOT be cancelled gives the disconnect to arrive; the
# cancelled variants prove the same number is enough for it to arrive (no time involved).
PASSES = 50


def leaving() -> tuple[asyncio.Event, dict]:
    leave = asyncio.Event()
    return leave, {"orionis": {"disconnect": leave}}


def build(log: list[str], leave: asyncio.Event, **app_options: object) -> Application:
    app = Application(**app_options)  # type: ignore[arg-type]

    async def resource() -> AsyncIterator[str]:
        log.append("dependency opened")
        try:
            yield "db"
        except asyncio.CancelledError:
            log.append("dependency saw CancelledError")
            raise
        finally:
            log.append("dependency closed")

    def later() -> None:
        log.append("background task ran")

    async def work(tasks: BackgroundTasks) -> dict:
        tasks.add_task(later)
        leave.set()  # the client hangs up now
        try:
            for _ in range(PASSES):
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            log.append("handler cancelled")
            raise
        log.append("handler finished")
        return {"done": True}

    @app.get("/wait")
    async def wait(tasks: BackgroundTasks, db: str = Depends(resource)) -> dict:
        return await work(tasks)

    @app.get("/keep", cancel_on_disconnect=False)
    async def keep(tasks: BackgroundTasks, db: str = Depends(resource)) -> dict:
        return await work(tasks)

    @app.get("/cancel", cancel_on_disconnect=True)
    async def cancel(tasks: BackgroundTasks, db: str = Depends(resource)) -> dict:
        return await work(tasks)

    @app.post("/upload")
    async def upload(request: Request, tasks: BackgroundTasks) -> dict:
        body = await request.body()
        log.append(f"read {len(body)}")
        return await work(tasks)

    @app.post("/streamed", max_body_size=None)
    async def streamed(request: Request, tasks: BackgroundTasks) -> dict:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        log.append(f"read {size}")
        return await work(tasks)

    return app


CANCELLED = [
    "dependency opened",
    "handler cancelled",
    "dependency saw CancelledError",
    "dependency closed",
]


def test_a_handler_whose_client_left_is_cancelled(interface: str) -> None:
    log: list[str] = []
    leave, ext = leaving()
    with TestClient(build(log, leave), interface) as client:
        with pytest.raises(httpx.ReadError):
            client.get("/wait", extensions=ext)
        assert log == CANCELLED  # no "handler finished", no "background task ran"
        leave.clear()
        assert client.get("/wait").json() == {"done": True}  # the app serves on


def test_a_route_with_cancellation_off_runs_to_completion(interface: str) -> None:
    log: list[str] = []
    leave, ext = leaving()
    with TestClient(build(log, leave), interface) as client:
        client.get("/keep", extensions=ext)  # what it sent goes to a client that left
        assert log == [
            "dependency opened",
            "handler finished",
            "background task ran",
            "dependency closed",
        ]


def test_the_application_default_can_be_off_and_a_route_opt_in(interface: str) -> None:
    log: list[str] = []
    leave, ext = leaving()
    app = build(log, leave, cancel_on_disconnect=False)
    with TestClient(app, interface) as client:
        client.get("/wait", extensions=ext)
        assert "handler finished" in log and "background task ran" in log
        log.clear()
        leave.clear()
        with pytest.raises(httpx.ReadError):
            client.get("/cancel", extensions=ext)
        assert log == CANCELLED


def test_a_client_leaving_after_sending_its_body_cancels_the_handler(interface: str) -> None:
    log: list[str] = []
    leave, ext = leaving()
    with TestClient(build(log, leave), interface) as client:
        with pytest.raises(httpx.ReadError):
            client.post("/upload", content=b"x" * 200_000, extensions=ext)
        assert log == ["read 200000", "handler cancelled"]


def test_a_body_streamed_by_the_handler_is_read_whole_then_watched(interface: str) -> None:
    # Under ASGI the watcher and request.stream() share receive(): the body must arrive
    # complete (never a message lost to the watcher), and the disconnect still cancels.
    log: list[str] = []
    leave = asyncio.Event()
    with TestClient(build(log, leave), interface) as client:
        with pytest.raises(httpx.ReadError):
            client.post(
                "/streamed",
                content=b"y" * 300_000,
                extensions={"orionis": {"disconnect": leave, "piece": 1000}},
            )
        assert log == ["read 300000", "handler cancelled"]
        log.clear()
        leave.clear()
        big = client.post("/streamed", content=b"z" * 300_000, extensions={"orionis": {"piece": 7}})
        assert big.json() == {"done": True} and log[0] == "read 300000"


def test_a_quick_handler_is_unaffected(interface: str) -> None:
    app = Application()

    @app.get("/json")
    async def quick() -> dict:
        return {"hello": "world"}

    with TestClient(app, interface) as client:
        for _ in range(3):
            assert client.get("/json").json() == {"hello": "world"}


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_the_application_setting_must_be_a_bool(value: object) -> None:
    with pytest.raises(TypeError, match="cancel_on_disconnect must be True or False"):
        Application(cancel_on_disconnect=value)  # type: ignore[arg-type]


def test_the_route_setting_must_be_a_bool_or_none() -> None:
    app = Application()
    with pytest.raises(TypeError, match="route '/x': cancel_on_disconnect must be True, False"):

        @app.get("/x", cancel_on_disconnect="no")  # type: ignore[call-overload]
        async def x() -> None: ...


def test_a_handler_that_swallows_the_cancellation_leaves_the_task_usable(interface: str) -> None:
    # A handler that catches CancelledError and answers: the answer goes nowhere, and the
    # guard's cancellation request is undone (asyncio.timeout and TaskGroup count them).
    log: list[str] = []
    leave = asyncio.Event()
    app = Application()

    async def resource() -> AsyncIterator[None]:
        yield
        task = asyncio.current_task()
        assert task is not None
        log.append(f"cleanup, cancel requests pending: {task.cancelling()}")

    @app.get("/stubborn")
    async def stubborn(_: None = Depends(resource)) -> dict:
        leave.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            log.append("caught")
        return {"late": True}

    with TestClient(app, interface) as client:
        client.get("/stubborn", extensions={"orionis": {"disconnect": leave}})
        assert log == ["caught", "cleanup, cancel requests pending: 0"]
