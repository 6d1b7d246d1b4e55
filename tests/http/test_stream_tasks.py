"""Streams without a task per chunk: the edges of how ``chunks_until`` and the SSE feed end.

``StreamingResponse.chunks_until`` runs the body iterable in the sending task and the
client leaving cancels that task, only while it waits in the iterable; the cancellation is
absorbed there (``Task.uncancel``). ``EventSourceResponse`` with pings advances its generator
in one feed task per stream, with a ping timer armed once per interval. These tests pin what
that must not change (errors, sync iterators under the feed; disconnects under pings are in
test_sse.py, parametrized by ``ping``) and the new edges:
an iterable that swallows the cancellation, a cancellation from outside, context variables
kept across steps, and the ping timer's re-arming, on a loop whose clock the test moves.
Nothing waits on the wall clock; timeouts are only safety nets.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from orionis import Application, StreamingResponse
from orionis.sse import PING, EventSourceResponse
from orionis.testing import TestClient
from tests.http.transports import track_stream_transports

SAFETY = 10.0  # seconds; only reached when something is broken


# -- over HTTP, both interfaces ---------------------------------------------------------


def sse_failing_app(ping: float | None) -> Application:
    app = Application()

    async def after_first() -> Any:
        yield "first"
        raise RuntimeError("boom after the first event")

    def sync_after_first() -> Iterator[str]:
        yield "first"
        raise RuntimeError("boom in a sync iterator")

    sources = {"after": after_first, "sync": sync_after_first}

    @app.get("/fail/{when}")
    def fail(when: str) -> EventSourceResponse:
        return EventSourceResponse(sources[when](), ping=ping)

    @app.get("/ok")
    def ok() -> str:
        return "still serving"

    return app


@pytest.mark.parametrize("ping", [None, 15])
@pytest.mark.parametrize("when", ["after", "sync"])
def test_a_failing_event_generator_ends_the_stream(
    interface: str, ping: float | None, when: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = sse_failing_app(ping)
    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        if interface == "asgi":  # the exception reaches the server, which cuts the connection
            with pytest.raises(RuntimeError, match="boom"):
                client.get(f"/fail/{when}")
        else:  # RSGI logs it and ends the body
            r = client.get(f"/fail/{when}")
            assert (r.status_code, r.content) == (200, b"data: first\n\n")
            logged = [r for r in caplog.records if "iterator raised" in r.getMessage()]
            assert len(logged) == 1 and "boom" in str(logged[0].exc_info[1])  # type: ignore[index]
        assert client.get("/ok").text == "still serving"


def test_rsgi_failing_event_feed_keeps_no_reference_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed task hands the error over and drops it: with the cyclic GC off, the stream
    transport still goes as soon as the request ends."""
    transports = track_stream_transports(monkeypatch)
    gc.collect()
    gc.disable()
    try:
        with TestClient(sse_failing_app(15), "rsgi") as client:
            for when in ("after", "sync"):
                assert client.get(f"/fail/{when}").status_code == 200
                assert transports[-1]() is None, f"transport of /fail/{when} is still alive"
    finally:
        gc.enable()


# -- chunks_until, driven directly -------------------------------------------------------


async def _spin(until: Any, rounds: int = 200) -> None:
    """Let the loop run callbacks until ``until()`` holds (bounded)."""
    for _ in range(rounds):
        if until():
            return
        await asyncio.sleep(0)


def test_an_iterable_that_swallows_the_cancellation_still_ends_and_leaves_the_task_clean() -> None:
    async def main() -> None:
        log: list[str] = []
        waiting = asyncio.Event()

        async def gen() -> AsyncIterator[bytes]:
            try:
                yield b"one"
                waiting.set()
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                log.append("swallowed")
            yield b"late"  # must not be sent: the client is gone
            log.append("resumed after late")  # pragma: no cover - closed at the yield

        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        received: list[bytes] = []

        async def consume() -> int:
            async for chunk in StreamingResponse(gen()).chunks_until(gone):
                received.append(chunk)
            task = asyncio.current_task()
            assert task is not None
            await asyncio.sleep(0)  # not cancelled: the request it got was withdrawn
            return task.cancelling()

        consumer = asyncio.ensure_future(consume())
        await asyncio.wait_for(waiting.wait(), SAFETY)
        gone.set_result(None)
        assert await asyncio.wait_for(consumer, SAFETY) == 0
        assert received == [b"one"]
        assert log == ["swallowed"]

    asyncio.run(main())


