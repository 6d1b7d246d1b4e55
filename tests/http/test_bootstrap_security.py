"""The demo's sign-in (bootstrap.py), in process under both interfaces: the session cookie and
the JWT, the protected routes, CSRF on browser writes, the login rate limit, compression,
trusted hosts and proxies, and that no secret is ever logged. The browser flow is
tests/live/test_browser_signin.py.

Hostile inputs tried: wrong user or password, a non-ASCII and an over-long password, a
form-encoded or text/plain login, an unknown scope, a token that is expired, has no ``exp``,
is signed with another secret, says ``alg: none``, lacks ``notes:write``, or comes with a
non-Bearer scheme; a forged session cookie; writes without a CSRF token, with a token from
before signing in, from another site (``Sec-Fetch-Site``, ``Origin``) and a cross-site
login; a bearer token sent with cookies; a sixth login in a minute (with the right
password); a spoofed ``X-Forwarded-For`` from an untrusted peer; a malformed and a foreign
``Host``.
"""

from __future__ import annotations

import base64
import gzip
import importlib
import json
import logging
import pathlib
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import jwt
import pytest

from orionis.testing import TestClient
from tests.http.test_sse import frames, parse

SECRET_KEY = "session-secret-for-tests-" + "s" * 20
JWT_SECRET = "jwt-secret-for-tests-" + "j" * 24
LOGIN = {"username": "demo", "password": "demo-password"}
NOTE = {"title": "mine", "body": "signed"}


def load(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, **env: str) -> ModuleType:
    """bootstrap, freshly imported with this environment (secrets set unless given as "")."""
    monkeypatch.setenv("ORIONIS_NOTES_DB", str(tmp_path / "notes.db"))
    settings = {"ORIONIS_SECRET_KEY": SECRET_KEY, "ORIONIS_JWT_SECRET": JWT_SECRET, **env}
    for name, value in settings.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    import bootstrap

    return importlib.reload(bootstrap)


@pytest.fixture
def demo(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    yield load(monkeypatch, tmp_path)


def token(claims: dict[str, Any], secret: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    now = int(time.time())
    full = {"sub": "demo", "iss": "orionis-demo", "iat": now, "exp": now + 600, **claims}
    return jwt.encode({k: v for k, v in full.items() if v is not None}, secret, algorithm)


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def csrf(client: TestClient) -> dict[str, str]:
    """What the live page does before a write: fetch the token for its session."""
    return {"x-csrf-token": client.get("/api/csrf").json()["csrf_token"]}


def api_login(client: TestClient, **extra: str) -> dict[str, Any]:
    """Sign in as an API client does: no cookies (the client's jar is emptied first)."""
    client.cookies.clear()
    r = client.post("/login", json={**LOGIN, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def problem(r: Any, status: int, words: str = "") -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert words in body["detail"], body["detail"]
    return body


# -- signing in: a session and a JWT -----------------------------------------------------
def test_login_sets_a_session_and_returns_a_jwt(demo: ModuleType, interface: str) -> None:
    with TestClient(demo.app, interface) as client:
        problem(client.get("/api/me"), 401, "Authentication required")
        r = client.post("/login", json=LOGIN, headers=csrf(client))  # as the page does
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["user"] == "demo" and answer["token_type"] == "bearer"
        assert (answer["scope"], answer["expires_in"]) == ("notes:read notes:write", 900)
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "demo-password" not in cookie
        assert jwt.get_unverified_header(answer["access_token"])["alg"] == "HS256"
        claims = jwt.decode(answer["access_token"], JWT_SECRET, ["HS256"], issuer="orionis-demo")
        assert claims["sub"] == "demo" and claims["scope"] == "notes:read notes:write"
        assert claims["exp"] - claims["iat"] == 900  # short-lived
        assert client.get("/api/me").json() == {
            "user": "demo",
            "via": "session",
            "scope": "notes:read notes:write",
        }
        # The session's CSRF binding does not survive a new login (the session is cleared
        # and regenerated): a token issued before it fails.
        before = csrf(client)
        assert client.post("/login", json=LOGIN, headers=before).status_code == 200
        r = client.post("/api/me/notes", json=NOTE, headers=before)
        problem(r, 403, "not a token this site issued for this session")
        r = client.post("/api/me/notes", json=NOTE, headers=csrf(client))
        assert r.status_code == 201 and r.json()["author"] == "demo"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "demo", "password": "wrong"}, 401),
        ({"username": "Demo", "password": "demo-password"}, 401),
        ({"username": "demo", "password": "pässwörd ☃"}, 401),  # non-ASCII: no TypeError
        ({"username": "demo", "password": "x" * 201}, 422),
        ({"username": "demo"}, 422),
        ({**LOGIN, "scope": "notes:admin"}, 422),
        ({**LOGIN, "scope": "notes:read; drop"}, 422),
        ([1, 2], 422),
    ],
)
def test_bad_logins_are_refused(demo: ModuleType, interface: str, body: Any, status: int) -> None:
    with TestClient(demo.app, interface) as client:
        r = client.post("/login", json=body)
        problem(r, status)
        if status == 401:
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["detail"] == "Wrong username or password."
        assert "session=" not in r.headers.get("set-cookie", "")
        problem(client.get("/api/me"), 401)


