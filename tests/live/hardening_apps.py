"""The app the hardening live tests serve (tests/live/test_live_hardening.py): failing
streams, a padded response header, and the request's cookies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orionis import Application, Request, Response, StreamingResponse

app = Application(title="live hardening")


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/stream-fails/{when}")
def stream_fails(when: str) -> StreamingResponse:
    async def after_first() -> Any:
        yield b"first\n"
        raise RuntimeError("live-boom after the first chunk")

    async def before_first() -> Any:
        raise RuntimeError("live-boom before the first chunk")
        yield b""  # pragma: no cover - makes this an async generator

    def sync_after_first() -> Iterator[bytes]:
        yield b"first\n"
        raise RuntimeError("live-boom in a sync iterator")

    sources = {"after": after_first, "before": before_first, "sync": sync_after_first}
    return StreamingResponse(sources[when](), media_type="text/plain")


@app.get("/padded-header")
async def padded_header() -> Response:
    return Response(b"x", headers={"x-pad": "trailing "})


@app.get("/hop-by-hop")
async def hop_by_hop() -> Response:
    return Response(b"hop", headers={"upgrade": "h2c", "keep-alive": "timeout=1", "x-kept": "1"})


@app.get("/cookies")
async def cookies(request: Request) -> dict[str, Any]:
    return {"cookies": request.cookies, "headers": request.headers.getlist("cookie")}
