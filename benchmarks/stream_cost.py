"""In-process cost of one streamed chunk / SSE event through the RSGI and ASGI adapters.

Drives ``StreamingResponse`` and ``EventSourceResponse`` with the fake servers from
``orionis.testing.servers`` (no sockets, no HTTP parsing), so the number is the framework's
own per-chunk overhead. Prints the minimum of several runs in µs per chunk.

    python benchmarks/stream_cost.py [N] [RUNS]
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from orionis import Application
from orionis.responses import StreamingResponse
from orionis.sse import EventSourceResponse
from orionis.testing.servers import ASGIServer, Exchange, RSGIServer

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def build() -> Application:
    app = Application()

    async def chunks():
        for _ in range(N):
            yield b"x" * 32

    async def events():
        for i in range(N):
            yield str(i)

    @app.get("/stream")
    async def stream():
        return StreamingResponse(chunks())

    @app.get("/sse")
    async def sse():
        return EventSourceResponse(events(), ping=15)

    @app.get("/sse-noping")
    async def sse_noping():
        return EventSourceResponse(events(), ping=None)

    return app


async def one(server, path: str) -> float:
    ex = Exchange(request=httpx.Request("GET", f"http://test{path}"), body=b"")
    ex.disconnected = asyncio.Event()
    ex.complete = asyncio.Event()
    start = time.perf_counter()
    await server.run(ex)
    elapsed = time.perf_counter() - start
    return elapsed / N * 1e6


async def main() -> None:
    app = build()
    await app.startup()
    for name, server in (("rsgi", RSGIServer(app)), ("asgi", ASGIServer(app))):
        for path in ("/stream", "/sse", "/sse-noping"):
            best = min([await one(server, path) for _ in range(RUNS)])
            print(f"{name:5} {path:12} {best:6.2f} us/chunk")


asyncio.run(main())
