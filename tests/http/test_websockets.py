"""WebSockets in process, under both interfaces (the fake servers behave like Granian's RSGI
side and like the ASGI spec as uvicorn and Granian implement it).

Where RSGI cannot express something the test says what each side sees: no subprotocol, no
accept headers, and no close code after accept (the client sees 1005).
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import jwt
import pytest

from orionis import (
    Application,
    Cookie,
    Depends,
    Header,
    HTTPException,
    Request,
    Router,
    WebSocket,
    WebSocketDisconnect,
    WebSocketState,
)
from orionis.security import JWTAuth
from orionis.testing import TestClient, WebSocketDenied

SECRET = "websocket-test-secret-with-enough-bytes"


def closed_code(interface: str, code: int) -> int:
    """The close code a client sees: RSGI's close frame carries none after accept."""
    return 1005 if interface == "rsgi" else code


def make_app(**options: Any) -> tuple[Application, list[Any]]:
    app = Application(**options)
    seen: list[Any] = []

    @app.websocket("/ws/{room}")
    async def chat(ws: WebSocket, room: str) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            await ws.send_json({"room": room, "echo": text})

    @app.websocket("/bytes")
    async def echo_bytes(ws: WebSocket) -> None:
        await ws.accept()
        async for data in ws.iter_bytes():
            await ws.send_bytes(data[::-1])

    @app.websocket("/json")
    async def echo_json(ws: WebSocket) -> None:
        await ws.accept()
        async for value in ws.iter_json():
            await ws.send_json({"got": value})

    @app.websocket("/items/{item_id:int}")
    async def item(ws: WebSocket, item_id: int) -> None:
        await ws.accept()
        await ws.send_json({"id": item_id, "type": type(item_id).__name__})
        await ws.close()

    @app.websocket("/listen")
    async def listen(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnect as exc:
            seen.append(("disconnect", exc.code, exc.reason, ws.client_state))
            raise

    @app.get("/http-only")
    async def http_only() -> str:
        return "plain"

    return app, seen


# -- echo and parameters ---------------------------------------------------------------
def test_echo_text_with_path_parameter(interface: str) -> None:
    app, _ = make_app()
    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/ws/lobby") as ws:
            ws.send_text("hi")
            assert ws.receive_json() == {"room": "lobby", "echo": "hi"}
            ws.send_text("caf\u00e9 \u2603")
            assert ws.receive_json() == {"room": "lobby", "echo": "caf\u00e9 \u2603"}


def test_echo_bytes_and_json(interface: str) -> None:
    app, _ = make_app()
    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/bytes") as ws:
            ws.send_bytes(b"\x00\x01\xff")
            assert ws.receive_bytes() == b"\xff\x01\x00"
        with client.websocket_connect("/json") as ws:
            ws.send_json({"a": [1, 2]})
            assert ws.receive_json() == {"got": {"a": [1, 2]}}
            ws.send_json([1, "x"], mode="binary")  # JSON in a binary frame is accepted too
            assert ws.receive_json() == {"got": [1, "x"]}


def test_typed_path_parameter(interface: str) -> None:
    app, _ = make_app()
    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/items/42") as ws:
            assert ws.receive_json() == {"id": 42, "type": "int"}
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1000)
        with pytest.raises(WebSocketDenied) as denied:
            with client.websocket_connect("/items/forty-two"):
                pass
        assert denied.value.status == 404


def test_connection_attributes_come_from_the_handshake(interface: str) -> None:
    app = Application()
    app.state.name = "app-state"

    @app.websocket("/attrs/{name}")
    async def attrs(
        websocket: WebSocket,
        name: str,
        q: int,
        x_token: Annotated[str, Header()],
        sid: Annotated[str, Cookie()],
    ) -> None:
        assert websocket.client_state is WebSocketState.CONNECTING
        await websocket.accept()
        websocket.state.note = "per-connection"
        await websocket.send_json(
            {
                "name": name,
                "q": q,
                "token": x_token,
                "sid": sid,
                "path_params": websocket.path_params,
                "query": websocket.query_params.multi_items(),
                "header": websocket.headers.get("x-token"),
                "cookies": websocket.cookies,
                "url": str(websocket.url),
                "client": [websocket.client.host, websocket.client.port],
                "port_is_int": isinstance(websocket.client.port, int),
                "state": websocket.state.note,
                "app": websocket.app.state.name,
                "interface": websocket.interface,
                "connected": websocket.client_state is WebSocketState.CONNECTED,
            }
        )
        await websocket.close()
        assert websocket.client_state is WebSocketState.DISCONNECTED

    with TestClient(app, interface=interface) as client:
        url = "/attrs/ann?q=7&q=8"
        headers = {"x-token": "abc", "cookie": "sid=s1; other=2"}
        with client.websocket_connect(url, headers=headers) as ws:
            got = ws.receive_json()
    assert got == {
        "name": "ann",
        "q": 8,
        "token": "abc",
        "sid": "s1",
        "path_params": {"name": "ann"},
        "query": [["q", "7"], ["q", "8"]],
        "header": "abc",
        "cookies": {"sid": "s1", "other": "2"},
        "url": "ws://testserver/attrs/ann?q=7&q=8",
        "client": ["127.0.0.1", 50000],
        "port_is_int": True,
        "state": "per-connection",
        "app": "app-state",
        "interface": interface,
        "connected": True,
    }


