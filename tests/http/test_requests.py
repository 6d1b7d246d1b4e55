"""The neutral Request: the same values under ASGI (as Granian and uvicorn send them) and RSGI."""

from __future__ import annotations

import pytest

from orionis import Application, Request
from orionis.testing import TestClient


def inspect_app() -> Application:
    app = Application()

    @app.route("/echo/{name}", methods=["GET", "POST"])
    async def echo(request: Request, name: str) -> dict:
        client = request.client
        return {
            "method": request.method,
            "path": request.path,
            "url": str(request.url),
            "host": request.host,
            "scheme": request.scheme,
            "http_version": request.http_version,
            "interface": request.interface,
            "path_params": request.path_params,
            "query": request.query_params.multi_items(),
            "q": request.query_params.get("q"),
            "q_all": request.query_params.getlist("q"),
            "x_multi": request.headers.getlist("X-Multi"),
            "x_multi_first": request.headers["x-multi"] if "X-MULTI" in request.headers else None,
            "cookies": request.cookies,
            "client": [client.host, client.port] if client else None,
            "client_port_type": type(client.port).__name__ if client else None,
        }

    return app


@pytest.mark.parametrize("asgi_server", ["granian", "uvicorn"])
def test_asgi_servers_and_rsgi_give_the_same_request(asgi_server: str) -> None:
    results = []
    for interface in ("asgi", "rsgi"):
        with TestClient(inspect_app(), interface, server=asgi_server) as client:
            r = client.get(
                "/echo/j%C3%B6rg?q=1&q=two+words&empty=&flag&enc=%26%3D",
                headers=[("X-Multi", "a"), ("x-multi", "b"), ("Cookie", 'sid=abc; theme="dark"')],
            )
            assert r.status_code == 200
            results.append(r.json())
    asgi, rsgi = results
    assert asgi.pop("interface") == "asgi" and rsgi.pop("interface") == "rsgi"
    assert asgi == rsgi
    assert asgi == {
        "method": "GET",
        "path": "/echo/jörg",
        "url": "http://testserver/echo/j%C3%B6rg?q=1&q=two+words&empty=&flag&enc=%26%3D",
        "host": "testserver",
        "scheme": "http",
        "http_version": "1.1",
        "path_params": {"name": "jörg"},
        "query": [["q", "1"], ["q", "two words"], ["empty", ""], ["flag", ""], ["enc", "&="]],
        "q": "two words",
        "q_all": ["1", "two words"],
        "x_multi": ["a", "b"],
        "x_multi_first": "a",
        "cookies": {"sid": "abc", "theme": "dark"},
        "client": ["127.0.0.1", 50000],
        "client_port_type": "int",
    }


def test_http2_host_comes_from_authority(interface: str) -> None:
    with TestClient(inspect_app(), interface, http_version="2") as client:
        body = client.get("/echo/x", headers={"host": "api.example:8443"}).json()
    assert body["host"] == "api.example:8443"
    assert body["url"] == "http://api.example:8443/echo/x"
    assert body["http_version"] == "2"


@pytest.mark.parametrize("host", ["x/public?", "a@evil.com", "evil.com/path", "has space", ""])
def test_unsafe_host_header_is_not_used_in_urls(interface: str, host: str) -> None:
    with TestClient(inspect_app(), interface) as client:
        body = client.get("/echo/x", headers={"host": host}).json()
    assert body["host"] == "127.0.0.1:80"
    assert body["url"] == "http://127.0.0.1:80/echo/x"


def test_duplicate_host_headers_are_not_trusted(interface: str) -> None:
    with TestClient(inspect_app(), interface) as client:
        body = client.get("/echo/x", headers=[("host", "a.example"), ("host", "b.example")]).json()
    assert body["host"] == "127.0.0.1:80"


def test_path_with_encoded_slash_and_dots_is_matched_decoded(interface: str) -> None:
    with TestClient(inspect_app(), interface) as client:
        assert client.get("/echo/a%2Fb").status_code == 404  # decoded to /echo/a/b
        body = client.get("/echo/%2e%2e").json()
    assert body["path_params"] == {"name": ".."}


