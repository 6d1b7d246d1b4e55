"""``orionis.broadcast``: memory and Redis backends against a real ``redis-server``.

Each test runs its own event loop (``run``). Waits are explicit and event-driven; timeouts
are safety nets. Two ``Broadcast`` objects on one Redis stand in for two worker processes
(the live test in tests/live/test_live_broadcast.py uses real Granian workers).
Hostile inputs: non-str messages and channels, an unknown URL scheme, an unreachable Redis
at startup and at publish, Redis killed under a subscriber, a subscriber that never reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from orionis.broadcast import Broadcast, BroadcastUnavailable
from tests.redis_server import RedisServer, free_port

SAFETY = 30.0


def run(coro: Awaitable[Any]) -> Any:
    """Run ``coro`` in a fresh loop, failing on any exception a task left unretrieved."""
    errors: list[dict[str, Any]] = []

    async def main() -> Any:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        return await asyncio.wait_for(coro, SAFETY)

    result = asyncio.run(main())
    assert errors == [], f"exceptions escaped to the event loop: {errors}"
    return result


async def until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SAFETY
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def both(redis_server: RedisServer) -> list[str]:
    return ["memory://", redis_server.url]


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_publish_reaches_every_subscriber_of_the_channel_in_order(
    backend: str, redis_server: RedisServer
) -> None:
    url = "memory://" if backend == "memory" else redis_server.url

    async def main() -> None:
        broadcast = Broadcast(url)
        await broadcast.connect()
        try:
            async with (
                broadcast.subscribe("notes") as a,
                broadcast.subscribe("notes") as b,
                broadcast.subscribe("other") as other,
            ):
                for n in range(3):
                    await broadcast.publish("notes", f"note {n}")
                await broadcast.publish("other", "elsewhere")
                assert [await a.get() for _ in range(3)] == ["note 0", "note 1", "note 2"]
                assert [await b.get() for _ in range(3)] == ["note 0", "note 1", "note 2"]
                assert await other.get() == "elsewhere"
                assert a.channel == "notes" and a.dropped == 0
            await broadcast.publish("notes", "nobody listens")  # not an error
            async with broadcast.subscribe("notes") as late:
                await broadcast.publish("notes", "fresh")
                assert await late.get() == "fresh"  # only what is published after subscribe
        finally:
            await broadcast.disconnect()

    run(main())


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_disconnect_ends_every_subscription(backend: str, redis_server: RedisServer) -> None:
    url = "memory://" if backend == "memory" else redis_server.url

    async def main() -> None:
        broadcast = Broadcast(url)
        await broadcast.connect()
        received: list[str] = []
        subscribed = asyncio.Event()

        async def listen() -> str:
            async with broadcast.subscribe("room") as sub:
                subscribed.set()
                async for message in sub:
                    received.append(message)
            return "ended"

        task = asyncio.create_task(listen())
        await subscribed.wait()
        await broadcast.publish("room", "one")
        await until(lambda: received == ["one"], "the first message")
        await broadcast.disconnect()
        assert await task == "ended"
        await broadcast.disconnect()  # idempotent
        assert not broadcast.connected

    run(main())


def test_two_processes_share_messages_through_redis(redis_server: RedisServer) -> None:
    async def main() -> None:
        worker_a, worker_b = Broadcast(redis_server.url), Broadcast(redis_server.url)
        await worker_a.connect()
        await worker_b.connect()
        try:
            async with worker_a.subscribe("feed") as on_a, worker_b.subscribe("feed") as on_b:
                await worker_b.publish("feed", "from b")
                await worker_a.publish("feed", "from a")
                assert [await on_a.get(), await on_a.get()] == ["from b", "from a"]
                assert [await on_b.get(), await on_b.get()] == ["from b", "from a"]
                await worker_a.publish("feed", "ünïcode ✓\nline two")
                assert await on_b.get() == "ünïcode ✓\nline two"
        finally:
            await worker_a.disconnect()
            await worker_b.disconnect()

    run(main())


def test_a_subscriber_resumes_after_redis_is_killed_and_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = RedisServer().start()
    caplog.set_level(logging.WARNING, logger="orionis")

    def logged(text: str) -> bool:
        return any(text in record.getMessage() for record in caplog.records)

    async def main() -> None:
        subscriber, publisher = Broadcast(server.url), Broadcast(server.url)
        stack = contextlib.AsyncExitStack()
        await subscriber.connect()
        await publisher.connect()
        try:
            async with subscriber.subscribe("feed") as sub:
                await publisher.publish("feed", "before")
                assert await sub.get() == "before"

                await asyncio.to_thread(server.stop)
                await until(lambda: logged("lost the Redis connection"), "the loss to be logged")
                with pytest.raises(BroadcastUnavailable, match="could not publish to Redis"):
                    await publisher.publish("feed", "while down")
                # A subscriber arriving during the outage neither fails nor hangs.
                late = await stack.enter_async_context(subscriber.subscribe("late"))
                await asyncio.to_thread(server.start)  # same port

                # Redis pub/sub keeps nothing: publish until the restored subscription sees one.
                getter = asyncio.ensure_future(sub.get())
                n = 0
                while not getter.done():
                    n += 1
                    await publisher.publish("feed", f"after {n}")  # Redis is up again
                    await asyncio.wait((getter,), timeout=0.05)
                assert getter.result().startswith("after ")
                await until(lambda: logged("reconnected to Redis"), "the reconnect to be logged")
                await publisher.publish("feed", "last")
                # every later message arrives, in order
                while (message := await sub.get()) != "last":
                    assert message.startswith("after ")
                await publisher.publish("late", "you are subscribed too")
                assert await late.get() == "you are subscribed too"
        finally:
            await stack.aclose()
            await subscriber.disconnect()
            await publisher.disconnect()

    try:
        run(main())
    finally:
        server.stop()


def test_a_foreign_non_utf8_message_is_dropped_not_fatal(
    caplog: pytest.LogCaptureFixture, redis_server: RedisServer
) -> None:
    import redis.asyncio as aioredis

    caplog.set_level(logging.WARNING, logger="orionis")

    async def main() -> None:
        broadcast = Broadcast(redis_server.url)
        await broadcast.connect()
        foreign = aioredis.from_url(redis_server.url)
        try:
            async with broadcast.subscribe("mixed") as sub:
                await foreign.publish("mixed", b"\xff\xfe not utf-8")
                await foreign.publish("mixed", b"fine")
                assert await sub.get() == "fine"
        finally:
            await foreign.aclose()
            await broadcast.disconnect()

    run(main())
    messages = [r.getMessage() for r in caplog.records]
    assert any("dropped a non-UTF-8 message on 'mixed'" in m for m in messages)
    assert not any("lost the Redis connection" in m for m in messages)


def test_a_redis_that_stops_answering_is_detected_and_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SIGSTOP keeps the TCP connection open but silent, like a network partition."""
    server = RedisServer().start()
    caplog.set_level(logging.WARNING, logger="orionis")

    def logged(text: str) -> bool:
        return any(text in record.getMessage() for record in caplog.records)

    async def main() -> None:
        subscriber, publisher = Broadcast(server.url), Broadcast(server.url)
        subscriber._backend.health_interval = 0.05  # type: ignore[attr-defined]
        await subscriber.connect()
        await publisher.connect()
        try:
            async with subscriber.subscribe("feed") as sub:
                assert server.process is not None
                os.kill(server.process.pid, signal.SIGSTOP)
                try:
                    await until(lambda: logged("Redis sent nothing"), "the silence to be noticed")
                finally:
                    os.kill(server.process.pid, signal.SIGCONT)
                getter = asyncio.ensure_future(sub.get())
                while not getter.done():
                    await publisher.publish("feed", "after")
                    await asyncio.wait((getter,), timeout=0.05)
                assert getter.result() == "after"
        finally:
            await subscriber.disconnect()
            await publisher.disconnect()

    try:
        run(main())
    finally:
        server.stop()


