"""SessionMiddleware: signed-cookie sessions, and server-side sessions in a real Redis.

Attacks and bad input tried: a tampered payload, a tampered signature, a cookie signed with
another secret, a replayed cookie past max_age (the clock is injected), garbage and an
oversized (>4 KiB) cookie, a session too large for a cookie, a made-up or planted Redis
session id (never adopted), Redis killed mid-test (503, never a 500).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis

from orionis import Application, Request
from orionis.exceptions import LifespanError
from orionis.middleware import RedisSessionBackend, SessionMiddleware
from orionis.testing import TestClient
from tests.redis_server import RedisServer, free_port

SECRET = "s" * 32


class Clock:
    """A clock the test moves by hand (no sleeps)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def session_app(**options: Any) -> Application:
    app = Application()
    app.add_middleware(SessionMiddleware, secret_key=SECRET, **options)

    @app.post("/login/{user}")
    async def login(request: Request, user: str) -> dict:
        request.session.regenerate()
        request.session["user"] = user
        return {"ok": True}

    @app.get("/me")
    async def me(request: Request) -> dict:
        return {"user": request.session.get("user"), "session": dict(request.session)}

    @app.post("/cart/{item}")
    async def add(request: Request, item: str) -> dict:
        request.session.setdefault("cart", []).append(item)  # a nested change
        return {"cart": request.session["cart"]}

    @app.post("/big")
    async def big(request: Request) -> dict:
        request.session["blob"] = "x" * 5000
        return {"ok": True}

    @app.post("/logout")
    async def logout(request: Request) -> dict:
        request.session.clear()
        return {"ok": True}

    return app


def set_cookie(response: Any) -> str | None:
    values = response.headers.get_list("set-cookie")
    assert len(values) <= 1
    return values[0] if values else None


# -- signed cookie ---------------------------------------------------------------------------
def test_login_read_and_logout(interface: str) -> None:
    with TestClient(session_app(), interface) as client:
        assert client.get("/me").json()["user"] is None
        r = client.post("/login/ada")
        header = set_cookie(r)
        assert header is not None
        lowered = header.lower()
        assert "httponly" in lowered and "path=/" in lowered and "samesite=lax" in lowered
        assert "secure" not in lowered and "max-age=1209600" in lowered
        assert client.get("/me").json()["user"] == "ada"
        out = client.post("/logout")
        assert "max-age=0" in (set_cookie(out) or "").lower()
        assert client.get("/me").json()["user"] is None


def test_set_cookie_only_when_the_session_changed(interface: str) -> None:
    with TestClient(session_app(), interface) as client:
        assert set_cookie(client.get("/me")) is None  # empty, untouched: nothing sent
        client.post("/login/ada")
        assert set_cookie(client.get("/me")) is None  # read only
        assert set_cookie(client.post("/cart/tea")) is not None  # nested change seen
        assert client.post("/cart/milk").json() == {"cart": ["tea", "milk"]}


def test_cookie_flags_follow_the_options(interface: str) -> None:
    app = session_app(https_only=True, same_site="strict", max_age=60, cookie_name="sid")
    with TestClient(app, interface, base_url="https://testserver") as client:
        header = (set_cookie(client.post("/login/ada")) or "").lower()
    assert header.startswith("sid=")
    assert "secure" in header and "samesite=strict" in header and "max-age=60" in header


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: "A" + v[1:],  # payload tampered
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature tampered
        lambda v: v.replace(".", "", 1),  # malformed
        lambda v: "garbage",
        lambda v: "",
    ],
)
def test_tampered_cookie_is_an_empty_session(interface: str, mangle: Any) -> None:
    with TestClient(session_app(), interface) as client:
        client.post("/login/ada")
        value = client.cookies["session"]
        client.cookies.clear()
        r = client.get("/me", headers={"cookie": f"session={mangle(value)}"})
    assert r.status_code == 200
    assert r.json()["user"] is None


def test_cookie_signed_with_another_secret_is_refused(interface: str) -> None:
    other = Application()
    other.add_middleware(SessionMiddleware, secret_key="another secret, 32 bytes long...")

    @other.get("/set")
    async def forge(request: Request) -> None:
        request.session["user"] = "admin"

    with TestClient(other, interface) as client:
        client.get("/set")
        forged = client.cookies["session"]
    with TestClient(session_app(), interface) as client:
        r = client.get("/me", headers={"cookie": f"session={forged}"})
    assert r.json()["user"] is None


def test_replayed_cookie_expires_after_max_age(interface: str) -> None:
    clock = Clock()
    with TestClient(session_app(max_age=3600, clock=clock), interface) as client:
        client.post("/login/ada")
        stolen = client.cookies["session"]
        client.cookies.clear()
        clock.now += 3599
        assert client.get("/me", headers={"cookie": f"session={stolen}"}).json()["user"] == "ada"
        clock.now += 2
        r = client.get("/me", headers={"cookie": f"session={stolen}"})
        assert r.status_code == 200 and r.json()["user"] is None
        assert "max-age=0" in (set_cookie(r) or "").lower()  # the dead cookie is deleted


def test_oversized_incoming_cookie_is_ignored(interface: str) -> None:
    with TestClient(session_app(), interface) as client:
        r = client.get("/me", headers={"cookie": "session=" + "a" * 5000})
    assert r.status_code == 200 and r.json()["user"] is None
    assert "max-age=0" in (set_cookie(r) or "").lower()