def test_invalid_handshake_parameters_refuse_with_403(interface: str) -> None:
    app = Application()
    called = []

    @app.websocket("/typed")
    async def typed(ws: WebSocket, limit: int, x_key: Annotated[str, Header()]) -> None:
        called.append(limit)
        await ws.accept()

    with TestClient(app, interface=interface) as client:
        for url, headers in (("/typed?limit=abc", {"x-key": "k"}), ("/typed?limit=1", {})):
            with pytest.raises(WebSocketDenied) as denied:
                with client.websocket_connect(url, headers=headers):
                    pass
            assert denied.value.status == 403
            if interface == "asgi":  # RSGI refusals carry only the status
                body = denied.value.json()
                assert body["status"] == 403
                assert body["errors"][0]["loc"][0] in ("query", "header")
                assert denied.value.headers["content-type"] == "application/problem+json"
            else:
                assert denied.value.body == b""
    assert called == []


# -- dependencies and guards -----------------------------------------------------------
def test_dependencies_and_generator_cleanup_when_the_socket_ends(interface: str) -> None:
    app = Application()
    events: list[str] = []

    async def resource(room: str) -> AsyncIterator[str]:
        events.append(f"open {room}")
        try:
            yield f"db:{room}"
        finally:
            events.append(f"close {room}")

    def user_agent(request: Request) -> str:
        return request.headers.get("x-agent", "?")

    @app.websocket("/dep/{room}")
    async def dep(
        ws: WebSocket,
        db: Annotated[str, Depends(resource)],
        agent: Annotated[str, Depends(user_agent)],
    ) -> None:
        await ws.accept()
        await ws.send_json({"db": db, "agent": agent})
        events.append("handler received " + await ws.receive_text())

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/dep/r1", headers={"x-agent": "t"}) as ws:
            assert ws.receive_json() == {"db": "db:r1", "agent": "t"}
            assert events == ["open r1"]
            ws.send_text("bye")
        # leaving the block waits for the handler: cleanup ran when the socket ended
    assert events == ["open r1", "handler received bye", "close r1"]


def _token(**claims: Any) -> str:
    return jwt.encode({"sub": "ann", **claims}, SECRET, algorithm="HS256")


def test_jwt_from_header_cookie_or_token_query(interface: str) -> None:
    app = Application()
    auth = JWTAuth(SECRET, algorithms=["HS256"], cookie="session", query="token")

    @app.websocket("/secure")
    async def secure(ws: WebSocket, claims: Annotated[dict, Depends(auth)]) -> None:
        await ws.accept()
        await ws.send_json({"sub": claims["sub"]})

    token = _token()
    with TestClient(app, interface=interface) as client:
        for url, headers in (
            ("/secure", {"authorization": f"Bearer {token}"}),
            ("/secure", {"cookie": f"session={token}"}),
            (f"/secure?token={token}", {}),
        ):
            with client.websocket_connect(url, headers=headers) as ws:
                assert ws.receive_json() == {"sub": "ann"}
        for url, headers in (
            ("/secure", {}),
            ("/secure?token=not.a.jwt", {}),
            ("/secure", {"authorization": "Basic abc"}),
            ("/secure", {"authorization": f"Bearer {_token(exp=1)}"}),
        ):
            with pytest.raises(WebSocketDenied) as denied:
                with client.websocket_connect(url, headers=headers):
                    pass
            assert denied.value.status == 403  # never 401 nor 500


