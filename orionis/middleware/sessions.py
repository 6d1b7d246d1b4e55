"""Sessions: ``request.session`` is a dict kept in a signed cookie or in Redis.

    app.add_middleware(SessionMiddleware, secret_key=SECRET)                  # signed cookie
    app.add_middleware(SessionMiddleware, secret_key=SECRET,
                       backend=RedisSessionBackend("redis://127.0.0.1:6379"))  # server-side

By default the whole session travels in the cookie, JSON-encoded, timestamped and signed with
``itsdangerous`` (readable by the client, not forgeable); a tampered, malformed, oversized or
expired cookie is an empty session, never an error. With a backend only a random id
(``secrets.token_urlsafe(32)``) travels; the data lives in Redis with a TTL of ``max_age``.
An id the store does not know is never adopted (a new one is issued when the session is
saved), and ``request.session.regenerate()`` issues a new id on login, so session fixation
can be prevented. ``Set-Cookie`` is sent only when the session changed; an emptied session
deletes the cookie (and the Redis key). A Redis outage is a logged 503 problem, never a 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

import orjson
from itsdangerous import BadData, TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode

from orionis.exceptions import problem
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response, ResponseKind

__all__ = [
    "RedisSessionBackend",
    "Session",
    "SessionMiddleware",
    "SessionStoreUnavailable",
    "SessionTooLarge",
]

logger = logging.getLogger("orionis")

MAX_COOKIE_SIZE = 4096  # what every browser stores for one cookie (RFC 6265 6.1 minimum)
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class SessionTooLarge(ValueError):
    """A cookie session grew past what a browser keeps; store it server-side instead."""


class SessionStoreUnavailable(ConnectionError):
    """The session backend (Redis) could not be reached; answered as a 503."""


class Session(dict[str, Any]):
    """A plain dict, plus what the middleware needs to know about its life.

    Changes are found by comparing the JSON at the end of the request with the JSON it was
    loaded from, so nested changes (``session["cart"].append(x)``) count too.
    """

    __slots__ = ("_loaded", "_regenerate", "session_id")

    def __init__(self, data: dict[str, Any], session_id: str | None = None) -> None:
        super().__init__(data)
        self.session_id = session_id
        self._loaded = _dumps(data) if data else b""
        self._regenerate = False

    def regenerate(self) -> None:
        """Keep the data under a new id (call it on login: an id an attacker planted, or
        saw before, stops working). With the cookie backend, a freshly signed cookie."""
        self._regenerate = True

    @property
    def modified(self) -> bool:
        return self._regenerate or (_dumps(self) if self else b"") != self._loaded


def _dumps(data: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        raise TypeError(
            f"request.session must hold JSON values (str keys; str, int, float, bool, None, "
            f"lists, dicts): {exc}"
        ) from None


def _loads(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


class _Signer(TimestampSigner):
    """``TimestampSigner`` reading the time from the middleware's clock (tests inject it)."""

    def __init__(self, secret_key: str | bytes, clock: Callable[[], float]) -> None:
        super().__init__(secret_key, salt="orionis.session", digest_method=hashlib.sha256)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock())


class RedisSessionBackend:
    """Session data in Redis (redis-py's asyncio client), shared by every worker and machine.

    Connects lazily, on the first request of each event loop (each worker has its own), or
    at startup with ``app.on(Lifespan.STARTUP, backend.connect)``; ``backend.close`` (a
    shutdown callback) closes the pool. Each command is bounded by ``timeout`` seconds; a
    failure raises ``SessionStoreUnavailable``, which the middleware answers with a 503.
    """

    def __init__(self, url: str, *, prefix: str = "orionis:session:", timeout: float = 5.0) -> None:
        if not isinstance(url, str) or "://" not in url:
            raise ValueError(
                f"RedisSessionBackend takes a URL like 'redis://host:6379', not {url!r}"
            )
        try:
            import redis.asyncio  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisSessionBackend needs the redis package: pip install 'orionis[redis]'"
            ) from exc
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]  # loops of finished test clients / workers
            client = self._clients[loop] = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 1),  # one immediate retry: a pooled socket gone stale
            )
        return client

    async def _run(self, what: str, call: Callable[[Any], Any]) -> Any:
        from redis.exceptions import RedisError

        try:
            return await call(self._client())
        except (RedisError, OSError) as exc:
            raise SessionStoreUnavailable(f"session store {what} failed: {exc}") from exc

    async def load(self, session_id: str) -> bytes | None:
        return await self._run("read", lambda r: r.get(self.prefix + session_id))

    async def save(self, session_id: str, data: bytes, max_age: int) -> None:
        await self._run("write", lambda r: r.set(self.prefix + session_id, data, ex=max_age))

    async def delete(self, session_id: str) -> None:
        await self._run("delete", lambda r: r.delete(self.prefix + session_id))

    async def connect(self) -> None:
        """Check that Redis answers (a startup callback: a wrong URL stops the worker then,
        not on the first request). Optional: the connection is otherwise made on first use."""
        await self._run("ping", lambda r: r.ping())

    async def close(self) -> None:
        """Close this event loop's connection pool (a shutdown callback)."""
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()


