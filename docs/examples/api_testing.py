"""Examples for the API reference page of ``orionis.testing`` (and a test module itself)."""

from __future__ import annotations

import pytest

# --8<-- [start:testing]
from orionis import Application, WebSocket, WebSocketDisconnect
from orionis.testing import ServerError, TestClient, WebSocketDenied, WebSocketTestSession

app = Application(title="Testing examples")


@app.get("/hello")
async def hello() -> dict:
    return {"hello": "world"}


@app.websocket("/ws")
async def ws_echo(ws: WebSocket, token: str = "") -> None:
    if token != "ok":
        await ws.close()  # before accept(): the handshake is refused with 403
        return
    await ws.accept()
    try:
        async for text in ws.iter_text():
            await ws.send_text(text.upper())
    except WebSocketDisconnect:
        pass


@pytest.mark.parametrize("interface", ["asgi", "rsgi"])
def test_hello_and_echo(interface: str) -> None:
    with TestClient(app, interface=interface) as client:  # runs startup and shutdown
        assert client.get("/hello").json() == {"hello": "world"}
        ws: WebSocketTestSession
        with client.websocket_connect("/ws?token=ok") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "HI"
        with pytest.raises(WebSocketDenied) as denied:
            client.websocket_connect("/ws").__enter__()
        assert denied.value.status == 403


# ServerError: what a real server would choke on (a status it cannot send, an invalid
# header, a second response) fails the test instead of passing unnoticed.
assert issubclass(ServerError, Exception)
# --8<-- [end:testing]
