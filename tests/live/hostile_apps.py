"""The app the hostile-body live tests serve: tiny body timeout and a small body limit.

Events go to ORIONIS_LIVE_LOG like tests/live/apps.py, so a test can see which handlers ran.
"""

from __future__ import annotations

from typing import Annotated, Any

from orionis import Application, Header, Request, StreamingResponse
from orionis.foundation.enums.lifespan import Lifespan
from tests.live.apps import record

app = Application(title="hostile", body_timeout=0.5)
app.on(Lifespan.STARTUP, lambda: record("startup"))
app.on(Lifespan.SHUTDOWN, lambda: record("shutdown"))


@app.get("/health")
async def health() -> str:
    return "ok"


@app.post("/count")
async def count(request: Request) -> dict[str, int]:
    body = await request.body()
    record(f"count:{len(body)}")
    return {"received": len(body)}


@app.post("/small", max_body_size=100)
async def small(request: Request) -> dict[str, int]:
    body = await request.body()
    record(f"small:{len(body)}")
    return {"received": len(body)}


@app.post("/echo", max_body_size=None)
async def echo(request: Request) -> StreamingResponse:
    record("echo")
    return StreamingResponse(request.stream())


@app.get("/host")
async def host(request: Request, host: Annotated[str, Header()]) -> dict[str, Any]:
    return {"param": host, "host": request.host, "url": str(request.url)}


@app.post("/consume", max_body_size=None)
async def consume(request: Request) -> dict[str, int]:
    record("consume")
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
    record(f"consume:{total}")
    return {"received": total}


@app.get("/small-get", max_body_size=100)
async def small_get(request: Request) -> dict[str, int]:
    body = await request.body()  # an HTTP/2 GET's body is read only here, when asked for
    record(f"small-get:{len(body)}")
    return {"received": len(body)}
