"""Examples for the API reference page of ``orionis.sse``."""

from __future__ import annotations

from collections.abc import AsyncIterator

# --8<-- [start:sse]
from orionis import Application, Request
from orionis.sse import PING, EventSourceResponse, ServerSentEvent, last_event_id

app = Application(title="SSE examples")
HISTORY = ["first", "second", "third"]


@app.get("/events")
async def events(request: Request) -> EventSourceResponse:
    # resume after the last id a reconnecting EventSource saw (None on a first connection)
    start = int(last_event_id(request) or 0)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        for number, text in enumerate(HISTORY[start:], start + 1):
            yield ServerSentEvent(data=text, event="note", id=str(number), retry=5000)

    return EventSourceResponse(stream(), ping=15)  # a PING comment every 15 s of silence


assert PING.startswith(b":")  # the keep-alive frame's bytes: a comment browsers ignore
# --8<-- [end:sse]


def check(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/events").text
    assert "data: first" in body and "data: third" in body
    resumed = client.get("/events", headers={"Last-Event-ID": "2"}).text
    assert "data: first" not in resumed and "id: 3" in resumed