def test_one_reader_per_subscription() -> None:
    async def main() -> None:
        broadcast = Broadcast("memory://")
        await broadcast.connect()
        async with broadcast.subscribe("c") as sub:
            first = asyncio.ensure_future(sub.get())
            await asyncio.sleep(0)  # let it start waiting
            with pytest.raises(RuntimeError, match=r"its own broadcast\.subscribe"):
                await sub.get()
            await broadcast.publish("c", "x")
            assert await first == "x"
        await broadcast.disconnect()

    run(main())


def test_connect_fails_loudly_when_redis_is_unreachable() -> None:
    url = f"redis://127.0.0.1:{free_port()}"  # nothing listens there

    async def main() -> None:
        broadcast = Broadcast(url)
        with pytest.raises(ConnectionError, match=r"cannot reach Redis at redis://127\.0\.0\.1"):
            await broadcast.connect()
        assert not broadcast.connected

    run(main())


def test_a_slow_subscriber_loses_the_oldest_messages_not_memory(
    caplog: pytest.LogCaptureFixture, redis_server: RedisServer
) -> None:
    caplog.set_level(logging.WARNING, logger="orionis")

    async def main() -> None:
        for url in both(redis_server):
            broadcast = Broadcast(url, max_queue=3)
            await broadcast.connect()
            try:
                async with broadcast.subscribe("c") as slow, broadcast.subscribe("c") as fast:
                    for n in range(10):
                        await broadcast.publish("c", str(n))
                        assert await fast.get() == str(n)  # a reader keeps up: loses nothing
                    assert [await slow.get() for _ in range(3)] == ["7", "8", "9"]
                    assert slow.dropped == 7 and fast.dropped == 0
            finally:
                await broadcast.disconnect()

    run(main())
    warnings = [r for r in caplog.records if "dropping the oldest" in r.getMessage()]
    assert len(warnings) == 2  # once per overflow episode, not once per message


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda b: b.publish("c", b"bytes"), TypeError, "messages are str"),
        (lambda b: b.publish("c", {"a": 1}), TypeError, "json.dumps"),
        (lambda b: b.publish("", "x"), TypeError, "non-empty str"),
        (lambda b: b.publish(5, "x"), TypeError, "non-empty str"),
        (lambda b: b.subscribe(None).__aenter__(), TypeError, "non-empty str"),
    ],
)
def test_bad_arguments_are_refused(
    call: Callable[[Broadcast], Any], error: type, match: str
) -> None:
    async def main() -> None:
        broadcast = Broadcast("memory://")
        await broadcast.connect()
        with pytest.raises(error, match=match):
            await call(broadcast)

    run(main())


def test_async_with_connects_and_disconnects(redis_server: RedisServer) -> None:
    async def main() -> None:
        async with Broadcast(redis_server.url) as broadcast:
            assert broadcast.connected
            async with broadcast.subscribe("script") as sub:
                await broadcast.publish("script", "from a script")
                assert await sub.get() == "from a script"
        assert not broadcast.connected

    run(main())


def test_use_before_connect_says_how_to_connect() -> None:
    async def main() -> None:
        broadcast = Broadcast("memory://")
        with pytest.raises(RuntimeError, match=r"app.on\(Lifespan.STARTUP, broadcast.connect\)"):
            await broadcast.publish("c", "x")
        with pytest.raises(RuntimeError, match="before connect"):
            async with broadcast.subscribe("c"):
                pass

    run(main())


@pytest.mark.parametrize("url", ["amqp://x", "localhost:6379", "", "memory:/"])
def test_unknown_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported broadcast URL"):
        Broadcast(url)


@pytest.mark.parametrize("max_queue", [0, -1, True, 1.5])
def test_bad_max_queue_is_refused(max_queue: Any) -> None:
    with pytest.raises(ValueError, match="max_queue"):
        Broadcast("memory://", max_queue=max_queue)
