"""The app the live HTTP-semantics and error-boundary tests serve (issue 8, items 3, 6, 17, 21)."""

from __future__ import annotations

from typing import Any

import pydantic

from orionis import Application, BackgroundTasks, Depends, Response
from orionis.middleware import CORSMiddleware, SecurityHeadersMiddleware
from tests.live.apps import record

ORIGIN = "https://app.example"


class Item(pydantic.BaseModel):
    name: str


class Abort(BaseException):
    """Neither cancellation nor an interpreter exit."""


app = Application(title="live semantics", openapi_url=None)
app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN])
app.add_middleware(SecurityHeadersMiddleware)


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/doc")
async def doc() -> str:
    return "hello world"


@app.head("/doc")
async def doc_head() -> Response:  # the length of the GET body, set by hand
    return Response(headers={"content-length": "11", "x-head": "explicit"})


@app.get("/bare")
async def bare() -> str:
    return "hello world"


@app.head("/bare")
async def bare_head() -> Response:  # no length known: none is announced (never a false 0)
    return Response(headers={"x-head": "explicit"})


@app.post("/items")
async def create(item: Item) -> dict[str, str]:
    return {"name": item.name}


@app.get("/fail")
async def fail() -> None:
    raise RuntimeError("secret internals")


async def watched() -> Any:
    try:
        yield "d"
        record("dependency: success")
    except BaseException as exc:
        record(f"dependency: {type(exc).__name__}")
        raise


@app.get("/abort")
async def abort(tasks: BackgroundTasks, d: str = Depends(watched)) -> None:
    tasks.add_task(record, "background ran")
    raise Abort()
