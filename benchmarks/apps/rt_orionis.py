"""Orionis realtime app, written as docs/realtime.md and docs/realtime-websockets.md show:
``@app.websocket`` with ``iter_text``/``send_text``, ``EventSourceResponse`` of
``ServerSentEvent`` fed by ``Broadcast("memory://")`` connected by lifespan hooks.

Served with ``granian --interface rsgi|asgi apps.rt_orionis:app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from apps.rt_common import MESSAGE, STOP
from orionis import Application, Lifespan, WebSocket
from orionis.broadcast import Broadcast
from orionis.sse import EventSourceResponse, ServerSentEvent

broadcast = Broadcast("memory://")
app = Application(title="realtime bench", docs_url=None, openapi_url=None)
app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, broadcast.disconnect)


@app.websocket("/ws")
async def echo(ws: WebSocket) -> None:
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(text)


@app.get("/sse")
async def sse() -> EventSourceResponse:
    async def events() -> AsyncIterator[ServerSentEvent]:
        async with broadcast.subscribe("bench") as sub:
            yield ServerSentEvent("{}", event="ready")
            async for message in sub:
                if message == STOP:
                    return
                yield ServerSentEvent(message)

    return EventSourceResponse(events())


@app.post("/publish", status_code=204)
async def publish(n: int = 1, stop: bool = False) -> None:
    if stop:
        await broadcast.publish("bench", STOP)
        return
    for _ in range(n):
        await broadcast.publish("bench", MESSAGE)
