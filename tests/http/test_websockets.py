"""WebSockets in process, under both interfaces (the fake servers behave like Granian's RSGI
side and like the ASGI spec as uvicorn and Granian implement it).

Where RSGI cannot express something the test says what each side sees: no subprotocol, no
accept headers, and no close code after accept (the client sees 1005).
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import jwt
import pytest

from orionis import (
    Application,
    Controller,
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
from orionis.exceptions import LifespanError
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

    with TestClient(app, interface=interface) as client:
        for path in ("/no", "/silent"):
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


# -- limits and failures -----------------------------------------------------------------
def test_oversize_message_closes_with_1009(interface: str) -> None:
    app = Application(websocket_max_message_size=16)
    seen: list[Any] = []

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.send_text(await ws.receive_text())
        except WebSocketDisconnect as exc:
            seen.append(exc.code)

    app.add_websocket_route("/small", echo)
    app.add_websocket_route("/large", echo, max_message_size=64)
    app.add_websocket_route("/unlimited", echo, max_message_size=None)

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/small") as ws:
            ws.send_text("x" * 16)
            assert ws.receive_text() == "x" * 16
            ws.send_text("\u00e9" * 9)  # 9 characters, 18 UTF-8 bytes
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1009)
        with client.websocket_connect("/large") as ws:
            ws.send_text("y" * 64)
            assert ws.receive_text() == "y" * 64
            ws.send_text("y" * 65)
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1009)
        with client.websocket_connect("/unlimited") as ws:
            ws.send_text("z" * 100_000)
            assert len(ws.receive_text()) == 100_000
    assert seen[:2] == [1009, 1009]  # the handler is told, whatever the client saw


def test_default_max_message_size_is_one_mebibyte(interface: str) -> None:
    app, _ = make_app()
    assert app.websocket_max_message_size == 1_048_576
    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/bytes") as ws:
            ws.send_bytes(b"a" * 1_048_576)
            assert len(ws.receive_bytes()) == 1_048_576
            ws.send_bytes(b"a" * 1_048_577)
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_bytes()
            assert info.value.code == closed_code(interface, 1009)


def test_handler_error_closes_with_1011_logged_and_next_connection_served(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app()

    @app.websocket("/boom")
    async def boom(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive_text()
        raise RuntimeError("kaboom")

    @app.websocket("/boom-early")
    async def boom_early(ws: WebSocket) -> None:
        raise RuntimeError("before accept")

    with TestClient(app, interface=interface) as client, caplog.at_level(logging.ERROR):
        with client.websocket_connect("/boom") as ws:
            ws.send_text("go")
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1011)
        with pytest.raises(WebSocketDenied) as denied:
            with client.websocket_connect("/boom-early"):
                pass
        assert denied.value.status == 500
        with client.websocket_connect("/ws/after") as ws:  # still serving
            ws.send_text("alive")
            assert ws.receive_json() == {"room": "after", "echo": "alive"}
        assert client.get("/http-only").text == "plain"
    logged = [r for r in caplog.records if r.name == "orionis" and r.exc_info]
    assert [str(r.exc_info[1]) for r in logged] == ["kaboom", "before accept"]


def test_http_exception_after_accept_closes_with_1008(interface: str) -> None:
    app = Application()

    @app.websocket("/policy")
    async def policy(ws: WebSocket) -> None:
        await ws.accept()
        raise HTTPException(403, "not in this room")

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/policy") as ws:
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1008)
            if interface == "asgi":
                assert info.value.reason == "not in this room"


@pytest.mark.parametrize("flavor", ["granian", "uvicorn"])
def test_client_disconnect_is_seen_by_the_handler(interface: str, flavor: str) -> None:
    app, seen = make_app()
    with TestClient(app, interface=interface, server=flavor) as client:
        with client.websocket_connect("/listen") as ws:
            ws.send_text("one")
            ws.close(4001, "bye")
    # RSGI does not pass the client's code on: 1005, "no status"; Granian's ASGI side passes
    # the code but no reason
    reason = "bye" if flavor == "uvicorn" else ""
    expected = (1005, "") if interface == "rsgi" else (4001, reason)
    assert seen == [("disconnect", *expected, WebSocketState.DISCONNECTED)]


def test_wrong_frame_type_and_invalid_json_close_the_socket(interface: str) -> None:
    app, _ = make_app()
    seen: list[int] = []

    @app.websocket("/strict")
    async def strict(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive_json()
        except WebSocketDisconnect as exc:
            seen.append(exc.code)

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/ws/room") as ws:
            ws.send_bytes(b"not text")
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1003)
        with client.websocket_connect("/strict") as ws:
            ws.send_text("{not json")
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 1007)
    assert seen == [1007]


def test_subprotocols_and_accept_headers_where_the_protocol_carries_them(
    interface: str,
) -> None:
    app = Application()

    @app.websocket("/proto")
    async def proto(ws: WebSocket) -> None:
        await ws.accept(subprotocol="chat.v2", headers={"x-served-by": "orionis"})
        await ws.send_json({"offered": ws.subprotocols, "chosen": ws.accepted_subprotocol})

    @app.websocket("/unoffered")
    async def unoffered(ws: WebSocket) -> None:
        await ws.accept(subprotocol="nobody-asked")

    for flavor in ("granian", "uvicorn"):
        with TestClient(app, interface=interface, server=flavor) as client:
            with client.websocket_connect("/proto", subprotocols=["chat.v1", "chat.v2"]) as ws:
                assert ws.receive_json() == {
                    "offered": ["chat.v1", "chat.v2"],
                    "chosen": "chat.v2",
                }
                if interface == "rsgi":  # Granian's accept() takes neither
                    assert ws.accepted_subprotocol is None
                    assert "x-served-by" not in ws.accepted_headers
                else:
                    assert ws.accepted_subprotocol == "chat.v2"
                    # Granian's ASGI side drops accept headers; uvicorn sends them
                    expected = None if flavor == "granian" else "orionis"
                    assert ws.accepted_headers.get("x-served-by") == expected
            # a subprotocol the client did not offer is a server bug: 500, not a bad handshake
            with pytest.raises(WebSocketDenied) as denied:
                with client.websocket_connect("/unoffered", subprotocols=["a"]):
                    pass
            assert denied.value.status == 500


def test_misuse_raises_clear_errors(interface: str) -> None:
    app = Application()
    errors: list[str] = []

    @app.websocket("/misuse")
    async def misuse(ws: WebSocket) -> None:
        for attempt in (ws.receive_text, lambda: ws.send_text("x")):
            try:
                await attempt()
            except RuntimeError as exc:
                errors.append(str(exc))
        await ws.accept()
        for bad in (
            lambda: ws.close(1005),
            lambda: ws.close(1000, "r" * 124),
            lambda: ws.accept(),
            lambda: ws.send_text(b"bytes"),
        ):  # type: ignore[arg-type]
            try:
                await bad()
            except (ValueError, RuntimeError, TypeError) as exc:
                errors.append(type(exc).__name__)
        await ws.close(4000, "done")
        await ws.close()  # closing twice is harmless
        try:
            await ws.send_text("late")
        except WebSocketDisconnect as exc:
            errors.append(f"late {exc.code}")

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/misuse") as ws:
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 4000)
    assert errors == [
        "call accept() before receiving",
        "call accept() before sending",
        "ValueError",
        "ValueError",
        "RuntimeError",
        "TypeError",
        "late 4000",
    ]


# -- registration -------------------------------------------------------------------------
def test_registration_errors_are_clear() -> None:
    app = Application()

    def sync_handler(ws: WebSocket) -> None:
        pass

    with pytest.raises(TypeError, match="async def"):
        app.websocket("/sync")(sync_handler)
    with pytest.raises(ValueError, match=r"https://app\.example"):
        app.websocket("/o", allowed_origins=["app.example"])(_nothing)
    with pytest.raises(TypeError, match="a list"):
        app.websocket("/o", allowed_origins="https://app.example")(_nothing)
    with pytest.raises(ValueError, match="max_message_size"):
        app.websocket("/m", max_message_size=0)(_nothing)
    with pytest.raises(ValueError, match="max_message_size"):
        Application(websocket_max_message_size=-1)
    with pytest.raises(ValueError, match="route path"):
        app.add_websocket_route("no-slash", _nothing)


async def _nothing(ws: WebSocket) -> None:
    await ws.accept()


def test_setup_errors_stop_startup(interface: str) -> None:
    twice = Application()
    twice.add_websocket_route("/ws/{a}", _nothing)
    twice.add_websocket_route("/ws/{b}", _nothing)
    with pytest.raises(LifespanError, match="registered twice"):
        with TestClient(twice, interface=interface):
            pass

    wrong = Application()

    @wrong.get("/page")
    async def page(ws: WebSocket) -> str:
        return "never"

    with pytest.raises(LifespanError, match=r"only @app\.websocket routes"):
        with TestClient(wrong, interface=interface):
            pass


def test_close_reaches_the_client_while_the_handler_still_runs(interface: str) -> None:
    """Granian sends the close frame only once its transport is freed: the adapter must let
    go of it at close(), not when the handler returns (or the GC runs)."""
    app = Application()
    released = asyncio.Event()
    after: list[str] = []

    @app.websocket("/close-then-wait")
    async def close_then_wait(ws: WebSocket) -> None:
        await ws.accept()
        await ws.close(4000, "done")
        await released.wait()
        after.append("finished")

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/close-then-wait") as ws:
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == closed_code(interface, 4000)
            assert after == []
            client.portal.loop.call_soon_threadsafe(released.set)
    assert after == ["finished"]


def test_generator_dependency_sees_the_handler_error_but_not_a_disconnect(
    interface: str,
) -> None:
    app = Application()
    outcomes: list[str] = []

    async def transaction() -> AsyncIterator[None]:
        try:
            yield
        except RuntimeError as exc:
            outcomes.append(f"rollback {exc}")
            raise
        else:
            outcomes.append("commit")

    @app.websocket("/tx", dependencies=[Depends(transaction)])
    async def tx(ws: WebSocket) -> None:
        await ws.accept()
        if await ws.receive_text() == "fail":
            raise RuntimeError("bad message")
        await ws.receive_text()  # until the client leaves

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/tx") as ws:
            ws.send_text("ok")
        with client.websocket_connect("/tx") as ws:
            ws.send_text("fail")
            with pytest.raises(WebSocketDisconnect):
                ws.receive_text()
    assert outcomes == ["commit", "rollback bad message"]


@pytest.mark.parametrize("flavor", ["granian", "uvicorn"])
def test_sending_after_the_client_left(interface: str, flavor: str) -> None:
    app = Application()
    client_gone = asyncio.Event()
    results: list[Any] = []

    @app.websocket("/late")
    async def late(ws: WebSocket) -> None:
        await ws.accept()
        await client_gone.wait()
        try:
            await ws.send_text("anyone there?")
            results.append("sent")
        except WebSocketDisconnect as exc:
            results.append(exc.code)

    with TestClient(app, interface=interface, server=flavor) as client:
        ws = client.websocket_connect("/late").__enter__()
        client.portal.loop.call_soon_threadsafe(ws._client_close, 1000, "")
        client.portal.loop.call_soon_threadsafe(client_gone.set)
        ws.close()
    # Granian's ASGI side drops such a message silently; the others report the socket gone
    assert results == (["sent"] if (interface, flavor) == ("asgi", "granian") else [1006])


def test_invalid_accept_headers_are_refused_not_sent(interface: str) -> None:
    app = Application()

    @app.websocket("/inject")
    async def inject(ws: WebSocket) -> None:
        await ws.accept(headers={"x-a": "1\r\nset-cookie: evil=1"})

    with TestClient(app, interface=interface) as client:
        with pytest.raises(WebSocketDenied) as denied:
            with client.websocket_connect("/inject"):
                pass
        assert denied.value.status == 500


class RoomController(Controller):
    async def join(self, ws: WebSocket, room: str) -> None:
        await ws.accept()
        await ws.send_text(f"joined {room}")


def test_controller_action_as_websocket_endpoint(interface: str) -> None:
    app = Application()
    app.add_websocket_route("/rooms/{room}", (RoomController, "join"))
    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/rooms/blue") as ws:
            assert ws.receive_text() == "joined blue"