def test_a_login_form_or_text_body_is_unsupported(demo: ModuleType, interface: str) -> None:
    with TestClient(demo.app, interface) as client:
        r = client.post("/login", data=LOGIN)
        problem(r, 415)
        assert r.headers["accept-post"] == "application/json"
        text = client.post(
            "/login", content=json.dumps(LOGIN), headers={"content-type": "text/plain"}
        )
        problem(text, 415)  # what a cross-site form could send: never parsed as JSON


def test_logout_clears_the_session(demo: ModuleType, interface: str) -> None:
    with TestClient(demo.app, interface) as client:
        api_login(client)  # the session cookie is set for API clients too
        headers = csrf(client)
        problem(client.post("/logout"), 403, "no token was sent")  # CSRF-checked
        assert client.get("/api/me").status_code == 200
        r = client.post("/logout", headers=headers)
        assert r.status_code == 204
        assert 'session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
        assert "session" not in client.cookies
        problem(client.get("/api/me"), 401)
        # the token bound to the ended session is refused too
        problem(client.post("/logout", headers=headers), 403, "CSRF check failed")


def test_a_read_only_session_cannot_write(demo: ModuleType, interface: str) -> None:
    with TestClient(demo.app, interface) as client:
        api_login(client, scope="notes:read")  # the session gets the scopes asked for
        assert client.get("/api/me").json()["scope"] == "notes:read"
        r = client.post("/api/me/notes", json=NOTE, headers=csrf(client))
        problem(r, 403, "signed in without the notes:write scope")
        assert client.get("/api/notes").json() == []


def test_a_forged_session_cookie_is_no_session(demo: ModuleType, interface: str) -> None:
    payload = base64.urlsafe_b64encode(b'{"scope":"notes:write","user":"demo"}').decode()
    with TestClient(demo.app, interface) as client:
        client.cookies.set("session", f"{payload.rstrip('=')}.aw74cA.forged-signature")
        problem(client.get("/api/me"), 401)


# -- API clients: the bearer token, its scopes, CSRF left out -----------------------------
def test_api_clients_use_the_token_without_csrf(demo: ModuleType, interface: str) -> None:
    with TestClient(demo.app, interface) as client:
        full = api_login(client)["access_token"]
        read_only = api_login(client, scope="notes:read")
        assert read_only["scope"] == "notes:read"
        client.cookies.clear()  # a script: no cookies at all, no CSRF token

        me = client.get("/api/me", headers=bearer(full)).json()
        assert me == {"user": "demo", "via": "token", "scope": "notes:read notes:write"}
        client.cookies.clear()  # (httpx kept the csrftoken cookie the GET was given)
        r = client.post("/api/me/notes", json=NOTE, headers=bearer(full))
        assert r.status_code == 201, r.text
        note = r.json()
        assert note["author"] == "demo" and r.headers["location"] == f"/api/notes/{note['id']}"
        assert client.get("/api/notes").json() == [note]

        short = bearer(read_only["access_token"])
        assert client.get("/api/me", headers=short).json()["scope"] == "notes:read"
        client.cookies.clear()
        r = client.post("/api/me/notes", json=NOTE, headers=short)
        problem(r, 403, "lacks scope(s) notes:write")
        assert r.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="notes:write"'
        )
        assert len(client.get("/api/notes").json()) == 1

        # With cookies, a bearer request is a browser request: CSRF-checked.
        client.cookies.set("csrftoken", "anything")
        problem(client.post("/api/me/notes", json=NOTE, headers=bearer(full)), 403, "CSRF")


