"""HTTP semantics (RFC 9110/9112) the pipeline owes every client, under both interfaces:
what a HEAD answer announces, 415 for a body in the wrong media type, 501 for a method the
server does not know, and ``OPTIONS *`` (issue 8, items 3 and 6)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from orionis import Application, Request, Response, StreamingResponse
from orionis.middleware import Middleware, SecurityHeadersMiddleware
from orionis.testing import TestClient

PROBLEM = "application/problem+json"
ASTERISK = {"orionis": {"target": "*"}}


class Item(pydantic.BaseModel):
    name: str


# -- 3. HEAD -----------------------------------------------------------------------------
def head_app() -> Application:
    app = Application(openapi_url=None)
    app.get("/doc", lambda: "hello world")
    app.get("/empty", lambda: ("", 200))
    app.get("/nothing", lambda: None)  # 204: no length on GET, none on HEAD
    # Explicit HEAD handlers for the same resources as GET ones.
    app.get("/sized", lambda: "hello world")
    app.head("/sized", lambda: Response(headers={"content-length": "11", "x-head": "1"}))
    app.get("/bare", lambda: "hello world")
    app.head("/bare", lambda: Response(headers={"x-head": "1"}))
    app.head("/echo", lambda: "four")  # a HEAD handler that returns the GET body
    app.route("/both", lambda: "both!", methods=["GET", "HEAD"])
    app.head("/twice", lambda: Response(headers=[("content-length", "5"), ("Content-Length", "5")]))
    app.head("/spaced", lambda: Response(headers={"content-length": " 7 "}))
    # a stale length next to a real body: the body's length wins, on GET and HEAD alike
    app.get("/stale", lambda: Response(b"abc", headers={"content-length": "999"}))

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(iter([b"abc"]), headers={"content-length": "3"})

    return app


def test_auto_head_announces_the_get_length(interface: str) -> None:
    with TestClient(head_app(), interface) as client:
        doc = client.head("/doc")
        assert (doc.status_code, doc.content, doc.headers["content-length"]) == (200, b"", "11")
        empty = client.head("/empty")  # GET sends "content-length: 0": HEAD says the same
        assert empty.headers.get_list("content-length") == ["0"]
        assert client.get("/empty").headers.get_list("content-length") == ["0"]
        nothing = client.head("/nothing")
        assert nothing.status_code == 204 and "content-length" not in nothing.headers
        stream = client.head("/stream")
        assert (stream.content, stream.headers.get_list("content-length")) == (b"", ["3"])


def test_explicit_head_keeps_the_length_it_set(interface: str) -> None:
    with TestClient(head_app(), interface) as client:
        r = client.head("/sized")
        assert (r.status_code, r.content, r.headers["x-head"]) == (200, b"", "1")
        assert r.headers.get_list("content-length") == ["11"]
        assert client.head("/twice").headers.get_list("content-length") == ["5"]
        # a padded value is refused like any header value with surrounding whitespace
        assert client.head("/spaced").status_code == 500
        assert client.get("/stale").headers.get_list("content-length") == ["3"]
        assert client.head("/stale").headers.get_list("content-length") == ["3"]


def test_explicit_head_without_length_announces_none(interface: str) -> None:
    """Never a false ``Content-Length: 0`` for a resource whose GET body is not empty."""
    with TestClient(head_app(), interface) as client:
        r = client.head("/bare")
        assert (r.status_code, r.content, r.headers["x-head"]) == (200, b"", "1")
        assert "content-length" not in r.headers
        # a body the HEAD handler returned is what GET would send: its length is announced
        assert client.head("/echo").headers.get_list("content-length") == ["4"]
        assert client.head("/both").headers.get_list("content-length") == ["5"]
        assert client.get("/both").headers.get_list("content-length") == ["5"]


def test_head_problem_answers_announce_their_length(interface: str) -> None:
    with TestClient(head_app(), interface) as client:
        missing = client.head("/missing")
        length = len(client.get("/missing").content)
        assert missing.status_code == 404
        assert missing.headers.get_list("content-length") == [str(length)]


@pytest.mark.parametrize("value", ["abc", "-1", "5, 6", "1" * 20, "0x10", "+5", ""])
def test_head_with_a_bogus_length_is_a_logged_500(
    interface: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application(openapi_url=None)
    app.head("/x", lambda: Response(headers={"content-length": value}))
    app.head("/two", lambda: Response(headers=[("content-length", "5"), ("content-length", "6")]))
    with TestClient(app, interface) as client:
        for path in ("/x", "/two"):
            r = client.head(path)
            assert r.status_code == 500, path
            assert r.headers["content-length"].isdigit(), path  # the 500's own length
    assert "on a HEAD answer must be one decimal number" in caplog.text


# -- 6. 415 ------------------------------------------------------------------------------
def body_app() -> Application:
    app = Application(openapi_url=None)

    async def store(item: Item) -> dict:
        return {"name": item.name}

    app.route("/items", store, methods=["POST", "PUT", "PATCH"])
    return app


@pytest.mark.parametrize(
    ("method", "header"), [("POST", "accept-post"), ("PATCH", "accept-patch"), ("PUT", None)]
)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "json", None],
)
def test_json_body_in_another_media_type_is_415(
    interface: str, method: str, header: str | None, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with TestClient(body_app(), interface) as client:
        r = client.request(method, "/items", content=b'{"name": "pen"}', headers=headers)
        ok = client.request(method, "/items", json={"name": "pen"})
    assert ok.json() == {"name": "pen"}
    assert r.status_code == 415
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert (body["status"], body["title"]) == (415, "Unsupported Media Type")
    assert "application/json" in body["detail"]
    assert (content_type or "no Content-Type") in body["detail"]
    assert body["errors"][0]["type"] == "content_type"
    for name in ("accept-post", "accept-patch"):
        assert r.headers.get(name) == ("application/json" if name == header else None)


def test_415_goes_through_exception_handlers(interface: str) -> None:
    app = body_app()

    @app.exception_handler(415)
    async def unsupported(request: Request, exc: Any) -> tuple:
        return {"send": "json"}, 415

    with TestClient(app, interface) as client:
        r = client.post("/items", content=b"{}", headers={"content-type": "text/csv"})
    assert (r.status_code, r.json()) == (415, {"send": "json"})


def test_missing_body_stays_422(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        r = client.post("/items", headers={"content-type": "text/plain"})
    assert r.status_code == 422


# -- 6. 501 and 405 ----------------------------------------------------------------------
def methods_app() -> Application:
    app = Application(openapi_url=None)
    app.get("/json", lambda: {"a": 1})
    app.post("/json", lambda: {"a": 2})
    app.delete("/items/{id:int}", lambda id: None)
    return app


@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "BREW", "X" * 300, "GETS"])
@pytest.mark.parametrize("path", ["/json", "/nowhere", "/items/1"])
def test_unknown_method_is_501(interface: str, method: str, path: str) -> None:
    with TestClient(methods_app(), interface) as client:
        r = client.request(method, path)
    assert r.status_code == 501
    assert r.headers["content-type"] == PROBLEM
    assert "allow" not in r.headers
    body = r.json()
    assert (body["status"], body["title"]) == (501, "Not Implemented")
    assert "DELETE, GET, HEAD, OPTIONS, POST" in body["detail"]
    assert len(body["detail"]) < 200  # a long method is not echoed whole


@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE", "CONNECT"])
def test_known_method_not_allowed_stays_405(interface: str, method: str) -> None:
    with TestClient(methods_app(), interface) as client:
        r = client.request(method, "/json")
        missing = client.request(method, "/nowhere")
    assert (r.status_code, r.headers["allow"]) == (405, "GET, HEAD, OPTIONS, POST")
    assert missing.status_code == 404


def test_a_method_registered_anywhere_is_known() -> None:
    """501 means no route serves the method; where a route does, other paths get 405."""
    app = methods_app()
    app.route("/report", lambda: "r", methods=["PATCH"])
    for interface in ("asgi", "rsgi"):
        with TestClient(app, interface) as client:
            assert client.patch("/json").status_code == 405
            assert client.patch("/report").text == "r"


def test_501_goes_through_exception_handlers(interface: str) -> None:
    app = methods_app()

    @app.exception_handler(501)
    async def not_implemented(request: Request, exc: Any) -> tuple:
        return {"method": request.method}, 501

    with TestClient(app, interface) as client:
        r = client.request("FOO", "/json")
    assert (r.status_code, r.json()) == (501, {"method": "FOO"})


# -- 6. OPTIONS * ------------------------------------------------------------------------
def test_options_asterisk_lists_every_method_served(interface: str) -> None:
    with TestClient(methods_app(), interface) as client:
        r = client.options("/", extensions=ASTERISK)
        path_options = client.options("/json")
    assert (r.status_code, r.content) == (204, b"")
    assert r.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, POST"
    assert path_options.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_options_asterisk_on_an_app_without_routes(interface: str) -> None:
    with TestClient(Application(openapi_url=None), interface) as client:
        r = client.options("/", extensions=ASTERISK)
    assert (r.status_code, r.headers["allow"]) == (204, "OPTIONS")


def test_options_asterisk_passes_global_middleware(interface: str) -> None:
    app = methods_app()
    seen: list[str] = []

    class Record(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Response:
            seen.append(request.path)
            return await call_next()

    app.add_middleware(Record)
    app.add_middleware(SecurityHeadersMiddleware)
    with TestClient(app, interface) as client:
        r = client.options("/", extensions=ASTERISK)
    assert r.status_code == 204
    assert r.headers["x-content-type-options"] == "nosniff"
    assert seen == ["*"]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "HEAD"])
def test_asterisk_with_another_method_is_400(interface: str, method: str) -> None:
    with TestClient(methods_app(), interface) as client:
        r = client.request(method, "/", extensions=ASTERISK)
        unknown = client.request("FOO", "/", extensions=ASTERISK)
    assert r.status_code == 400
    if method != "HEAD":
        assert "only valid with OPTIONS" in r.json()["detail"]
    assert unknown.status_code == 501
