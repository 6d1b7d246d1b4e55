"""Rate limits: fixed windows counted per key, in memory or shared through Redis.

    app.add_middleware(RateLimitMiddleware, limit="100/minute")                 # per client IP
    app.add_middleware(RateLimitMiddleware, limit="1000/hour", key=header_key("X-API-Key"),
                       storage="redis://127.0.0.1:6379/0")                       # all workers

    @app.post("/login", rate_limit="5/minute")          # this route alone, on top of the above
    async def login(...): ...

Every answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``
(seconds until the window ends); a request over the limit gets a 429 problem with
``Retry-After`` and the handler does not run.

``memory://`` keeps at most ``max_keys`` counters (100,000 by default: about 35 MB at most; keys
over 64 characters are stored as a digest, so no key makes a counter bigger), least recently
used first out: a flood of distinct keys cannot grow
the process, but an evicted key starts a fresh window. Each worker counts alone.
``redis://...`` shares the count between workers and machines with one atomic script call
(one round trip) per request.
When Redis fails, ``on_error="open"`` (the default) lets requests through and
``on_error="closed"`` answers 503; either way the outage is logged once, and its end too.
During an outage Redis is tried again once a second (of ``clock``), not on every request,
so a Redis that hangs costs one request per second its timeout, not every request.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import logging
import re
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from orionis.exceptions import problem
from orionis.middleware.base import CallNext, Middleware
from orionis.responses import Response

if TYPE_CHECKING:
    from orionis.requests import Request

__all__ = ["RateLimitMiddleware", "client_ip", "header_key", "parse_limit"]

logger = logging.getLogger("orionis.ratelimit")

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*$", re.I)

# INCR the window's counter, give it a lifetime on first use; returns the new count.
_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def parse_limit(text: str) -> tuple[int, int]:
    """``"100/minute"``, ``"10/second"``, ``"5 per hour"``, ``"50/15 minutes"``: (count, s)."""
    match = _LIMIT.match(text) if isinstance(text, str) else None
    if match is None or int(match[1]) < 1:
        raise ValueError(
            f"rate limit {text!r} is not understood; write a positive count per period, "
            "like '100/minute', '10/second', '5 per hour' or '50/15 minutes'"
        )
    multiple = int(match[2]) if match[2] else 1
    if multiple < 1:
        raise ValueError(f"rate limit {text!r}: the period count must be at least 1")
    return int(match[1]), multiple * _PERIODS[match[3].lower()]


def client_ip(request: Request) -> str:
    """The peer address (put ``ProxyHeadersMiddleware`` first behind a proxy)."""
    client = request.client
    return client[0] if client else "unknown"


def header_key(name: str) -> Callable[[Request], str | None]:
    """A key from a request header; requests without it are counted by client address."""
    lowered = name.lower()

    def key(request: Request) -> str | None:
        value = request.headers.get(lowered)
        return f"{lowered}:{value}" if value else None

    return key


class _StillFailing(Exception):
    pass


class _MemoryStore:
    """Fixed-window counters in an LRU-bounded dict: at most ``max_keys`` entries."""

    def __init__(self, max_keys: int) -> None:
        self.max_keys = max_keys
        self.counters: OrderedDict[str, list[int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.counters)

    async def hit(self, key: str, window: int, period: int) -> int:
        counters = self.counters
        entry = counters.get(key)
        if entry is None or entry[0] != window:
            counters[key] = entry = [window, 0]
            if len(counters) > self.max_keys:
                counters.popitem(last=False)
        counters.move_to_end(key)
        entry[1] += 1
        return entry[1]


class _RedisStore:
    """One script call per hit; one client per event loop (workers, test loops)."""

    def __init__(self, url: str, timeout: float) -> None:
        try:
            import redis.asyncio
        except ImportError:  # pragma: no cover - the redis extra is in dev
            raise ImportError(
                "storage='redis://...' needs redis-py: pip install 'orionis[redis]'"
            ) from None

        self.url = url
        self.timeout = timeout
        self._redis = redis.asyncio
        self._scripts: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def _script(self) -> Any:
        import asyncio

        loop = asyncio.get_running_loop()
        script = self._scripts.get(loop)
        if script is None:
            client = self._redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
            script = self._scripts[loop] = client.register_script(_SCRIPT)
        return script

    async def hit(self, key: str, window: int, period: int) -> int:
        count = await self._script()(keys=[f"{key}:{window}"], args=[period * 1000 + 1000])
        return int(count)


class RateLimitMiddleware(Middleware):
    """See the module docstring.

    ``key`` maps a request to who is counted: a sync or async callable returning a string
    (``None`` falls back to the client address). For a JWT claim, read it where your
    auth put it, e.g. ``key=lambda r: getattr(r.state, "user_id", None)``, or decode the
    token: ``async def key(r): return (await auth(r))["sub"]`` (a bad token then answers 401).
    ``clock`` returns seconds (``time.time`` by default; tests pass their own).
    """

    def __init__(
        self,
        limit: str = "100/minute",
        *,
        key: Callable[[Request], Any] = client_ip,
        storage: str = "memory://",
        max_keys: int = 100_000,
        on_error: str = "open",
        prefix: str = "orionis:rl:",
        timeout: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit, self.period = parse_limit(limit)
        self.limit_text = limit
        if not callable(key):
            raise TypeError(f"key must be a callable taking the request, got {key!r}")
        if on_error not in ("open", "closed"):
            raise ValueError(f"on_error is 'open' or 'closed', got {on_error!r}")
        if not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be a positive int, got {max_keys!r}")
        self.key = key
        self.on_error = on_error
        self.prefix = prefix
        self.clock = clock
        self._failing = False
        self._retry_at = 0.0
        self.store: _MemoryStore | _RedisStore
        if storage == "memory://":
            self.store = _MemoryStore(max_keys)
        elif storage.startswith(("redis://", "rediss://", "unix://")):
            self.store = _RedisStore(storage, timeout)
        else:
            raise ValueError(
                f"storage {storage!r} is not supported; write 'memory://' or 'redis://host:6379/0'"
            )

    def scoped(self, scope: str) -> RateLimitMiddleware:
        """A copy counting under its own prefix (one per route), sharing the storage."""
        limiter = copy.copy(self)
        limiter.prefix = f"{self.prefix}{scope}:"
        return limiter

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        who = self.key(request)
        if inspect.isawaitable(who):  # an async key
            who = await who
        if who is None:
            who = client_ip(request)
        elif not isinstance(who, str):
            who = str(who)
        if len(who) > 64:  # a long header value would make each counter as big: a digest
            who = hashlib.blake2b(who.encode("utf-8", "replace"), digest_size=16).hexdigest()
        now = self.clock()
        window = int(now // self.period)
        reset = max(1, int((window + 1) * self.period - now + 0.999))
        try:
            if self._failing and now < self._retry_at:
                raise _StillFailing  # an outage: the storage is retried once a second
            count = await self.store.hit(f"{self.prefix}{who}", window, self.period)
        except Exception as exc:  # Redis down, timed out, refused...
            self._retry_at = now + 1.0
            if not self._failing:
                self._failing = True
                logger.warning(
                    "rate limit storage failed (%s: %s); requests are %s until it is back",
                    type(exc).__name__,
                    exc,
                    "let through" if self.on_error == "open" else "refused with 503",
                )
            if self.on_error == "closed":
                return problem(
                    503,
                    "The rate limiter is unavailable; try again shortly.",
                    headers={"retry-after": "1"},
                )
            return await call_next()
        if self._failing:
            self._failing = False
            logger.warning("rate limit storage is back; limits apply again")
        headers = [
            ("ratelimit-limit", str(self.limit)),
            ("ratelimit-remaining", str(max(0, self.limit - count))),
            ("ratelimit-reset", str(reset)),
        ]
        if count > self.limit:
            response = problem(
                429,
                f"Too many requests: the limit is {self.limit_text}; retry in {reset} s.",
                headers={"retry-after": str(reset)},
            )
            response.raw_headers.extend(headers)
            return response
        response = await call_next()
        _merge(response.raw_headers, headers)
        return response


def _merge(raw: list[tuple[str, str]], headers: list[tuple[str, str]]) -> None:
    """Several limiters on one request (global and per route): the tightest one is announced."""
    for name, value in raw:
        if name == "ratelimit-remaining":
            if value.isdigit() and int(value) <= int(headers[1][1]):
                return  # an inner limiter has less left: its headers stay
            raw[:] = [h for h in raw if not h[0].startswith("ratelimit-")]
            break
    raw.extend(headers)


# -- the per-route option (``app.get(path, rate_limit="10/second")``, read by routing) -------
def check_option(rate_limit: Any, path: str) -> Any:
    """Validate a route's ``rate_limit=`` at registration."""
    if rate_limit is None or isinstance(rate_limit, RateLimitMiddleware):
        return rate_limit
    if not isinstance(rate_limit, str):
        raise TypeError(
            f"route {path!r}: rate_limit is a string like '10/second' or a "
            f"RateLimitMiddleware(...), got {rate_limit!r}"
        )
    try:
        parse_limit(rate_limit)
    except ValueError as exc:
        raise ValueError(f"route {path!r}: {exc}") from None
    return rate_limit


def route_layer(rate_limit: Any, path: str, methods: Sequence[str]) -> RateLimitMiddleware:
    """The route's own limiter, counting under the route's prefix."""
    limiter = RateLimitMiddleware(rate_limit) if isinstance(rate_limit, str) else rate_limit
    return limiter.scoped(f"{','.join(methods)} {path}")
