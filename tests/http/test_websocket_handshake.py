"""Issue 10, item 3: a WebSocket handshake is a connection (``HTTPConnection``), not a
``Request``: it has no body, so WebSocket handlers reading one are refused at startup, and
``Request``/``HTTPConnection`` parameters receive the handshake itself."""

import queue
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from orionis import (
    Application,
    BackgroundTasks,
    Body,
    Depends,
    File,
    Form,
    Request,
    UploadFile,
    WebSocket,
)
from orionis.connections import Handshake, HTTPConnection, websocket_scheme, without_root
from orionis.exceptions import LifespanError
from orionis.testing import TestClient


def test_the_handshake_is_a_connection_and_not_a_request(interface: str) -> None:
    app = Application(root_path="/api")
    received: dict[str, Any] = {}

    def seen_by_a_dependency(request: Request) -> bool:
        # what security dependencies (JWTAuth...) written for HTTP receive on a WebSocket
        received["dependency"] = request
        return True

    def seen_as_a_connection(conn: HTTPConnection) -> str:
        received["connection"] = conn
        return conn.headers.get("x-token", "")

    @app.websocket("/rooms/{room}")
    async def room(
        ws: WebSocket,
        room: str,
        ok: Annotated[bool, Depends(seen_by_a_dependency)],
        token: Annotated[str, Depends(seen_as_a_connection)],
    ) -> None:
        handshake = ws.request
        await ws.accept()
        await ws.send_json(
            {
                "connection": isinstance(handshake, HTTPConnection),
                "handshake": isinstance(handshake, Handshake),
                "request": isinstance(handshake, Request),
                "body": [n for n in ("body", "json", "form", "stream") if hasattr(handshake, n)],
                "same": received["dependency"] is handshake and received["connection"] is handshake,
                "interface": handshake.interface,
                "scheme": handshake.scheme,
                "url": str(handshake.url),
                "path": handshake.path,
                "root_path": handshake.root_path,
                "method": handshake.method,
                "query": handshake.query_params.get("q"),
                "cookie": handshake.cookies.get("c"),
                "client": handshake.client is not None,
                "room": room,
                "token": token,
                "ok": ok,
            }
        )

    with TestClient(app, interface=interface) as client:
        url = "/api/rooms/r1?q=7"
        headers = {"x-token": "t", "cookie": "c=9"}
        with client.websocket_connect(url, headers=headers) as ws:
            seen = ws.receive_json()
    assert seen.pop("url").endswith("/rooms/r1?q=7") and seen.pop("interface") == interface
    assert seen == {
        "connection": True,
        "handshake": True,
        "request": False,
        "body": [],
        "same": True,
        "scheme": "ws",
        "path": "/rooms/r1",
        "root_path": "/api",
        "method": "GET",
        "query": "7",
        "cookie": "9",
        "client": True,
        "room": "r1",
        "token": "t",
        "ok": True,
    }


def test_http_handlers_may_take_the_request_as_an_http_connection(interface: str) -> None:
    app = Application()

    @app.get("/who")
    async def who(conn: HTTPConnection) -> dict:
        return {"request": isinstance(conn, Request), "path": conn.path}

    with TestClient(app, interface=interface) as client:
        assert client.get("/who").json() == {"request": True, "path": "/who"}


def test_cleanup_runs_when_the_session_ends(interface: str) -> None:
    """The solver's cleanup (``HTTPConnection.finish``) once the socket is closed: the
    background tasks of a session that ended well, and generator dependencies, which see
    what the handler raised."""
    app = Application()
    done: queue.Queue[str] = queue.Queue()

    def record(what: str) -> None:
        done.put(what)

    def resource() -> Iterator[str]:
        try:
            yield "db"
        except RuntimeError as exc:
            record(f"rolled back: {exc}")
            raise
        record("committed")

    @app.websocket("/ws/{outcome}")
    async def socket(
        ws: WebSocket, outcome: str, tasks: BackgroundTasks, db: Annotated[str, Depends(resource)]
    ) -> None:
        tasks.add_task(record, "background task")
        await ws.accept()
        await ws.send_text(db)
        if outcome == "fails":
            raise RuntimeError("the handler failed after accepting")

    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/ws/ends") as ws:
            assert ws.receive_text() == "db"
        assert [done.get(timeout=10), done.get(timeout=10)] == ["background task", "committed"]
        with client.websocket_connect("/ws/fails") as ws:
            assert ws.receive_text() == "db"
        # no background task: the session failed
        assert done.get(timeout=10) == "rolled back: the handler failed after accepting"
    assert done.empty()


class Item(BaseModel):
    name: str


async def _model(ws: WebSocket, item: Item) -> None:
    await ws.accept()


async def _body(ws: WebSocket, count: Annotated[int, Body()]) -> None:
    await ws.accept()


async def _form(ws: WebSocket, name: Annotated[str, Form()]) -> None:
    await ws.accept()


async def _file(ws: WebSocket, upload: Annotated[UploadFile, File()]) -> None:
    await ws.accept()


def _reads_body(item: Item) -> str:
    return item.name


async def _dependency(ws: WebSocket, name: Annotated[str, Depends(_reads_body)]) -> None:
    await ws.accept()


async def _plain(ws: WebSocket) -> None:
    await ws.accept()


@pytest.mark.parametrize(
    ("endpoint", "dependencies", "what"),
    [
        (_model, None, "'item' is a JSON body"),
        (_body, None, "'count' is a JSON body"),
        (_form, None, "'name' is a form field"),
        (_file, None, "'upload' is an uploaded file"),
        (_dependency, None, "'item' is a JSON body"),
        (_plain, [Depends(_reads_body)], "'item' is a JSON body"),
    ],
)
def test_body_and_form_parameters_are_refused_at_startup(
    interface: str, endpoint: Any, dependencies: Any, what: str
) -> None:
    app = Application()
    app.add_websocket_route("/ws", endpoint, dependencies=dependencies)
    with pytest.raises(LifespanError) as refused:
        with TestClient(app, interface=interface):
            pass
    message = str(refused.value)
    assert f"(WebSocket /ws): parameter {what}, which a WebSocket handshake does not have" in (
        message
    )
    assert "await ws.receive_json()" in message


def test_routed_path_and_websocket_scheme_helpers() -> None:
    assert without_root("/api/x", "/api") == "/x"
    assert without_root("/api", "/api") == "/"
    assert without_root("/apix", "/api") == "/apix"
    assert without_root("/x", "") == "/x"
    assert [websocket_scheme(s) for s in ("http", "https", "ws", "wss", "")] == [
        "ws",
        "wss",
        "ws",
        "wss",
        "ws",
    ]
