"""Examples for the API reference page of ``orionis.broadcast``."""

from __future__ import annotations

import os

# --8<-- [start:broadcast]
from orionis import Application, HTTPException, Lifespan
from orionis.broadcast import Broadcast, BroadcastUnavailable, Subscription

app = Application(title="Broadcast examples")
broadcast = Broadcast(os.environ.get("NOTES_BROADCAST", "memory://"))  # or redis://host:6379
app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, broadcast.disconnect)


@app.post("/say/{text}")
async def say(text: str) -> None:
    try:
        await broadcast.publish("room", text)  # a str: publish JSON as text
    except BroadcastUnavailable:
        raise HTTPException(503, "the message bus is down; try again shortly") from None


@app.get("/next")
async def next_message() -> dict:
    sub: Subscription
    async with broadcast.subscribe("room") as sub:  # receives what is published from here on
        await broadcast.publish("room", "hello")
        return {"message": await sub.get()}
# --8<-- [end:broadcast]


def check(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/say/hi").status_code == 204
    assert client.get("/next").json() == {"message": "hello"}
