"""The demo's live page (bootstrap.py): its static files, the note feed over SSE and the chat
room over a WebSocket, in process under both interfaces. The browser test is
tests/live/test_browser.py.

Bad inputs tried: room names with a slash, spaces, markup or 41 characters (handshake
refused), a 5 KiB chat message (closed with 1009), traversal out of public/.
"""

from __future__ import annotations

import importlib
import json
import pathlib
from collections.abc import Iterator

import pytest

from orionis import Application, WebSocketDisconnect
from orionis.testing import TestClient, WebSocketDenied
from tests.http.test_sse import frames, parse
from tests.http.test_staticfiles import _raw_get


@pytest.fixture
def app(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Application]:
    monkeypatch.setenv("ORIONIS_NOTES_DB", str(tmp_path / "notes.db"))
    import bootstrap

    yield importlib.reload(bootstrap).app


def test_the_page_is_served_from_public(app: Application, interface: str) -> None:
    with TestClient(app, interface) as client:
        page = client.get("/live/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "<title>Orionis live demo</title>" in page.text
        script = client.get("/live/app.js")
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "new EventSource(" in script.text
        assert client.get("/live", follow_redirects=False).headers["location"] == "./live/"
        assert _raw_get(client, "/live/../bootstrap.py").status_code == 404
        assert _raw_get(client, "/live/%2e%2e/pyproject.toml").status_code == 404
        paths = client.get("/openapi.json").json()["paths"]
        assert not [p for p in paths if p.startswith(("/live", "/events"))]


def test_note_changes_reach_the_feed(app: Application, interface: str) -> None:
    with TestClient(app, interface) as client, client.stream("GET", "/events/notes") as feed:
        assert feed.headers["content-type"] == "text/event-stream; charset=utf-8"
        events = frames(feed)
        assert parse(next(events))["event"] == "ready"  # type: ignore[index]
        created = client.post("/api/notes", json={"title": "live", "body": "news"}).json()
        event = parse(next(events))
        assert event is not None and event["event"] == "note"
        assert json.loads(event["data"]) == {"action": "created", "note": created}
        assert client.delete(f"/api/notes/{created['id']}").status_code == 204
        event = parse(next(events))
        assert json.loads(event["data"]) == {"action": "deleted", "id": created["id"]}  # type: ignore[index]
        # a refused change publishes nothing: the next event is the next real change
        assert client.delete(f"/api/notes/{created['id']}").status_code == 404
        assert client.post("/api/notes", json={"title": "", "body": "x"}).status_code == 422
        second = client.post("/api/notes", json={"title": "two", "body": "b"}).json()
        event = parse(next(events))
        assert json.loads(event["data"])["note"] == second  # type: ignore[index]


def test_the_chat_room_echoes_to_everyone_in_it(app: Application, interface: str) -> None:
    with (
        TestClient(app, interface) as client,
        client.websocket_connect("/ws/chat/lobby") as alice,
        client.websocket_connect("/ws/chat/lobby") as bob,
        client.websocket_connect("/ws/chat/other") as carol,
    ):
        for ws, room in ((alice, "lobby"), (bob, "lobby"), (carol, "other")):
            assert ws.receive_json() == {"type": "joined", "room": room}
        alice.send_text("hello <b>all</b>")
        expected = {"type": "message", "room": "lobby", "text": "hello <b>all</b>"}
        assert alice.receive_json() == expected  # the sender's echo
        assert bob.receive_json() == expected
        carol.send_text("elsewhere")
        assert carol.receive_json()["text"] == "elsewhere"  # not alice's message


@pytest.mark.parametrize("room", ["a%2Fb", "with%20space", "%3Cscript%3E", "x" * 41])
def test_bad_room_names_are_refused(app: Application, interface: str, room: str) -> None:
    with (
        TestClient(app, interface) as client,
        pytest.raises(WebSocketDenied) as denied,
        client.websocket_connect(f"/ws/chat/{room}"),
    ):
        pass
    assert denied.value.status in (403, 404)


def test_an_oversized_chat_message_closes_the_socket(app: Application, interface: str) -> None:
    with TestClient(app, interface) as client, client.websocket_connect("/ws/chat/big") as ws:
        assert ws.receive_json()["type"] == "joined"
        ws.send_text("x" * 5000)
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
        assert ws.close_code == (1009 if interface == "asgi" else 1005)
