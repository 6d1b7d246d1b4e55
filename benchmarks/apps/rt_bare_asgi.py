"""Bare ASGI realtime floor: a raw ASGI callable (see ``rt_common``).

Served with ``granian --interface asgi apps.rt_bare_asgi:app``.
"""

from __future__ import annotations

from typing import Any

from apps.rt_common import READY, STOP, Hub

_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]

hub = Hub()


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    kind = scope["type"]
    if kind == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            text = message.get("text")
            if text is not None:
                await send({"type": "websocket.send", "text": text})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes")})
    if kind == "lifespan":
        await _lifespan(receive, send)
        return
    path = scope["path"]
    if path == "/sse":
        await send({"type": "http.response.start", "status": 200, "headers": _SSE})
        with hub.subscribe() as queue:
            await send({"type": "http.response.body", "body": READY, "more_body": True})
            while (message := await queue.get()) != STOP:
                body = f"data: {message}\n\n".encode()
                await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/publish" and scope["method"] == "POST":
        hub.publish_query(scope["query_string"].decode())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})