def test_router_prefix_dependencies_and_add_websocket_route(interface: str) -> None:
    app = Application()
    seen: list[str] = []

    def guard(x_role: Annotated[str | None, Header()] = None) -> None:
        if x_role != "member":
            raise HTTPException(401, "members only")
        seen.append("guard")

    api = Router(prefix="/api", dependencies=[Depends(guard)])

    @api.websocket("/rooms/{room_id:int}")
    async def room(ws: WebSocket, room_id: int) -> None:
        await ws.accept()
        await ws.send_json({"room": room_id})

    inner = Router(prefix="/v1")

    async def plain(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("plain")

    inner.add_websocket_route("/plain", plain)
    api.include_router(inner)
    app.include_router(api)

    async def top(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("top")

    route = app.add_websocket_route("/top", top, name="top")
    assert route.name == "top"

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/api/rooms/3", headers={"x-role": "member"}) as ws:
            assert ws.receive_json() == {"room": 3}
        with client.websocket_connect("/api/v1/plain", headers={"x-role": "member"}) as ws:
            assert ws.receive_text() == "plain"
        with pytest.raises(WebSocketDenied) as denied:
            with client.websocket_connect("/api/v1/plain"):
                pass
        assert denied.value.status == 403
        if interface == "asgi":
            assert denied.value.json()["detail"] == "members only"
        with client.websocket_connect("/top") as ws:
            assert ws.receive_text() == "top"
    assert seen == ["guard", "guard"]


# -- refusals ----------------------------------------------------------------------------
def test_close_before_accept_and_returning_without_accept_refuse_with_403(
    interface: str,
) -> None:
    app = Application()

    @app.websocket("/no")
    async def no(ws: WebSocket) -> None:
        await ws.close()
        assert ws.client_state is WebSocketState.DISCONNECTED

    @app.websocket("/silent")
    async def silent(ws: WebSocket) -> None:
        return None

    @app.websocket("/gives-up")
    async def gives_up(ws: WebSocket) -> None:
        raise WebSocketDisconnect(1000)

    with TestClient(app, interface=interface) as client:
        for path in ("/no", "/silent", "/gives-up"):
            with pytest.raises(WebSocketDenied) as denied:
                with client.websocket_connect(path):
                    pass
            assert denied.value.status == 403


def test_unknown_route_and_http_only_route_are_refused_not_500(interface: str) -> None:
    app, _ = make_app()
    with TestClient(app, interface=interface) as client:
        for path in ("/nowhere", "/http-only", "/ws", "/ws/a/b"):
            with pytest.raises(WebSocketDenied) as denied:
                with client.websocket_connect(path):
                    pass
            assert denied.value.status == 404
        # and the WebSocket path over plain HTTP is just not an HTTP route
        assert client.get("/ws/lobby").status_code == 404
        assert client.get("/http-only").text == "plain"


def test_asgi_server_without_denial_extension_answers_403() -> None:
    app, _ = make_app()
    with TestClient(app, interface="asgi") as client:
        client._backend.websocket_denial = False  # type: ignore[attr-defined]
        with pytest.raises(WebSocketDenied) as denied:
            with client.websocket_connect("/nowhere"):
                pass
        assert denied.value.status == 403


def test_origin_allowed_list_on_app_and_route(interface: str) -> None:
    app = Application(websocket_allowed_origins=["https://app.example", "HTTP://LOCAL:8000/"])

    @app.websocket("/app-list")
    async def app_list(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("ok")

    @app.websocket("/route-list", allowed_origins=["https://other.example"])
    async def route_list(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("ok")

    @app.websocket("/anyone", allowed_origins=None)
    async def anyone(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("ok")

    def connects(path: str, origin: str | None) -> bool:
        headers = {"origin": origin} if origin is not None else {}
        try:
            with client.websocket_connect(path, headers=headers) as ws:
                assert ws.receive_text() == "ok"
            return True
        except WebSocketDenied as denied:
            assert denied.status == 403
            return False

    with TestClient(app, interface=interface) as client:
        assert connects("/app-list", "https://app.example")
        assert connects("/app-list", "http://local:8000")
        assert connects("/app-list", None)  # not a browser: nothing to hijack
        assert not connects("/app-list", "https://evil.example")
        assert not connects("/app-list", "https://app.example.evil.example")
        assert not connects("/app-list", "null")
        assert not connects("/route-list", "https://app.example")
        assert connects("/route-list", "https://other.example")
        assert connects("/anyone", "https://evil.example")
        # two Origin headers: refused rather than guessing which one counts
        two = [("origin", "https://app.example"), ("origin", "https://evil.example")]
        with pytest.raises(WebSocketDenied):
            with client.websocket_connect("/app-list", headers=two):
                pass