def test_state_is_per_request_and_app_state_is_shared(interface: str) -> None:
    app = Application()
    app.state.counter = 0

    @app.get("/")
    async def index(request: Request) -> dict:
        assert "seen" not in request.state
        request.state.seen = True
        request.app.state.counter += 1
        return {"counter": request.app.state.counter}

    with TestClient(app, interface) as client:
        assert client.get("/").json() == {"counter": 1}
        assert client.get("/").json() == {"counter": 2}
    with pytest.raises(AttributeError, match="state has no attribute 'missing'"):
        _ = app.state.missing


def test_body_json_and_stream(interface: str) -> None:
    app = Application()

    @app.post("/body")
    async def body(request: Request) -> dict:
        first = await request.body()
        return {"len": len(first), "cached": (await request.body()) is first}

    @app.post("/json")
    async def as_json(request: Request) -> dict:
        return {"got": await request.json()}

    @app.post("/stream", max_body_size=None)
    async def stream(request: Request) -> dict:
        sizes = [len(chunk) async for chunk in request.stream()]
        return {"total": sum(sizes), "chunks": len(sizes)}

    @app.post("/twice", max_body_size=None)
    async def twice(request: Request) -> dict:
        async for _ in request.stream():
            pass
        try:
            await request.body()
        except RuntimeError as exc:
            return {"error": str(exc)}
        return {"error": None}

    with TestClient(app, interface) as client:
        assert client.post("/body", content=b"abc").json() == {"len": 3, "cached": True}
        assert client.post("/json", json={"a": [1, 2]}).json() == {"got": {"a": [1, 2]}}
        big = b"x" * 200_000
        assert client.post("/stream", content=big).json() == {"total": 200_000, "chunks": 4}
        assert client.post("/twice", content=b"abc").json() == {
            "error": "the body was already consumed by request.stream()"
        }


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b'{"a": }', b"\xff\xfe", b"[" * 2000 + b"]" * 2000, b"nan", b'{"a": 1} trailing'],
)
def test_malformed_json_is_422(interface: str, payload: bytes) -> None:
    app = Application()

    @app.post("/json")
    async def as_json(request: Request) -> dict:
        return {"got": await request.json()}

    with TestClient(app, interface) as client:
        r = client.post("/json", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["loc"] == ["body"]
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("asgi_server", ["granian", "uvicorn"])
def test_http_1_0_is_reported_the_same_way(asgi_server: str) -> None:
    versions = []
    for interface in ("asgi", "rsgi"):
        with TestClient(inspect_app(), interface, server=asgi_server, http_version="1.0") as c:
            versions.append(c.get("/echo/x").json()["http_version"])
    assert versions == ["1.0", "1.0"]


def test_non_ascii_header_values_are_dropped_on_both_protocols(interface: str) -> None:
    app = Application()
    app.get(
        "/h", lambda request: {"x": request.headers.get("x-name"), "y": request.headers.get("x-ok")}
    )
    with TestClient(app, interface) as client:
        r = client.get("/h", headers=[("x-name", "caf\xe9".encode("latin-1")), ("x-ok", b"yes")])
    assert r.json() == {"x": None, "y": "yes"}


def test_root_path_is_stripped_on_segment_boundaries() -> None:
    from orionis.adapters.asgi import ASGIRequest

    app = Application()

    def path(raw: str, root: str) -> str:
        scope = {"type": "http", "method": "GET", "path": raw, "root_path": root, "headers": []}
        return ASGIRequest(app, scope, None).path

    assert path("/api/users", "/api") == "/users"
    assert path("/api", "/api") == "/"
    assert path("/apiv2", "/api") == "/apiv2"


@pytest.mark.parametrize(
    ("path", "raw_path", "expected"),
    [
        ("http://h/a?b", b"http://h/a%3Fb", "/a?b"),  # %3F stays in the path
        ("http://h/a#b", b"http://h/a%23b", "/a#b"),
        ("http://h/caf\xe9", b"http://h/caf%C3%A9", "/caf\xe9"),
        ("http://h", b"http://h", "/"),
        ("http://h/x", None, "/x"),  # a server that sends no raw_path
    ],
)
def test_absolute_form_targets_from_uvicorn(
    path: str, raw_path: bytes | None, expected: str
) -> None:
    """uvicorn passes an absolute-form target (``GET http://h/p``) through as the decoded
    path; it is split on the raw bytes, as Granian does, so ``%3F`` cannot end the path."""
    from orionis.adapters.asgi import ASGIRequest

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": raw_path, "headers": []}
    assert ASGIRequest(Application(), scope, None).path == expected
