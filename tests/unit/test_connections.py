"""orionis.connections.HTTPConnection: what requests and WebSocket handshakes share."""

from __future__ import annotations

import subprocess
import sys

from orionis import Application, Request, WebSocket
from orionis.connections import HTTPConnection
from orionis.datastructures import Address
from orionis.testing import TestClient


class Connection(HTTPConnection):
    interface = "test"

    def __init__(self, headers: list[tuple[str, str]], query: str = "") -> None:
        super().__init__(Application())
        self.method = "GET"
        self.path = "/room/1"
        self.query_string = query
        self.scheme = "https"
        self.http_version = "1.1"
        self._given = headers

    def _raw_headers(self) -> list[tuple[str, str]]:
        return self._given

    def _peer(self) -> tuple[Address | None, Address | None]:
        return Address("10.0.0.1", 5000), Address("10.0.0.2", 443)


def test_a_connection_reads_url_headers_query_cookies_and_peers() -> None:
    connection = Connection(
        [("host", "example.test"), ("cookie", "a=1; b=2"), ("x-one", "1")], "q=7&q=8"
    )
    assert str(connection.url) == "https://example.test/room/1?q=7&q=8"
    assert connection.headers["x-one"] == "1"
    assert connection.query_params.getlist("q") == ["7", "8"]
    assert connection.cookies == {"a": "1", "b": "2"}
    assert connection.client == Address("10.0.0.1", 5000)
    assert connection.server == Address("10.0.0.2", 443)
    connection.state.user = "ann"
    assert connection.state.user == "ann"
    assert connection.path_params == {} and connection.route is None


def test_a_malformed_host_falls_back_to_the_server_address() -> None:
    connection = Connection([("host", "a@evil.example")])
    assert connection.host == "10.0.0.2:443"


def test_requests_and_handshakes_are_connections(interface: str) -> None:
    app = Application()
    seen: dict[str, bool] = {}

    @app.get("/plain")
    async def plain(request: Request) -> dict:
        seen["request"] = isinstance(request, HTTPConnection)
        return {}

    @app.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        seen["handshake"] = isinstance(websocket.request, HTTPConnection)
        await websocket.accept()
        await websocket.send_text("hello")

    with TestClient(app, interface) as client:
        client.get("/plain")
        with client.websocket_connect("/ws") as ws:
            assert ws.receive() == "hello"
    assert seen == {"request": True, "handshake": True}


def test_importing_the_enums_does_not_load_the_application() -> None:
    code = (
        "import sys; import orionis.foundation.enums.runtimes, orionis.foundation.enums.lifespan;"
        "print('orionis.foundation.application' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
    code = "from orionis import Application, Lifespan, Runtime; print(Application.__name__)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "Application"


def test_request_sets_every_connection_field_as_the_base_does() -> None:
    """``Request.__init__`` sets HTTPConnection's fields itself (one call less per request):
    both must leave the same connection state."""

    class Body(Request):
        def _raw_headers(self) -> list[tuple[str, str]]:
            return []

        def _peer(self) -> tuple[Address | None, Address | None]:
            return None, None

    app = Application()
    base, request = Connection([]), Body(app)
    defaults = [
        name
        for name, value in vars(HTTPConnection).items()
        if name.startswith("_")
        and not name.startswith("__")
        and not callable(value)
        and not isinstance(value, property)
    ]
    assert "_solver" in defaults and "_client" in defaults  # the on-demand fields, defaulted
    fields = [n for n in HTTPConnection.__slots__ if n not in ("__weakref__", "__dict__")]
    fields += defaults
    for name in ("method", "path", "query_string", "scheme", "http_version"):
        fields.remove(name)  # the adapter's to fill
    for name in fields:
        mine, theirs = getattr(request, name), getattr(base, name)
        if name == "app":
            assert mine is app
        elif name in ("_client", "_server"):
            assert mine is theirs  # the same "not computed yet" marker
        else:
            assert mine == theirs, name


def test_the_adapters_requests_set_what_request_sets(interface: str) -> None:
    """RSGIRequest and ASGIRequest inline ``Request.__init__`` (one call less per request):
    a request served by either starts with the same fields as a bare ``Request``."""
    app = Application()
    seen: dict[str, object] = {}
    names = (
        "path_params",
        "route_template",
        "max_body_size",
        "body_timeout",
        "_solver",
        "_form",
        "_body",
        "_error",
        "_session",
        "_close_connection",
        "_stream_consumed",
    )

    @app.get("/x")
    async def look(request: Request) -> dict:
        seen.update({name: getattr(request, name) for name in names})
        seen["app"] = request.app
        return {}

    with TestClient(app, interface) as client:
        assert client.get("/x").status_code == 200
    assert seen["app"] is app
    assert seen["route_template"] == "/x" and seen["path_params"] == {}
    assert seen["max_body_size"] == app.max_body_size
    assert seen["body_timeout"] == app.body_timeout
    for name in ("_solver", "_form", "_body", "_error", "_session"):
        assert seen[name] is None, name
    assert seen["_close_connection"] is False and seen["_stream_consumed"] is False