@pytest.mark.parametrize(
    "credential",
    [
        token({"exp": int(time.time()) - 10}),  # expired
        token({"exp": None}),  # no exp: require_exp
        token({}, secret="another-secret-of-enough-length-000000"),
        token({"iss": "someone-else"}),
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
        + base64.urlsafe_b64encode(b'{"sub":"demo","scope":"notes:write"}').decode().rstrip("=")
        + ".",  # alg: none
        "not-a-jwt",
    ],
)
def test_bad_tokens_are_401(demo: ModuleType, interface: str, credential: str) -> None:
    with TestClient(demo.app, interface) as client:
        for method, path in (("GET", "/api/me"), ("POST", "/api/me/notes")):
            client.cookies.clear()  # an API client (with cookies, CSRF would answer first)
            r = client.request(method, path, json=NOTE, headers=bearer(credential))
            problem(r, 401)
            assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        r = client.get("/api/me", headers={"authorization": "Basic ZGVtbzpkZW1v"})
        problem(r, 401)
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_request"'
        assert client.get("/api/notes").json() == []


# -- CSRF on browser writes ----------------------------------------------------------------
def test_browser_writes_need_the_csrf_token(demo: ModuleType, interface: str) -> None:
    with TestClient(demo.app, interface) as client:
        page_token = csrf(client)  # the page loads it, then signs in with it
        assert client.post("/login", json=LOGIN, headers=page_token).status_code == 200
        headers = csrf(client)  # bound to the new session (the page fetches it again)
        problem(client.post("/api/me/notes", json=NOTE), 403, "no token was sent")
        problem(client.post("/api/me/notes", json=NOTE, headers=page_token), 403, "CSRF")
        for hostile in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}):
            r = client.post("/api/me/notes", json=NOTE, headers={**headers, **hostile})
            problem(r, 403, "CSRF check failed")
        r = client.post(
            "/api/me/notes",
            json=NOTE,
            headers={**headers, "origin": "http://testserver", "sec-fetch-site": "same-origin"},
        )
        assert r.status_code == 201 and r.json()["author"] == "demo"
        # The anonymous API uses no credential: exempt, cookies or not.
        assert client.post("/api/notes", json=NOTE).json()["author"] is None
        assert client.put("/api/notes/1").status_code == 405


def test_login_csrf(demo: ModuleType, interface: str) -> None:
    """A cross-site page cannot sign a visitor in (into the attacker's account)."""
    with TestClient(demo.app, interface) as client:
        for hostile in (
            {"sec-fetch-site": "cross-site"},
            {"origin": "https://evil.example"},
            {"origin": "null"},
        ):
            r = client.post("/login", json=LOGIN, headers=hostile)  # no cookies: SameSite
            problem(r, 403, "CSRF check failed")
        client.get("/health")  # now the browser holds the csrftoken cookie
        problem(client.post("/login", json=LOGIN), 403, "no token was sent")
        problem(client.get("/api/me"), 401)


# -- the rate limit ----------------------------------------------------------------------------
def test_login_is_limited_to_five_a_minute(demo: ModuleType, interface: str) -> None:
    now = [60_000_030.0]  # 30 s into a minute window; moved by the test only
    demo.login_limit.clock = lambda: now[0]
    with TestClient(demo.app, interface) as client:
        for left in (4, 3, 2, 1, 0):
            r = client.post("/login", json={**LOGIN, "password": "guess"})
            assert r.status_code == 401
            assert (r.headers["ratelimit-limit"], r.headers["ratelimit-remaining"]) == (
                "5",
                str(left),
            )
            assert r.headers["ratelimit-reset"] == "30"
        r = client.post("/login", json=LOGIN)  # the right password no longer helps
        body = problem(r, 429, "the limit is 5/minute; retry in 30 s")
        assert r.headers["retry-after"] == "30" and body["title"] == "Too Many Requests"
        assert "session=" not in r.headers.get("set-cookie", "")
        assert client.get("/api/me").status_code == 401  # other routes are not counted
        assert "ratelimit-limit" not in client.get("/api/notes").headers
        now[0] += 30  # the next window
        assert client.post("/login", json=LOGIN, headers=csrf(client)).status_code == 200
    with TestClient(demo.app, interface, client=("192.0.2.7", 4000)) as other:
        r = other.post("/login", json=LOGIN)  # counted per client address
        assert (r.status_code, r.headers["ratelimit-remaining"]) == (200, "4")


