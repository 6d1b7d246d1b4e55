"""Behind a proxy: ``Application(root_path=...)`` on both protocols, ASGI's ``root_path``."""

from __future__ import annotations

from typing import Any

import pytest

from orionis import Application, Request
from orionis.testing import TestClient


def _app(**options: Any) -> Application:
    app = Application(title="proxied", **options)

    @app.get("/users/{id:int}", name="users.show")
    async def show(id: int, request: Request) -> dict[str, Any]:
        return {
            "id": id,
            "path": request.path,
            "root_path": request.root_path,
            "link": request.app.url_path_for("users.show", id=id + 1),
        }

    return app


def _behind(app: Application, root: str, *, prefixed: bool = True) -> Any:
    """An ASGI server started with ``--root-path root``: uvicorn puts the prefix in ``path``
    too (``prefixed``); Granian's ``--url-path-prefix`` leaves the path as received."""

    async def server(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = root + scope["path"] if prefixed else scope["path"]
            scope = {**scope, "root_path": root, "path": path}
        await app(scope, receive, send)

    return server


@pytest.mark.parametrize("path", ["/api/users/1", "/users/1"])
def test_the_app_setting_on_both_protocols(interface: str, path: str) -> None:
    """A proxy that keeps the prefix and one that strips it reach the same route."""
    app = _app(root_path="/api")
    with TestClient(app, interface) as client:
        r = client.get(path)
    assert r.json() == {"id": 1, "path": "/users/1", "root_path": "/api", "link": "/api/users/2"}
    assert app.url_path_for("users.show", id=7) == "/api/users/7"


def test_docs_and_document_carry_the_prefix(interface: str) -> None:
    app = _app(root_path="/api/v1/")  # a trailing slash is dropped
    assert app.root_path == "/api/v1"
    with TestClient(app, interface) as client:
        document = client.get("/api/v1/openapi.json").json()
        assert document["servers"] == [{"url": "/api/v1"}]
        assert list(document)[:3] == ["openapi", "info", "servers"]
        assert "/users/{id}" in document["paths"]  # paths stay relative to the server URL
        page = client.get("/api/v1/docs").text
        assert '"url":"/api/v1/openapi.json"' in page
        assert client.get("/docs").text == page  # a proxy that strips the prefix
    assert app.openapi()["servers"] == [{"url": "/api/v1"}]


def test_no_prefix_no_servers(interface: str) -> None:
    app = _app()
    with TestClient(app, interface) as client:
        assert "servers" not in client.get("/openapi.json").json()
        assert '"url":"/openapi.json"' in client.get("/docs").text
        assert client.get("/users/1").json()["root_path"] == ""
        assert client.get("/api/users/1").status_code == 404
    assert app.url_path_for("users.show", id=1) == "/users/1"


def test_only_whole_segments_are_stripped(interface: str) -> None:
    app = _app(root_path="/api")
    app.get("/apiv2", lambda: "not under /api")
    app.get("/", lambda request: {"path": request.path})
    with TestClient(app, interface) as client:
        assert client.get("/apiv2").text == "not under /api"
        assert client.get("/api").json() == {"path": "/"}
        assert client.get("/api/").json() == {"path": "/"}
        assert client.get("/api/api/users/1").status_code == 404  # stripped once only


@pytest.mark.parametrize("prefixed", [True, False])
def test_asgi_root_path_per_request(prefixed: bool) -> None:
    """The server's ``root_path`` wins over the app's setting for that request: the docs
    page, the document's ``servers`` and ``request.root_path`` all follow it."""
    app = _app(root_path="/app-setting")
    with TestClient(_behind(app, "/proxy", prefixed=prefixed), "asgi") as client:
        r = client.get("/users/1")
        assert r.json() == {
            "id": 1,
            "path": "/users/1",
            "root_path": "/proxy",
            "link": "/app-setting/users/2",  # no request: the app setting
        }
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/proxy"}]
        assert '"url":"/proxy/openapi.json"' in client.get("/docs").text
    # the app's own answers, cached per prefix, are not mixed up with the proxy's
    with TestClient(app, "asgi") as client:
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/app-setting"}]
        assert '"url":"/app-setting/openapi.json"' in client.get("/docs").text


def test_asgi_root_path_without_the_app_setting() -> None:
    app = _app()
    with TestClient(_behind(app, "/proxy"), "asgi") as client:
        r = client.get("/users/1")
        assert (r.json()["path"], r.json()["root_path"]) == ("/users/1", "/proxy")
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/proxy"}]
    assert "servers" not in app.openapi()


def test_many_prefixes_do_not_grow_the_caches() -> None:
    app = _app()
    docs = None
    for i in range(40):
        with TestClient(_behind(app, f"/p{i}"), "asgi") as client:
            page = client.get("/docs").text
            assert f'"url":"/p{i}/openapi.json"' in page
            assert client.get("/openapi.json").json()["servers"] == [{"url": f"/p{i}"}]
    for route in app.router.routes:
        if route.name == "docs":
            docs = route.endpoint.__self__
    assert docs is not None
    assert len(docs._pages) <= 16 and len(docs._document[2]) <= 16


@pytest.mark.parametrize("bad", ["api", "/a?b", "/a#b", "/a b", "/a%2Fb", "/a\r\n", 3])
def test_bad_root_paths_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="root_path"):
        Application(root_path=bad)
