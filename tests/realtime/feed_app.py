"""An SSE feed fed by a broadcast: POST /publish sends, GET /feed streams.

Used in process (``make_app``) and by the live test with real Granian workers (``app``,
configured by ORIONIS_BROADCAST_URL). Every event carries the worker's pid, so a test can see
which process served each connection.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator

from pydantic import BaseModel

from orionis import Application, HTTPException
from orionis.broadcast import Broadcast, BroadcastUnavailable
from orionis.foundation.enums.lifespan import Lifespan
from orionis.sse import EventSourceResponse, ServerSentEvent


class Message(BaseModel):
    channel: str = "feed"
    text: str


def make_app(url: str) -> Application:
    broadcast = Broadcast(url)
    app = Application(title="feed")
    app.state.broadcast = broadcast
    app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, broadcast.disconnect)

    @app.get("/health")
    async def health() -> str:
        return "ok"

    @app.post("/publish")
    async def publish(message: Message) -> None:
        try:
            await broadcast.publish(message.channel, message.text)
        except BroadcastUnavailable as exc:
            raise HTTPException(503, "the message bus is unavailable; retry later") from exc

    @app.get("/feed/{channel}")
    async def feed(channel: str) -> EventSourceResponse:
        async def events() -> AsyncIterator[ServerSentEvent]:
            async with broadcast.subscribe(channel) as sub:
                pid = os.getpid()
                # Sent once the subscription is confirmed: publishing after this is received.
                yield ServerSentEvent(json.dumps({"pid": pid}), event="ready")
                async for text in sub:
                    yield ServerSentEvent(json.dumps({"pid": pid, "text": text}))

        return EventSourceResponse(events(), ping=15)

    return app


app = make_app(os.environ.get("ORIONIS_BROADCAST_URL", "memory://"))
