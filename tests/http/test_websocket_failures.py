"""WebSockets in process, under both interfaces: limits, failures, close codes, misuse and
registration errors (the happy paths and refusals are in test_websockets.py).

Where RSGI cannot express something the test says what each side sees: no subprotocol, no
accept headers, and no close code after accept (the client sees 1005).
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from orionis import (
    Application,
    Controller,
    Depends,
    HTTPException,
    WebSocket,
    WebSocketDisconnect,
    WebSocketState,
)
from orionis.exceptions import LifespanError
from orionis.testing import TestClient, WebSocketDenied
from tests.http.test_websockets import closed_code, make_app


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
        with pytest.raises(WebSocketDenied) as denied, client.websocket_connect("/inject"):
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