@pytest.mark.parametrize("also_gone", [False, True])
def test_a_cancellation_from_outside_is_not_swallowed(also_gone: bool) -> None:
    async def main() -> None:
        log: list[str] = []
        waiting = asyncio.Event()

        async def gen() -> AsyncIterator[bytes]:
            try:
                yield b"one"
                waiting.set()
                await asyncio.Event().wait()
                yield b"never"
            finally:
                log.append("finally")

        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def consume() -> None:
            async for _ in StreamingResponse(gen()).chunks_until(gone):
                pass

        consumer = asyncio.ensure_future(consume())
        await asyncio.wait_for(waiting.wait(), SAFETY)
        consumer.cancel()  # the server cancels the request...
        if also_gone:
            gone.set_result(None)  # ...as the client leaves
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(consumer, SAFETY)
        assert log == ["finally"]

    asyncio.run(main())


def test_an_abandoned_stream_under_pings_is_finalized_and_its_feed_task_ends() -> None:
    """What a send that raised (``ProtocolClosed``) leaves: the stream dropped mid-way, not
    closed. The event loop's async-generator hook closes it; the feed task must end too."""

    async def main() -> None:
        log: list[str] = []

        async def gen() -> AsyncIterator[str]:
            try:
                yield "a"
                await asyncio.Event().wait()
                yield "never"  # pragma: no cover
            finally:
                log.append("finally")

        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        stream = EventSourceResponse(gen(), ping=15).chunks_until(gone)
        assert await stream.__anext__() == b"data: a\n\n"
        del stream
        gc.collect()
        me = asyncio.current_task()
        await _spin(lambda: log and asyncio.all_tasks() == {me})
        assert log == ["finally"]
        assert asyncio.all_tasks() == {me}, "the feed task outlived its stream"

    asyncio.run(main())


@pytest.mark.parametrize("ping", [None, 15])
def test_a_generator_that_raises_cancelled_error_itself_ends_the_stream(ping: Any) -> None:
    """Not the client leaving: something the generator awaited was cancelled. The stream
    ends with that error at once (it does not hang, sending pings, under the feed)."""

    async def main() -> None:
        async def gen() -> AsyncIterator[str]:
            yield "a"
            doomed = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(doomed.cancel)
            await doomed
            yield "never"  # pragma: no cover

        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        stream = EventSourceResponse(gen(), ping=ping).chunks_until(gone)
        assert await stream.__anext__() == b"data: a\n\n"
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(stream.__anext__(), SAFETY)

    asyncio.run(main())


marker: contextvars.ContextVar[int] = contextvars.ContextVar("marker", default=0)


@pytest.mark.parametrize("ping", ["plain", None, 15])
def test_context_variables_set_by_the_generator_last_across_its_steps(ping: Any) -> None:
    async def main() -> None:
        async def gen() -> AsyncIterator[str]:
            marker.set(1)
            yield "a"
            yield str(marker.get())  # one task (or the sender's) runs every step

        if ping == "plain":
            response: StreamingResponse = StreamingResponse(gen())
            expected = [b"a", b"1"]
        else:
            response = EventSourceResponse(gen(), ping=ping)
            expected = [b"data: a\n\n", b"data: 1\n\n"]
        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        assert [c async for c in response.chunks_until(gone)] == expected

    asyncio.run(main())


# -- the ping timer, on a loop whose clock the test moves -----------------------------------


class FakeClockLoop(asyncio.SelectorEventLoop):
    now = 0.0

    def time(self) -> float:
        return self.now


def test_the_ping_timer_counts_from_when_the_stream_began_waiting() -> None:
    loop = FakeClockLoop()

    async def main() -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()

        async def gen() -> AsyncIterator[str]:
            while True:
                yield await queue.get()

        chunks = EventSourceResponse(gen(), ping=10).iter_chunks()
        queue.put_nowait("a")
        assert await chunks.__anext__() == b"data: a\n\n"  # t=0: the timer is set for t=10
        loop.now = 6.0
        pending = asyncio.ensure_future(chunks.__anext__())
        await _spin(lambda: False, 20)  # it runs, and waits since t=6
        loop.now = 10.5  # the first timer fires: too early for this wait, re-armed for t=16
        await _spin(lambda: False, 50)
        assert not pending.done(), "a ping went out after 4.5 s of waiting, not 10"
        loop.now = 16.5
        await _spin(pending.done)
        assert pending.result() == PING
        loop.now = 20.0  # events faster than the interval: no ping in between
        for name, at in (("b", 25.0), ("c", 33.0), ("d", 41.0)):
            pending = asyncio.ensure_future(chunks.__anext__())
            await _spin(lambda: False, 20)
            loop.now = at
            await _spin(lambda: False, 20)
            queue.put_nowait(name)
            await _spin(pending.done)
            assert pending.result() == f"data: {name}\n\n".encode()
        await chunks.aclose()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