def test_spoofed_forwarded_for_does_not_escape_the_limit(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, interface: str
) -> None:
    for trusted in ("", "127.0.0.1"):
        demo = load(monkeypatch, tmp_path, ORIONIS_TRUSTED_PROXIES=trusted)
        demo.login_limit.clock = lambda: 60_000_000.0
        with TestClient(demo.app, interface) as client:
            for n in range(5):
                spoof = {"x-forwarded-for": f"203.0.113.{n}"}
                assert client.post("/login", json=LOGIN, headers=spoof).status_code == 200
                client.cookies.clear()
            r = client.post("/login", json=LOGIN, headers={"x-forwarded-for": "203.0.113.99"})
            # Not trusted: every spoofed address counts as the peer's (429). Trusted (the
            # peer is the proxy): each forwarded client has its own count.
            assert r.status_code == (429 if not trusted else 200), trusted


# -- compression, hosts ----------------------------------------------------------------------
def test_large_answers_are_gzipped_but_not_the_event_stream(
    demo: ModuleType, interface: str
) -> None:
    with TestClient(demo.app, interface) as client:
        for n in range(20):
            client.post("/api/notes", json={"title": f"note {n}", "body": "x" * 40})
        with client.stream("GET", "/api/notes", headers={"accept-encoding": "gzip"}) as r:
            raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in r.headers["vary"].lower()
        assert int(r.headers["content-length"]) == len(raw)
        notes = json.loads(gzip.decompress(raw))
        assert len(notes) == 20 and len(raw) < len(gzip.decompress(raw)) / 2
        plain = client.get("/api/notes", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.json() == notes
        headers = {"accept-encoding": "gzip"}
        with client.stream("GET", "/events/notes", headers=headers) as feed:
            assert feed.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert "content-encoding" not in feed.headers
            assert parse(next(frames(feed)))["event"] == "ready"  # type: ignore[index]


def test_hosts(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, interface: str) -> None:
    demo = load(monkeypatch, tmp_path)
    with TestClient(demo.app, interface) as client:
        assert client.get("/health").status_code == 200  # any well-formed host by default
        problem(client.get("/health", headers={"host": "x/public?"}), 400)
    demo = load(monkeypatch, tmp_path, ORIONIS_ALLOWED_HOSTS="notes.example, localhost")
    with TestClient(demo.app, interface) as client:
        problem(client.get("/health"), 400)  # testserver is not listed
        assert client.get("http://notes.example/health").status_code == 200


def test_the_document_states_the_auth_answers(demo: ModuleType) -> None:
    doc = demo.app.openapi()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["sessionCookie"] == {"type": "apiKey", "in": "cookie", "name": "session"}
    paths = doc["paths"]
    assert {"401", "429", "403"} <= set(paths["/login"]["post"]["responses"])
    assert "401" in paths["/api/me"]["get"]["responses"]
    mine = paths["/api/me/notes"]["post"]
    assert {"201", "401", "403"} <= set(mine["responses"])
    assert mine["security"] == [{"sessionCookie": []}, {"bearerAuth": []}]
    assert "security" not in paths["/api/notes"]["post"]  # the anonymous API is unchanged


# -- secrets ------------------------------------------------------------------------------------
def test_generated_secrets_are_announced_never_shown(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    interface: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    demo = load(monkeypatch, tmp_path, ORIONIS_SECRET_KEY="", ORIONIS_JWT_SECRET="")
    generated = [r.getMessage() for r in caplog.records if "generated a random" in r.message]
    assert [m.split()[0] for m in generated] == ["ORIONIS_SECRET_KEY", "ORIONIS_JWT_SECRET"]
    assert len(demo.SECRET_KEY) >= 32 and len(demo.JWT_SECRET) >= 32
    assert demo.SECRET_KEY != demo.JWT_SECRET
    with TestClient(demo.app, interface) as client:
        answer = client.post("/login", json=LOGIN).json()
        session = client.cookies["session"]
        headers = csrf(client)
        client.post("/api/me/notes", json=NOTE, headers=headers)
        client.post("/login", json={**LOGIN, "password": "wrong"}, headers=headers)
        client.get("/api/me", headers=bearer("broken"))
    # a token signed with the generated secret verifies: the app uses it
    jwt.decode(answer["access_token"], demo.JWT_SECRET, ["HS256"], issuer="orionis-demo")
    captured = capsys.readouterr()
    printed = caplog.text + captured.out + captured.err
    for value in (demo.SECRET_KEY, demo.JWT_SECRET, answer["access_token"], session):
        assert value not in printed
    assert "demo-password" not in printed and headers["x-csrf-token"] not in printed


def test_secrets_from_the_environment_are_used_silently(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    demo = load(monkeypatch, tmp_path)
    assert (demo.SECRET_KEY, demo.JWT_SECRET) == (SECRET_KEY, JWT_SECRET)
    assert "generated a random" not in caplog.text
    assert SECRET_KEY not in caplog.text and JWT_SECRET not in caplog.text
