"""Tutorial step 8: server-sent events and WebSockets, fed by a broadcast."""

import os
from collections.abc import AsyncIterator

from orionis import Application, Lifespan, WebSocket, WebSocketDisconnect
from orionis.broadcast import Broadcast
from orionis.sse import EventSourceResponse, ServerSentEvent

app = Application(title="Notes")
# "memory://" in one process; "redis://127.0.0.1:6379" across workers and machines
broadcast = Broadcast(os.environ.get("NOTES_BROADCAST", "memory://"))
app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, broadcast.disconnect)


@app.post("/notes/{title}")
async def create_note(title: str) -> tuple[dict, int]:
    await broadcast.publish("notes", title)
    return {"title": title}, 201


@app.get("/events/notes")
async def note_events() -> EventSourceResponse:
    async def events() -> AsyncIterator[ServerSentEvent]:
        async with broadcast.subscribe("notes") as subscription:
            yield ServerSentEvent(None, comment="subscribed")  # live from here on
            async for number, title in _numbered(subscription):
                yield ServerSentEvent(data=title, event="note", id=str(number))

    # the generator is closed when the client leaves; ping keeps proxies from timing out
    return EventSourceResponse(events(), ping=15)


async def _numbered(messages: AsyncIterator[str]) -> AsyncIterator[tuple[int, str]]:
    number = 0
    async for message in messages:
        number += 1
        yield number, message


@app.websocket("/ws/chat/{room}")
async def chat(ws: WebSocket, room: str) -> None:
    await ws.accept()
    try:
        async for text in ws.iter_text():
            await ws.send_json({"room": room, "echo": text})
    except WebSocketDisconnect:
        pass