def test_session_too_large_for_a_cookie_is_a_logged_500(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "orionis"), TestClient(session_app(), interface) as client:
        r = client.post("/big")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "set-cookie" not in r.headers
    assert "RedisSessionBackend" in caplog.text and "4096" in caplog.text


def test_non_json_value_is_a_clear_logged_500(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = session_app()

    @app.get("/bad")
    async def bad(request: Request) -> None:
        request.session["when"] = object()

    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        assert client.get("/bad").status_code == 500
    assert "JSON values" in caplog.text


def test_session_without_the_middleware_names_it(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()

    @app.get("/me")
    async def me(request: Request) -> dict:
        return dict(request.session)

    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        assert client.get("/me").status_code == 500
    assert "app.add_middleware(SessionMiddleware, secret_key=...)" in caplog.text


def test_options_are_checked_at_construction() -> None:
    with pytest.raises(ValueError, match=r"secrets\.token_urlsafe"):
        SessionMiddleware(secret_key="short")
    with pytest.raises(ValueError, match="https_only=True"):
        SessionMiddleware(secret_key=SECRET, same_site="none")
    with pytest.raises(ValueError, match="same_site"):
        SessionMiddleware(secret_key=SECRET, same_site="loose")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cookie name"):
        SessionMiddleware(secret_key=SECRET, cookie_name="a b")
    with pytest.raises(ValueError, match="redis://"):
        RedisSessionBackend("localhost:6379")


# -- Redis -----------------------------------------------------------------------------------
def redis_app(url: str, **options: Any) -> tuple[Application, RedisSessionBackend]:
    backend = RedisSessionBackend(url, prefix="test:session:")
    return session_app(backend=backend, max_age=600, **options), backend


def test_redis_keeps_only_an_id_in_the_cookie(interface: str, redis_server: RedisServer) -> None:
    app, _ = redis_app(redis_server.url)
    direct = redis.Redis.from_url(redis_server.url)
    with TestClient(app, interface) as client:
        client.post("/login/ada")
        sid = client.cookies["session"]
        assert len(sid) == 43 and "ada" not in sid
        assert direct.get(f"test:session:{sid}") == b'{"user":"ada"}'
        assert 590 <= direct.ttl(f"test:session:{sid}") <= 600
        assert client.get("/me").json()["user"] == "ada"
        assert set_cookie(client.get("/me")) is None
        client.post("/logout")
        assert direct.get(f"test:session:{sid}") is None
    direct.close()


def test_regenerate_on_login_drops_the_old_id(interface: str, redis_server: RedisServer) -> None:
    app, _ = redis_app(redis_server.url)
    direct = redis.Redis.from_url(redis_server.url)
    with TestClient(app, interface) as client:
        client.post("/cart/tea")
        before = client.cookies["session"]
        client.post("/login/ada")
        after = client.cookies["session"]
        assert after != before
        assert direct.get(f"test:session:{before}") is None
        assert client.get("/me").json()["session"] == {"cart": ["tea"], "user": "ada"}
        # The old id, replayed (an attacker who planted or saw it), is an empty session.
        client.cookies.clear()
        assert client.get("/me", headers={"cookie": f"session={before}"}).json()["user"] is None
    direct.close()


def test_planted_session_id_is_never_adopted(interface: str, redis_server: RedisServer) -> None:
    app, _ = redis_app(redis_server.url)
    planted = "A" * 43
    with TestClient(app, interface) as client:
        r = client.post("/cart/tea", headers={"cookie": f"session={planted}"})
        header = set_cookie(r) or ""
        assert header.startswith("session=") and planted not in header
    for bad in ["../../etc", "x" * 5000, "*", "A" * 42]:
        with TestClient(app, interface) as client:
            r = client.get("/me", headers={"cookie": f"session={bad}"})
            assert r.status_code == 200 and r.json()["user"] is None


def test_redis_killed_mid_test_is_a_503(interface: str, caplog: pytest.LogCaptureFixture) -> None:
    server = RedisServer().start()
    app, _ = redis_app(server.url)
    try:
        with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
            client.post("/login/ada")
            assert client.get("/me").json()["user"] == "ada"
            server.stop()
            for r in (client.get("/me"), client.post("/login/bob")):
                assert r.status_code == 503
                assert r.headers["content-type"] == "application/problem+json"
                assert r.headers["retry-after"] == "5"
                assert "traceback" not in r.text
            server.start()  # back on the same port, empty (no persistence): works again
            assert client.get("/me").json()["user"] is None
            client.post("/login/bob")
            assert client.get("/me").json()["user"] == "bob"
    finally:
        server.stop()
    assert "session store read failed" in caplog.text


def test_connect_at_startup_fails_loudly_on_a_dead_redis(interface: str) -> None:
    from orionis import Lifespan

    backend = RedisSessionBackend(f"redis://127.0.0.1:{free_port()}", timeout=2.0)
    app = session_app(backend=backend)
    app.on(Lifespan.STARTUP, backend.connect)
    with (
        pytest.raises(LifespanError, match="session store ping failed"),
        TestClient(app, interface),
    ):
        pass
