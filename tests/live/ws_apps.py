"""The WebSocket app the live tests serve with real granian and uvicorn processes.

Handler-side events (a disconnect the handler saw, a cleanup) go to the file named by
ORIONIS_LIVE_LOG, one line each, so a test can see what happened inside the server.
"""

from typing import Annotated

from orionis import Application, Depends, Header, HTTPException, WebSocket, WebSocketDisconnect
from orionis.security import JWTAuth
from tests.live.apps import record

SECRET = "live-websocket-secret-with-enough-bytes"
auth = JWTAuth(SECRET, algorithms=["HS256"], cookie="session", query="token")

app = Application(title="live websockets")


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/http-only")
async def http_only() -> str:
    return "plain"


@app.websocket("/ws/{room}")
async def chat(ws: WebSocket, room: str) -> None:
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_json({"room": room, "echo": text, "interface": ws.interface})


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
async def item(ws: WebSocket, item_id: int, verbose: bool = False) -> None:
    await ws.accept()
    await ws.send_json({"id": item_id, "type": type(item_id).__name__, "verbose": verbose})


@app.websocket("/secure")
async def secure(ws: WebSocket, claims: Annotated[dict, Depends(auth)]) -> None:
    await ws.accept()
    await ws.send_json({"sub": claims["sub"]})


def members_only(x_role: Annotated[str | None, Header()] = None) -> None:
    if x_role != "member":
        raise HTTPException(401, "members only")


@app.websocket("/guarded", dependencies=[Depends(members_only)])
async def guarded(ws: WebSocket) -> None:
    await ws.accept()
    await ws.send_text("welcome")


@app.websocket("/no")
async def no(ws: WebSocket) -> None:
    await ws.close()


@app.websocket("/small", max_message_size=1024)
async def small(ws: WebSocket) -> None:
    await ws.accept()
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except WebSocketDisconnect as exc:
        record(f"small closed {exc.code}")


@app.websocket("/boom")
async def boom(ws: WebSocket) -> None:
    await ws.accept()
    await ws.receive_text()
    raise RuntimeError("live handler failure")


@app.websocket("/listen")
async def listen(ws: WebSocket) -> None:
    await ws.accept()
    await ws.send_text("listening")
    try:
        while True:
            await ws.receive()
    except WebSocketDisconnect as exc:
        record(f"disconnect {exc.code} {exc.reason!r}")


@app.websocket("/origin", allowed_origins=["https://app.example"])
async def origin(ws: WebSocket) -> None:
    await ws.accept()
    await ws.send_text("same-site")


@app.websocket("/proto")
async def proto(ws: WebSocket) -> None:
    await ws.accept(
        subprotocol="chat.v2" if "chat.v2" in ws.subprotocols else None,
        headers={"x-served-by": "orionis"},
    )
    await ws.send_text("proto")


@app.websocket("/close-code")
async def close_code(ws: WebSocket) -> None:
    await ws.accept()
    await ws.close(4321, "custom")
