"""Each tutorial step in docs/examples/ works as the tutorial says, under both interfaces."""

from __future__ import annotations

import jwt

from orionis.testing import TestClient
from tests.redis_server import RedisServer

SECRET = "change-me-to-32-random-bytes-please"


def sse_frames(response):  # type: ignore[no-untyped-def]
    """The stream's frames (blank-line separated), as they arrive."""
    buffer = ""
    for text in response.iter_text():
        buffer += text
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            yield frame


def test_01_routes(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_01_routes").app
    with TestClient(app, interface=interface) as client:
        home = client.get("/")
        assert home.text == "Notes API"
        assert home.headers["content-type"].startswith("text/plain")
        assert client.get("/notes").json() == [{"id": 1, "title": "hello", "body": "first note"}]
        assert client.get("/notes/1").json()["title"] == "hello"
        assert client.get("/notes/one").status_code == 404  # not digits: no route
        assert client.post("/notes").status_code == 405


def test_02_models(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_02_models").app
    with TestClient(app, interface=interface) as client:
        created = client.post("/notes", json={"title": "hello", "body": "x"})
        assert created.status_code == 201
        assert created.json() == {"title": "hello", "body": "x", "id": 1}
        client.post("/notes", json={"title": "other"})
        assert [n["title"] for n in client.get("/notes", params={"q": "hel"}).json()] == ["hello"]
        assert len(client.get("/notes", params={"limit": 1}).json()) == 1
        bad = client.post("/notes", json={"title": ""})
        assert bad.status_code == 422 and bad.json()["errors"]
        assert client.get("/notes", params={"limit": 0}).status_code == 422
        broken = client.post(
            "/notes", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code in (400, 422)
        assert client.post("/notes", content=b"title=x").status_code == 415  # not JSON


def test_03_database(interface: str, load, tmp_path) -> None:  # type: ignore[no-untyped-def]
    module = load("tutorial_03_database", NOTES_DB=str(tmp_path / "notes.db"))
    with TestClient(module.app, interface=interface) as client:
        assert client.post("/notes", json={"title": "kept"}).status_code == 201
        assert client.get("/notes").json() == [{"title": "kept", "body": "", "id": 1}]
    with TestClient(module.app, interface=interface) as client:  # a new worker, same file
        assert [n["title"] for n in client.get("/notes").json()] == ["kept"]


def test_04_errors(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_04_errors").app
    with TestClient(app, interface=interface) as client:
        missing = client.get("/notes/7")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["detail"] == "no note 7; list them at GET /notes"
        locked = client.delete("/notes/1")
        assert (locked.status_code, locked.json()["detail"]) == (423, "note 1 is pinned")
        assert client.delete("/notes/2").status_code == 204


def test_05_auth(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_05_auth").app

    def token(**claims: object) -> str:
        return jwt.encode({"iss": "notes", "sub": "ada", **claims}, SECRET, algorithm="HS256")

    with TestClient(app, interface=interface) as client:
        assert client.get("/me").status_code == 401
        assert client.get("/me", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get("/me", headers={"Authorization": f"Bearer {token()}"})
        assert ok.json() == {"user": "ada"}
        write = {"Authorization": f"Bearer {token(scope='notes:write')}"}
        assert client.post("/notes", headers=write).status_code == 201
        read = {"Authorization": f"Bearer {token(scope='notes:read')}"}
        assert client.post("/notes", headers=read).status_code == 403
        assert client.get("/whoami").json() == {"user": None}
        assert client.post("/login", data={"user": "ada"}).json() == {"user": "ada"}
        assert client.get("/whoami").json() == {"user": "ada"}  # the signed cookie came back


def test_06_cors_csrf(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_06_cors_csrf").app
    with TestClient(app, interface=interface) as client:
        preflight = client.options(
            "/notes",
            headers={"Origin": "https://notes.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://notes.example"
        evil = client.options(
            "/notes",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in evil.headers
        assert client.post("/notes").status_code == 403  # no token
        csrf = client.get("/form").json()["csrf_token"]
        assert client.post("/notes", headers={"X-CSRF-Token": csrf}).status_code == 201
        cross = client.post(
            "/notes", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
        )
        assert cross.status_code == 403


def test_07_uploads(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_07_uploads").app
    with TestClient(app, interface=interface) as client:
        response = client.post(
            "/notes/3/attachments",
            files={"upload": ("a.txt", b"hello", "text/plain")},
            data={"caption": "greeting"},
        )
        assert response.status_code == 201
        assert response.json() == {
            "note": 3, "filename": "a.txt", "content_type": "text/plain", "size": 5,
            "caption": "greeting",
        }
        assert client.post("/notes/3/attachments", data={"caption": "x"}).status_code == 422
        big = client.post(
            "/notes/3/attachments", files={"upload": ("b", b"x" * (5 * 1024 * 1024 + 1))}
        )
        assert big.status_code == 413


def _check_realtime(client: TestClient) -> None:
    with client.stream("GET", "/events/notes") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = sse_frames(response)
        assert next(frames) == ": subscribed"
        assert client.post("/notes/groceries").status_code == 201
        assert sorted(next(frames).splitlines()) == ["data: groceries", "event: note", "id: 1"]
    with client.websocket_connect("/ws/chat/lobby") as ws:
        ws.send_text("hi")
        assert ws.receive_json() == {"room": "lobby", "echo": "hi"}


def test_08_realtime(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_08_realtime").app
    with TestClient(app, interface=interface) as client:
        _check_realtime(client)


def test_08_realtime_over_redis(  # type: ignore[no-untyped-def]
    interface: str, load, redis_server: RedisServer
) -> None:
    app = load("tutorial_08_realtime", NOTES_BROADCAST=redis_server.url).app
    with TestClient(app, interface=interface) as client:
        _check_realtime(client)


def test_09_static(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_09_static").app
    with TestClient(app, interface=interface) as client:
        page = client.get("/static/")
        assert page.status_code == 200 and "<h1>Notes</h1>" in page.text
        assert page.headers["cache-control"] == "public, max-age=3600"
        again = client.get("/static/index.html", headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304
        assert client.get("/static/../tutorial_09_static.py").status_code == 404
        assert client.get("/static/%2e%2e/tutorial_09_static.py").status_code == 404
        assert client.get("/api/ping").json() == {"pong": True}


def _check_deploy(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz/ready").status_code == 200
    for _ in range(5):
        assert client.post("/notes").status_code == 201
    limited = client.post("/notes")
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_11_deploy(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    app = load("tutorial_11_deploy").app
    with TestClient(app, interface=interface) as client:
        _check_deploy(client)
        assert "x-content-type-options" in client.get("/healthz").headers


def test_11_deploy_with_redis_shares_counters(  # type: ignore[no-untyped-def]
    interface: str, load, redis_server: RedisServer
) -> None:
    first = load("tutorial_11_deploy", NOTES_REDIS=redis_server.url).app
    second = load("tutorial_11_deploy", NOTES_REDIS=redis_server.url).app  # another worker
    with TestClient(first, interface=interface) as a, TestClient(second, interface=interface) as b:
        # one client address per interface: the Redis server lives for the whole module
        address = {"asgi": "203.0.113.1", "rsgi": "203.0.113.2"}[interface]
        a.headers["X-Forwarded-For"] = b.headers["X-Forwarded-For"] = address
        for client in (a, b, a, b, a):
            assert client.post("/notes").status_code == 201
        assert b.post("/notes").status_code == 429  # the five were counted in Redis, together


def test_10_tests(interface: str, load, tmp_path) -> None:  # type: ignore[no-untyped-def]
    module = load("tutorial_10_tests")
    load("tutorial_03_database", NOTES_DB=str(tmp_path / "t.db"))
    with TestClient(module.app, interface=interface) as client:
        module.test_create_then_list(client)
        module.test_empty_title_is_422(client)
