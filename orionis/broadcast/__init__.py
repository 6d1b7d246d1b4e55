"""Publish/subscribe across requests, workers and machines: SSE feeds, WebSocket rooms.

```python
from orionis.broadcast import Broadcast

broadcast = Broadcast("redis://127.0.0.1:6379")      # or "memory://" for one process
app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, broadcast.disconnect)

await broadcast.publish("notes", "note 7 changed")
async with broadcast.subscribe("notes") as sub:
    async for message in sub:
        ...
```

Messages are ``str`` (send JSON as text). Delivery is at most once, like Redis pub/sub: a
message published while a subscriber is not subscribed (or while Redis is unreachable) is not
replayed. Each subscription buffers at most ``max_queue`` messages; when a slow subscriber
falls that far behind, the oldest message is dropped, counted in ``sub.dropped`` and logged,
so one slow client never holds memory or delays the others.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

__all__ = ["Broadcast", "BroadcastUnavailable", "Subscription"]

logger = logging.getLogger("orionis")


class BroadcastUnavailable(ConnectionError):
    """``publish`` could not reach the backend (Redis down). Subscriptions are not affected:
    they are restored once the backend is back."""


class Backend(Protocol):
    """What a backend does; ``Broadcast`` keeps the subscribers and fans messages out."""

    async def connect(self, deliver: Deliver) -> None: ...
    async def disconnect(self) -> None: ...
    async def subscribe(self, channel: str) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...


class Deliver(Protocol):
    def __call__(self, channel: str, message: str) -> None: ...


class Subscription:
    """Messages of one channel for one subscriber, in order: ``async for message in sub``
    (ends when the broadcast disconnects) or ``await sub.get()``."""

    def __init__(self, channel: str, max_queue: int) -> None:
        self.channel = channel
        self.dropped = 0  # messages lost because this subscriber fell max_queue behind
        self._max = max_queue
        self._messages: collections.deque[str] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._overflowing = False

    def _put(self, message: str) -> None:
        if len(self._messages) >= self._max:
            self._messages.popleft()
            self.dropped += 1
            if not self._overflowing:  # once per episode, not once per message
                self._overflowing = True
                logger.warning(
                    "broadcast subscriber on %r is %d messages behind: dropping the oldest",
                    self.channel,
                    self._max,
                )
        self._messages.append(message)
        self._wake()

    def _close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> str:
        """The next message; raises ``StopAsyncIteration`` once the broadcast disconnected."""
        while not self._messages:
            if self._closed:
                raise StopAsyncIteration
            if self._waiter is not None:
                raise RuntimeError(
                    f"two tasks are reading the subscription to {self.channel!r}; "
                    "give each reader its own broadcast.subscribe()"
                )
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if len(self._messages) == 1:
            self._overflowing = False
        return self._messages.popleft()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> str:
        return await self.get()


def _backend(url: str, max_queue: int) -> Backend:
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme == "memory":
        # late: each backend imports this module (Deliver), and redis is an optional extra
        from orionis.broadcast.memory import MemoryBackend

        return MemoryBackend()
    if scheme in ("redis", "rediss", "unix"):
        from orionis.broadcast.redis import RedisBackend  # late: redis is an optional extra

        return RedisBackend(url)
    raise ValueError(
        f"unsupported broadcast URL {url!r}: write 'memory://' (one process) or "
        "'redis://host:port' (across workers and machines)"
    )


def _check_channel(channel: object) -> str:
    if not isinstance(channel, str) or not channel:
        raise TypeError(f"a broadcast channel is a non-empty str, not {channel!r}")
    return channel


class Broadcast:
    """A publish/subscribe hub for ``memory://`` (this process) or ``redis://`` (everywhere).

    ``connect``/``disconnect`` are lifespan callbacks. With Redis, ``connect`` fails if Redis
    cannot be reached at startup (a misconfigured URL is loud); a connection lost later is
    logged and retried with backoff, and subscriptions are restored on reconnect.
    """

    def __init__(self, url: str, *, max_queue: int = 1000) -> None:
        if not isinstance(url, str):
            raise TypeError(f"Broadcast takes a URL str, not {type(url).__name__}")
        if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"max_queue must be an int >= 1, not {max_queue!r}")
        self.url = url
        self.max_queue = max_queue
        self._backend = _backend(url, max_queue)
        self._subscribers: dict[str, set[Subscription]] = {}
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    async def connect(self) -> None:
        """Open the backend (idempotent). Register with ``app.on(Lifespan.STARTUP, ...)``."""
        if not self._connected:
            await self._backend.connect(self._deliver)
            self._connected = True

    async def disconnect(self) -> None:
        """Close the backend (idempotent); every open subscription's iteration ends."""
        if not self._connected:
            return
        self._connected = False
        for subscribers in self._subscribers.values():
            for sub in subscribers:
                sub._close()
        self._subscribers.clear()
        await self._backend.disconnect()

    async def __aenter__(self) -> Broadcast:
        """``async with Broadcast(url) as broadcast:`` outside an app (scripts, workers)."""
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    def _require_connected(self, what: str) -> None:
        if not self._connected:
            raise RuntimeError(
                f"Broadcast.{what}() before connect(): register "
                "app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, "
                "broadcast.disconnect)"
            )

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every current subscriber of ``channel`` (in every worker, with
        Redis). Raises ``BroadcastUnavailable`` if Redis cannot be reached."""
        _check_channel(channel)
        if not isinstance(message, str):
            raise TypeError(
                f"broadcast messages are str, not {type(message).__name__}; "
                "for data publish json.dumps(value)"
            )
        self._require_connected("publish")
        await self._backend.publish(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Receive what is published on ``channel`` from now on, until the block exits.

        With Redis, entering waits until Redis confirmed the subscription (bounded), so a
        message published right after ``subscribe`` returns is received.
        """
        _check_channel(channel)
        self._require_connected("subscribe")
        sub = Subscription(channel, self.max_queue)
        self._subscribers.setdefault(channel, set()).add(sub)
        try:
            # Every subscriber waits for its own confirmation, not only the channel's first.
            await self._backend.subscribe(channel)
            yield sub
        finally:
            sub._close()
            current = self._subscribers.get(channel)
            if current is not None:
                current.discard(sub)
                if not current:
                    del self._subscribers[channel]
                    if self._connected:
                        await self._backend.unsubscribe(channel)

    def _deliver(self, channel: str, message: str) -> None:
        for sub in tuple(self._subscribers.get(channel, ())):
            sub._put(message)