class SessionMiddleware(Middleware):
    """See the module docstring. Add it before (outside) middleware that reads the session."""

    def __init__(
        self,
        secret_key: str | bytes,
        cookie_name: str = "session",
        max_age: int = 14 * 24 * 3600,
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        backend: RedisSessionBackend | None = None,
        *,
        domain: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(secret_key, (str, bytes)) or len(secret_key) < 16:
            raise ValueError(
                "SessionMiddleware needs a secret_key of at least 16 characters; "
                "generate one with secrets.token_urlsafe(32) and keep it out of the code"
            )
        if same_site not in ("lax", "strict", "none"):
            raise ValueError(f"same_site must be 'lax', 'strict' or 'none', not {same_site!r}")
        if same_site == "none" and not https_only:
            raise ValueError(
                "same_site='none' needs https_only=True (browsers refuse it otherwise)"
            )
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 1:
            raise ValueError(f"max_age is a positive number of seconds, not {max_age!r}")
        self.cookie_name = cookie_name
        self.max_age = max_age
        self.backend = backend
        self.signer = _Signer(secret_key, clock)
        self.cookie_options: dict[str, Any] = {
            "path": "/",
            "domain": domain,
            "secure": https_only,
            "httponly": True,
            "samesite": same_site,
        }
        Response().set_cookie(cookie_name, "x", **self.cookie_options)  # bad options fail here

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        raw = request.cookies.get(self.cookie_name)
        if raw is not None and len(raw) > MAX_COOKIE_SIZE:
            raw = None  # oversized: ignored (and replaced or deleted below)
        try:
            session = await self._load(raw)
        except SessionStoreUnavailable as exc:
            return _unavailable(request, exc)
        request._session = session
        response = await call_next()
        try:
            await self._commit(request, session, raw, response)
        except SessionStoreUnavailable as exc:
            await _discard(response)
            return _unavailable(request, exc)
        except BaseException:
            await _discard(response)
            raise
        return response

    async def _load(self, raw: str | None) -> Session:
        if raw is None:
            return Session({})
        if self.backend is None:
            try:
                payload = self.signer.unsign(raw, max_age=self.max_age)
                return Session(_loads(base64_decode(payload)))
            except (BadData, ValueError):  # tampered, expired, malformed
                return Session({})
        if not _SESSION_ID.fullmatch(raw):
            return Session({})
        data = await self.backend.load(raw)
        if data is None:  # unknown or expired id: never adopted
            return Session({})
        return Session(_loads(data), raw)

    async def _commit(
        self, request: Request, session: Session, raw: str | None, response: Response
    ) -> None:
        if not session.modified:
            if raw is None and self.cookie_name in request.cookies:
                response.delete_cookie(self.cookie_name, **self._deletion())  # oversized
            elif raw is not None and not session and session.session_id is None:
                response.delete_cookie(self.cookie_name, **self._deletion())  # invalid
            return
        backend = self.backend
        old_id = session.session_id
        if not session:
            if backend is not None and old_id is not None:
                await backend.delete(old_id)
            response.delete_cookie(self.cookie_name, **self._deletion())
            return
        data = _dumps(session)
        if backend is None:
            value = self.signer.sign(base64_encode(data)).decode("ascii")
            if len(value) > MAX_COOKIE_SIZE:
                raise SessionTooLarge(
                    f"request.session is {len(value)} bytes signed, over the {MAX_COOKIE_SIZE}-"
                    "byte cookie limit; store less in it or use "
                    "SessionMiddleware(backend=RedisSessionBackend(url))"
                )
        else:
            if old_id is None or session._regenerate:
                value = secrets.token_urlsafe(32)
                if old_id is not None:
                    await backend.delete(old_id)
            else:
                value = old_id
            await backend.save(value, data, self.max_age)
            session.session_id = value
        response.set_cookie(self.cookie_name, value, max_age=self.max_age, **self.cookie_options)

    def _deletion(self) -> dict[str, Any]:
        return self.cookie_options


def _unavailable(request: Request, exc: SessionStoreUnavailable) -> Response:
    # %r: the path is client-controlled (no forged log lines)
    logger.error("%s %r: %s", request.method, request.path, exc)
    return problem(
        503,
        "The session store is unavailable; try again shortly.",
        headers={"retry-after": "5"},
    )


async def _discard(response: Response) -> None:
    if response.kind == ResponseKind.STREAM:
        await response.aclose()  # replaced by an error: it will never be sent
