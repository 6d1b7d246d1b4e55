"""``redis://``: pub/sub through Redis (redis-py's asyncio client), across workers and machines.

One pub/sub connection per process carries every channel this process's subscribers want;
a reader task fans incoming messages out to them. Publishing uses a separate pooled client.

A lost connection never reaches the application: the reader logs it, retries with
exponential backoff (``reconnect_min`` doubling up to ``reconnect_max`` seconds) and, once
connected again, resubscribes every channel that still has subscribers, so their ``async for``
simply resumes. A connection that goes silent (no FIN, e.g. a network partition) is found by
a PING every ``health_interval`` seconds. Messages published during the outage are lost
(Redis pub/sub keeps nothing).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff, NoBackoff
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "Broadcast('redis://...') needs the redis package: pip install 'orionis[redis]'"
    ) from exc

from orionis.broadcast import BroadcastUnavailable

if TYPE_CHECKING:
    from orionis.broadcast import Deliver

__all__ = ["RedisBackend"]

logger = logging.getLogger("orionis")


def _safe(url: str) -> str:
    """The URL without credentials, for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RedisBackend:
    def __init__(
        self,
        url: str,
        *,
        reconnect_min: float = 0.1,
        reconnect_max: float = 5.0,
        health_interval: float = 15.0,
        confirm_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self.health_interval = health_interval
        self.confirm_timeout = confirm_timeout
        self._deliver: Deliver | None = None
        self._publisher: Any = None
        self._listener: Any = None
        self._pubsub: Any = None  # None while disconnected
        self._channels: set[str] = set()  # what this process wants subscribed
        # One future per SUBSCRIBE sent, resolved by its confirmation, in order.
        self._acks: dict[str, collections.deque[asyncio.Future[None]]] = {}
        self._lock: asyncio.Lock | None = None  # orders SUBSCRIBE/UNSUBSCRIBE and reconnects
        self._reader: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------
    async def connect(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._lock = asyncio.Lock()  # made here: bound to the loop that serves
        # socket_timeout bounds a handshake with a Redis that accepts but never answers; the
        # listener's reads pass their own timeout (health_interval).
        common: dict[str, Any] = {
            "socket_connect_timeout": 5.0,
            "socket_timeout": 5.0,
            "socket_keepalive": True,
        }
        # Publishing rides out a short blip; the listener does its own, unbounded, retrying.
        self._publisher = aioredis.from_url(
            self.url, retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3), **common
        )
        self._listener = aioredis.from_url(self.url, retry=Retry(NoBackoff(), 0), **common)
        try:
            await self._publisher.ping()
            await self._open()
        except (RedisError, OSError) as exc:
            await self._close_clients()
            raise ConnectionError(
                f"Broadcast cannot reach Redis at {_safe(self.url)} ({exc}); "
                "start Redis or fix the URL"
            ) from exc
        self._reader = asyncio.get_running_loop().create_task(
            self._read_forever(), name="orionis-broadcast-redis"
        )

    async def disconnect(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await self._drop()
        self._channels.clear()
        await self._close_clients()

    async def _close_clients(self) -> None:
        for client in (self._publisher, self._listener):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._publisher = self._listener = None

    async def _open(self) -> None:
        """A fresh pub/sub connection, subscribed to every channel still wanted."""
        async with self._locked():
            pubsub = self._listener.pubsub()
            try:
                await pubsub.connect()
                channels = sorted(self._channels)
                if channels:
                    loop = asyncio.get_running_loop()
                    for channel in channels:
                        self._acks.setdefault(channel, collections.deque()).append(
                            loop.create_future()
                        )
                    await pubsub.subscribe(*channels)
            except BaseException:
                self._resolve_acks()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            self._pubsub = pubsub

    async def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self._resolve_acks()
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _resolve_acks(self) -> None:
        # Nobody waits for a confirmation that will not come; the reconnect resubscribes.
        for acks in self._acks.values():
            for ack in acks:
                if not ack.done():
                    ack.set_result(None)
        self._acks.clear()

    def _locked(self) -> asyncio.Lock:
        assert self._lock is not None, "RedisBackend used before connect()"
        return self._lock

    # -- reading -------------------------------------------------------------------------
    async def _read_forever(self) -> None:
        delay = self.reconnect_min
        failures = 0
        while True:
            try:
                if self._pubsub is None:
                    await self._open()
                    logger.warning(
                        "broadcast: reconnected to Redis at %s after %d attempt(s); "
                        "%d channel(s) resubscribed",
                        _safe(self.url),
                        failures,
                        len(self._channels),
                    )
                    delay, failures = self.reconnect_min, 0
                await self._read(self._pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let the reader die: log, back off, retry
                was_up = self._pubsub is not None
                await self._drop()
                failures += 1
                if was_up:
                    logger.warning(
                        "broadcast: lost the Redis connection to %s (%s: %s); reconnecting "
                        "with backoff, subscriptions are kept",
                        _safe(self.url),
                        type(exc).__name__,
                        exc,
                    )
                else:
                    logger.debug(
                        "broadcast: Redis still unreachable (%s); retry in %.2fs", exc, delay
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_max)

    async def _read(self, pubsub: Any) -> None:
        interval = self.health_interval
        last_seen = time.monotonic()
        pinged = False
        deliver = self._deliver
        while True:
            message = await pubsub.get_message(timeout=interval)
            if message is None:
                if pinged and time.monotonic() - last_seen > 2 * interval:
                    raise ConnectionError(f"Redis sent nothing for {2 * interval:.0f}s")
                async with self._locked():
                    await pubsub.ping()
                pinged = True
                continue
            last_seen, pinged = time.monotonic(), False
            kind = message["type"]
            if kind == "message":
                # Bytes from the wire: another publisher's non-UTF-8 payload is dropped here,
                # not allowed to break (and reconnect) the connection every subscriber shares.
                channel = _text(message["channel"])
                try:
                    data = _text(message["data"])
                except UnicodeDecodeError:
                    logger.warning("broadcast: dropped a non-UTF-8 message on %r", channel)
                    continue
                if deliver is not None:
                    deliver(channel, data)
            elif kind == "subscribe":
                acks = self._acks.get(_text(message["channel"]))
                if acks:
                    ack = acks.popleft()
                    if not ack.done():
                        ack.set_result(None)

    # -- commands ------------------------------------------------------------------------
    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        async with self._locked():
            pubsub = self._pubsub
            if pubsub is None:
                return  # Redis is down: the reconnect subscribes it
            ack = asyncio.get_running_loop().create_future()
            acks = self._acks.setdefault(channel, collections.deque())
            acks.append(ack)
            try:
                await pubsub.subscribe(channel)
            except (RedisError, OSError):
                return  # the reader sees the broken connection and resubscribes
        try:
            await asyncio.wait_for(asyncio.shield(ack), self.confirm_timeout)
        except TimeoutError:
            logger.warning(
                "broadcast: Redis did not confirm the subscription to %r within %.0fs",
                channel,
                self.confirm_timeout,
            )

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        async with self._locked():
            pubsub = self._pubsub
            if pubsub is None or channel in self._channels:  # down, or wanted again
                return
            with contextlib.suppress(RedisError, OSError):
                await pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: str) -> None:
        try:
            await self._publisher.publish(channel, message)
        except (RedisError, OSError) as exc:
            raise BroadcastUnavailable(
                f"could not publish to Redis at {_safe(self.url)} ({exc}); the message was not sent"
            ) from exc
