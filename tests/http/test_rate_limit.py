"""RateLimitMiddleware and per-route ``rate_limit=``, under both interfaces.

Time never passes by itself here: limiters get a clock the test moves. Hostile inputs: bad
limit strings, a flood of 100,000 distinct keys (memory stays at the bound), Redis killed
while serving (fail open, or 503 when closed; never a 500), keys from async callables.
"""

from __future__ import annotations

import asyncio
import logging
import tracemalloc

import jwt
import pytest

from orionis import Application
from orionis.middleware import RateLimitMiddleware
from orionis.middleware.rate_limit import _MemoryStore, header_key, parse_limit
from orionis.requests import Request
from orionis.security import JWTAuth
from orionis.testing import TestClient
from tests.redis_server import RedisServer


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limited_app(**options: object) -> Application:
    app = Application()
    app.add_middleware(RateLimitMiddleware, **options)
    app.get("/", lambda: {"ok": True})
    return app


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/minute", (100, 60)),
        ("10/second", (10, 1)),
        ("5 per hour", (5, 3600)),
        ("2/days", (2, 86400)),
        ("50/15 minutes", (50, 900)),
    ],
)
def test_limits_are_parsed(text: str, expected: tuple[int, int]) -> None:
    assert parse_limit(text) == expected


@pytest.mark.parametrize("text", ["", "100", "0/minute", "-1/second", "10/fortnight", "a/b", 5])
def test_bad_limits_are_refused_at_construction(text: object) -> None:
    with pytest.raises(ValueError, match="like '100/minute'"):
        RateLimitMiddleware(text)  # type: ignore[arg-type]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="'memory://' or 'redis://"):
        RateLimitMiddleware("1/second", storage="memcached://x")
    with pytest.raises(ValueError, match="'open' or 'closed'"):
        RateLimitMiddleware("1/second", on_error="maybe")
    app = Application()
    with pytest.raises(ValueError, match=r"route '/x'.*like '100/minute'"):
        app.get("/x", lambda: None, rate_limit="often")
    with pytest.raises(TypeError, match="rate_limit is a string"):
        app.get("/y", lambda: None, rate_limit=10)


