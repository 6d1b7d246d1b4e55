"""The app the stream-memory live tests serve: ``GET /big`` streams 200 MiB in 64 KiB
chunks, each a fresh ``bytes`` object (so anything queued costs real memory), and
``GET /produced`` says how many bytes the producer has yielded so far (one worker)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from orionis import Application, StreamingResponse

CHUNK = 64 * 1024
TOTAL = 200 * 1024 * 1024

app = Application(title="live stream memory")
produced = [0]


@app.get("/health")
async def health() -> dict:
    return {"ok": True}


@app.get("/produced")
async def how_much() -> dict:
    return {"bytes": produced[0]}


@app.get("/big")
async def big() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        produced[0] = 0
        while produced[0] < TOTAL:
            chunk = bytes(CHUNK)  # a new object every time: queued chunks are not shared
            produced[0] += CHUNK
            yield chunk

    return StreamingResponse(chunks(), media_type="application/octet-stream")
