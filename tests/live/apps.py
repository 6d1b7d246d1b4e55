"""Apps the live tests serve with real granian and uvicorn processes.

Events go to the file named by ORIONIS_LIVE_LOG (one line each), so a test can see what ran
inside the server: startup and shutdown callbacks, handler calls, stream cleanup.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from orionis import Application, Request, Response, StreamingResponse
from orionis.foundation.enums.lifespan import Lifespan


def record(event: str) -> None:
    path = os.environ.get("ORIONIS_LIVE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(event + "\n")


app = Application(title="live")
app.on(Lifespan.STARTUP, lambda: record("startup"))
app.on(Lifespan.SHUTDOWN, lambda: record("shutdown"))


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/info")
async def info(request: Request) -> dict[str, Any]:
    client = request.client
    return {
        "interface": request.interface,
        "host": request.host,
        "url": str(request.url),
        "http_version": request.http_version,
        "client_port_is_int": isinstance(client.port, int) if client else None,
        "query": request.query_params.multi_items(),
        "cookies": request.cookies,
    }


@app.get("/status/{code:int}")
async def status(code: int) -> Response:
    return Response(b"whatever", status_code=code)


@app.get("/latin-header")
async def latin_header() -> Response:
    return Response(b"x", headers={"x-name": "caf\u00e9"})


@app.post("/echo-stream", max_body_size=None)
async def echo_stream(request: Request) -> StreamingResponse:
    return StreamingResponse(request.stream())


@app.get("/headers")
async def headers(request: Request) -> dict[str, Any]:
    return dict(request.headers.items())


@app.get("/bad-header")
async def bad_header() -> Response:
    return Response(b"x", headers={"x-evil": "a\r\nx-injected: yes"})


@app.post("/count")
async def count(request: Request) -> dict[str, int]:
    body = await request.body()
    record(f"count:{len(body)}")
    return {"received": len(body)}


@app.get("/slow")
async def slow() -> str:
    record("slow:start")
    await asyncio.sleep(1.5)
    record("slow:end")
    return "slow done"


@app.get("/stream/{n:int}")
async def stream(n: int) -> StreamingResponse:
    async def chunks() -> Any:
        try:
            for i in range(n):
                yield f"chunk {i}\n"
                await asyncio.sleep(0.01)
        finally:
            record("stream:closed")

    return StreamingResponse(chunks(), media_type="text/plain")


failing_app = Application(title="failing")


def _broken_startup() -> None:
    raise RuntimeError("cannot reach the database")


failing_app.on(Lifespan.STARTUP, _broken_startup)
failing_app.on(Lifespan.SHUTDOWN, lambda: record("failing:shutdown"))
failing_app.get("/health", lambda: "never served")


# -- files confined to a directory, and root_path (tests/live/test_live_files.py) ----------
def _public_dir() -> str:
    """``public/`` beside the events log: the test fills it (and puts a secret next to it)."""
    return os.path.join(os.path.dirname(os.environ.get("ORIONIS_LIVE_LOG", ".")), "public")


@app.get("/files/{name:path}")
async def confined_file(name: str) -> Any:
    from orionis import FileResponse

    return FileResponse(name, directory=_public_dir())


@app.get("/root-info")
async def root_info(request: Request) -> dict[str, Any]:
    return {
        "path": request.path,
        "root_path": request.root_path,
        "link": request.app.url_path_for("root_info"),
    }


rooted_app = Application(title="rooted", root_path="/proxy")
rooted_app.get("/health", lambda: "ok")
rooted_app.add_route("/root-info", root_info, name="root_info")