def test_429_with_headers_after_the_limit(interface: str) -> None:
    clock = Clock(1_000_000.0)  # 40 s into a minute window (999,960 + 60)
    with TestClient(limited_app(limit="3/minute", clock=clock), interface) as client:
        answers = [client.get("/") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert all(r.headers["ratelimit-limit"] == "3" for r in answers)
    assert all(r.headers["ratelimit-reset"] == "20" for r in answers)  # 1,000,020 ends it
    refused = answers[-1]
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert "3/minute" in refused.json()["detail"]


def test_the_next_window_starts_afresh(interface: str) -> None:
    clock = Clock()
    with TestClient(limited_app(limit="1/hour", clock=clock), interface) as client:
        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 429
        clock.now += 3600
        assert client.get("/").status_code == 200


def test_keys_from_a_header_and_async_callables(interface: str) -> None:
    clock = Clock()
    app = limited_app(limit="1/hour", key=header_key("X-API-Key"), clock=clock)
    with TestClient(app, interface) as client:
        assert client.get("/", headers={"x-api-key": "a"}).status_code == 200
        assert client.get("/", headers={"x-api-key": "a"}).status_code == 429
        assert client.get("/", headers={"x-api-key": "b"}).status_code == 200
        assert client.get("/").status_code == 200  # no header: counted by client address
        assert client.get("/").status_code == 429

    async def tenant(request: object) -> str:
        await asyncio.sleep(0)
        return request.headers.get("x-tenant", "none")  # type: ignore[attr-defined]

    with TestClient(limited_app(limit="1/hour", key=tenant, clock=clock), interface) as client:
        assert client.get("/", headers={"x-tenant": "t1"}).status_code == 200
        assert client.get("/", headers={"x-tenant": "t1"}).status_code == 429
        assert client.get("/", headers={"x-tenant": "t2"}).status_code == 200


def test_keys_from_a_jwt_claim(interface: str) -> None:
    secret = b"k" * 32
    auth = JWTAuth(secret, algorithms=["HS256"])

    async def subject(request: Request) -> str:
        return f"sub:{(await auth(request))['sub']}"  # a bad token answers 401 here

    app = limited_app(limit="1/hour", key=subject, clock=Clock())
    ada = {"authorization": f"Bearer {jwt.encode({'sub': 'ada'}, secret, algorithm='HS256')}"}
    bob = {"authorization": f"Bearer {jwt.encode({'sub': 'bob'}, secret, algorithm='HS256')}"}
    with TestClient(app, interface) as client:
        assert client.get("/", headers=ada).status_code == 200
        assert client.get("/", headers=ada).status_code == 429
        assert client.get("/", headers=bob).status_code == 200
        bad = client.get("/", headers={"authorization": "Bearer a.b.c"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_per_route_limits_work_without_the_middleware(interface: str) -> None:
    app = Application()
    app.get("/strict", lambda: "s", rate_limit="2/hour")
    app.get("/free", lambda: "f")
    with TestClient(app, interface) as client:
        assert [client.get("/strict").status_code for _ in range(3)] == [200, 200, 429]
        free = client.get("/free")
        assert free.status_code == 200
        assert "ratelimit-limit" not in free.headers


def test_per_route_limit_on_top_of_the_global_one(interface: str) -> None:
    clock = Clock()
    app = Application()
    app.add_middleware(RateLimitMiddleware, limit="100/hour", clock=clock)
    app.get("/login", lambda: "in", rate_limit=RateLimitMiddleware("1/hour", clock=clock))
    app.get("/other", lambda: "o", rate_limit=RateLimitMiddleware("1/hour", clock=clock))
    with TestClient(app, interface) as client:
        first = client.get("/login")
        assert first.status_code == 200
        # One set of headers, the tightest limit's (the route's 1/hour, not the global 100).
        assert first.headers.get_list("ratelimit-remaining") == ["0"]
        assert first.headers.get_list("ratelimit-limit") == ["1"]
        refused = client.get("/login")
        assert refused.status_code == 429
        assert refused.headers.get_list("ratelimit-limit") == ["1"]
        other = client.get("/other")
        assert other.status_code == 200  # each route counts alone
        assert other.headers.get_list("ratelimit-remaining") == ["0"]
        wide = client.get("/")
        assert wide.status_code == 404
        assert wide.headers.get_list("ratelimit-remaining") == ["96"]  # global: 4th request


def test_a_flood_of_distinct_keys_stays_within_the_bound() -> None:
    store = _MemoryStore(max_keys=10_000)

    async def flood(start: int, count: int) -> None:
        for i in range(start, start + count):
            await store.hit(f"orionis:rl:client-{i:08d}", 1, 60)

    tracemalloc.start()
    try:
        asyncio.run(flood(0, 20_000))  # full, and the dict at its steady size
        full, _ = tracemalloc.get_traced_memory()
        asyncio.run(flood(20_000, 80_000))  # 100,000 distinct keys in all
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(store) == 10_000
    assert after - full < 50_000  # no growth after the bound (measured: ~2 kB of noise)
    assert full < 10_000 * 400  # and the bound itself is ~250 bytes per short key
    assert "orionis:rl:client-00099999" in store.counters  # the newest kept, oldest out
    assert "orionis:rl:client-00000000" not in store.counters


def test_long_keys_are_stored_as_digests(interface: str) -> None:
    limiter = RateLimitMiddleware("1/hour", key=header_key("x-k"), max_keys=10, clock=Clock())
    app = Application()
    app.get("/", lambda: "ok", rate_limit=limiter)
    with TestClient(app, interface) as client:
        for i in range(20):  # 8 kB keys: each counter would hold 8 kB without the digest
            key = f"{i:04d}" + "x" * 8000
            assert client.get("/", headers={"x-k": key}).status_code == 200
        assert client.get("/", headers={"x-k": key}).status_code == 429  # still counted
    stored = limiter.store.counters  # type: ignore[union-attr]
    assert len(stored) == 10
    assert max(len(k) for k in stored) < 100


def test_the_bound_holds_over_http_and_defaults_to_100_000(interface: str) -> None:
    assert RateLimitMiddleware("1/hour").store.max_keys == 100_000  # type: ignore[union-attr]
    clock = Clock()
    app = limited_app(limit="1/hour", key=header_key("x-k"), max_keys=3, clock=clock)
    with TestClient(app, interface) as client:
        for i in range(50):
            assert client.get("/", headers={"x-k": str(i)}).status_code == 200
        # the oldest keys were evicted: "0" starts a fresh window, "49" is still counted
        assert client.get("/", headers={"x-k": "49"}).status_code == 429
        assert client.get("/", headers={"x-k": "0"}).status_code == 200


# -- Redis -----------------------------------------------------------------------------------
def test_redis_storage_counts_across_app_instances(
    interface: str, redis_server: RedisServer
) -> None:
    clock = Clock()
    shared = {"limit": "3/hour", "storage": redis_server.url, "clock": clock}
    one = limited_app(**shared, prefix=f"test-{interface}:")  # one count per interface
    two = limited_app(**shared, prefix=f"test-{interface}:")
    with TestClient(one, interface) as a, TestClient(two, interface) as b:
        codes = [a.get("/").status_code, b.get("/").status_code, a.get("/").status_code]
        assert codes == [200, 200, 200]
        refused = b.get("/")
        assert refused.status_code == 429
        assert refused.headers["ratelimit-remaining"] == "0"


def test_redis_outage_fails_open_logged_once(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer().start()
    clock = Clock()
    try:
        app = limited_app(limit="2/hour", storage=server.url, clock=clock)
        closed = limited_app(limit="2/hour", storage=server.url, clock=clock, on_error="closed")
        with TestClient(app, interface) as client, TestClient(closed, interface) as strict:
            assert client.get("/").status_code == 200
            server.stop()
            with caplog.at_level(logging.WARNING, logger="orionis.ratelimit"):
                codes = [client.get("/").status_code for _ in range(5)]
                refused = strict.get("/")
            assert codes == [200] * 5
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            failures = [r for r in caplog.records if "failed" in r.getMessage()]
            assert len(failures) == 2  # once per limiter, not once per request
            server.start()  # same port
            with caplog.at_level(logging.WARNING, logger="orionis.ratelimit"):
                skipped = client.get("/")  # within the second: Redis not tried yet
                assert "ratelimit-limit" not in skipped.headers
                clock.now += 1
                back = client.get("/")
            assert back.status_code == 200
            assert back.headers["ratelimit-remaining"] == "1"  # counted (Redis restarted empty)
            assert client.get("/").status_code == 200
            assert client.get("/").status_code == 429
            assert sum("apply again" in r.getMessage() for r in caplog.records) == 1
    finally:
        server.stop()


def test_memory_limiter_instance_is_usable_as_route_middleware(interface: str) -> None:
    app = Application()
    app.get("/", lambda: "ok", middleware=[RateLimitMiddleware("1/hour")])
    with TestClient(app, interface) as client:
        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 429
