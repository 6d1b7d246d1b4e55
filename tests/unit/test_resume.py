"""``orionis.disconnect.Resume``: awaiting a coroutine the adapters started by hand.

The adapters run ``dispatch`` with ``send(None)`` and guard only a request that suspends;
``Resume`` must then behave exactly as awaiting the coroutine would have.
"""

from __future__ import annotations

import asyncio
import traceback

import pytest

from orionis import Application, PlainTextResponse
from orionis.disconnect import Resume
from orionis.testing import TestClient


def _started(coro):
    first = coro.send(None)  # suspends: the test coroutines all wait first
    return Resume(coro, first)


def test_resume_returns_after_several_suspensions() -> None:
    async def work() -> int:
        total = 0
        for step in range(5):
            await asyncio.sleep(0)
            total += step
        return total

    async def main() -> int:
        return await _started(work())

    assert asyncio.run(main()) == 10


def test_resume_passes_a_cancellation_at_the_first_wait_into_the_coroutine() -> None:
    seen: list[str] = []

    async def work(gate: asyncio.Event) -> str:
        try:
            await gate.wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            return "answered anyway"
        return "gate"

    async def main() -> str:
        gate = asyncio.Event()
        resumed = _started(work(gate))

        async def waiter() -> str:
            return await resumed

        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)  # the task now waits on the first future
        task.cancel()
        return await task

    assert asyncio.run(main()) == "answered anyway"
    assert seen == ["cancelled"]


def test_resume_propagates_a_cancellation_the_coroutine_does_not_catch() -> None:
    cleaned: list[bool] = []

    async def work(gate: asyncio.Event) -> None:
        try:
            await gate.wait()
            await gate.wait()
        finally:
            cleaned.append(True)

    async def main() -> None:
        gate = asyncio.Event()
        resumed = _started(work(gate))
        task = asyncio.ensure_future(_wrap(resumed))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def _wrap(resumed: Resume) -> None:
        await resumed

    asyncio.run(main())
    assert cleaned == [True]


def test_resume_closes_the_coroutine_when_closed_itself() -> None:
    cleaned: list[bool] = []

    async def work() -> None:
        try:
            await asyncio.sleep(0)
        finally:
            cleaned.append(True)

    async def main() -> None:
        outer = _awaiting(_started(work()))
        outer.send(None)  # suspended at the first wait, inside Resume
        outer.close()

    async def _awaiting(resumed: Resume) -> None:
        await resumed

    asyncio.run(main())
    assert cleaned == [True]


def test_a_request_that_never_waits_makes_no_disconnect_guard(
    interface: str, guards: list[object]
) -> None:
    made = guards
    app = Application()

    @app.get("/fast")
    async def fast() -> PlainTextResponse:
        return PlainTextResponse("fast")

    @app.get("/waits")
    async def waits() -> PlainTextResponse:
        await asyncio.sleep(0)
        return PlainTextResponse("waited")

    with TestClient(app, interface=interface) as client:
        assert client.get("/fast").text == "fast"
        assert made == []
        assert client.get("/waits").text == "waited"
        assert len(made) == 1


class _Wait:
    def __init__(self, task: asyncio.Task | None) -> None:
        self.task = task


class _Reading:
    """What Resume reads of a request: its pending body wait, and whether a read sees the
    client leave."""

    _body_wait: _Wait | None = None

    def _read_sees_leaving(self) -> bool:
        return True


def test_a_cancellation_escaping_a_body_read_keeps_no_task_or_request_in_the_frame() -> None:
    # A traceback keeps Resume's frame; holding the task there (which holds the exception)
    # or the request would be a reference cycle left for the cyclic GC.
    request = _Reading()
    seen: list[dict] = []

    async def read() -> None:
        request._body_wait = _Wait(asyncio.current_task())
        try:
            await asyncio.Event().wait()  # a body that never arrives
        finally:
            request._body_wait = None

    async def serve() -> None:
        coro = read()
        resumed = Resume(coro, coro.send(None), request, lambda: None)  # type: ignore[arg-type]
        try:
            await resumed
        except asyncio.CancelledError as exc:
            assert resumed.guard is None  # it only ever read its body: never watched
            for frame, _ in traceback.walk_tb(exc.__traceback__):
                if frame.f_code.co_qualname == "Resume.__await__":
                    seen.append(dict(frame.f_locals))
            raise

    async def main() -> None:
        task = asyncio.ensure_future(serve())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert seen  # the frame is in the traceback (once per pass of the exception through it)
    assert all(f["task"] is None and f["request"] is None for f in seen)
