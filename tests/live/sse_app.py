"""The SSE app the live tests serve with real granian and uvicorn processes.

``GET /events`` yields one event, then waits for ``POST /release`` (one worker: the event is
per process) and yields a second; ``GET /forever`` yields one event and then waits for a
disconnect. Cleanup is written to ORIONIS_LIVE_LOG so the test can see the generator's
``finally`` run inside the server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from orionis import Application, Request
from orionis.sse import EventSourceResponse, ServerSentEvent, last_event_id

SAFETY = 20.0


def record(event: str) -> None:
    path = os.environ.get("ORIONIS_LIVE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(event + "\n")


app = Application(title="live sse")
released = asyncio.Event()


@app.get("/health")
async def health() -> str:
    return "ok"


@app.post("/release")
async def release() -> None:
    released.set()


@app.get("/events")
async def events(request: Request) -> EventSourceResponse:
    released.clear()
    start = int(last_event_id(request) or 0)

    async def gen() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent("first\nof two", event="greeting", id=str(start + 1))
        try:
            await asyncio.wait_for(released.wait(), SAFETY)
            yield ServerSentEvent("second", id=str(start + 2))
        except TimeoutError:
            yield ServerSentEvent("never released")

    return EventSourceResponse(gen(), ping=None)


@app.get("/forever/{tag}")
async def forever(tag: str) -> EventSourceResponse:
    async def gen() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent("hello", id="1")
            await asyncio.Event().wait()  # only the client leaving ends this
        finally:
            record(f"finally:{tag}")

    return EventSourceResponse(gen(), ping=None)


@app.get("/pings")
async def pings() -> EventSourceResponse:
    async def gen() -> AsyncIterator[str]:
        await asyncio.Event().wait()  # never yields: only pings arrive
        yield "unreachable"

    return EventSourceResponse(gen(), ping=0.01)
