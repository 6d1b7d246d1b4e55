"""Starlette realtime peer (Starlette 1.10.0), idiomatic: a ``WebSocketRoute`` with
``iter_text``/``send_text``, and ``StreamingResponse(media_type="text/event-stream")``
over ``rt_common.Hub`` (Starlette has no SSE helper or broadcast of its own).

Served with ``granian --interface asgi apps.rt_starlette:app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from apps.rt_common import READY, STOP, Hub

hub = Hub()


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


async def sse(request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        with hub.subscribe() as queue:
            yield READY
            while (message := await queue.get()) != STOP:
                yield f"data: {message}\n\n".encode()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-cache"}
    )


async def publish(request: Request) -> Response:
    hub.publish_query(request.url.query)
    return Response(status_code=204)


app = Starlette(
    routes=[
        WebSocketRoute("/ws", echo),
        Route("/sse", sse),
        Route("/publish", publish, methods=["POST"]),
    ]
)
