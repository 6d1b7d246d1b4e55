"""The app the trusted-host / proxy / compression live tests serve with real servers.

``GET /stream`` yields one chunk, then waits for ``POST /release`` (one worker: the event is
per process) and yields a second, all through ``GZipMiddleware``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from orionis import Application, Request
from orionis.middleware import GZipMiddleware, ProxyHeadersMiddleware, TrustedHostMiddleware
from orionis.responses import StreamingResponse

SAFETY = 20.0
FIRST = b"first chunk " * 100
SECOND = b"second chunk " * 100

app = Application(title="live hosts")
app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["127.0.0.1"])
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "*.example.com"])
app.add_middleware(GZipMiddleware)
released = asyncio.Event()


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/peer")
async def peer(request: Request) -> dict[str, object]:
    client = request.client
    return {
        "client": client.host if client else None,
        "url": str(request.url.netloc),
        "scheme": request.scheme,
    }


@app.post("/release")
async def release() -> None:
    released.set()


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield FIRST
        await asyncio.wait_for(released.wait(), SAFETY)
        released.clear()
        yield SECOND

    return StreamingResponse(chunks(), media_type="text/plain")
