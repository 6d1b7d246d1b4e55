"""Bare ASGI floor: a raw ASGI callable, no framework, no /realistic.

The speed reference for the ASGI apps (like every app, it serialises /json per request, as
the TechEmpower rules require): it answers ``/plaintext``, ``/json``, ``/users/{id}``
(and the rest of ``route_table()``) and ``/echo`` with the least work that is still correct,
and answers the lifespan protocol. Served with ``granian --interface asgi apps.bare_asgi:app``.
"""

from __future__ import annotations

from typing import Any

import orjson

from apps.common import JSON_MESSAGE, NOT_FOUND, PLAINTEXT, TABLE_OK, table_match

_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"


async def _respond(send: Any, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        return
    path = scope["path"]
    method = scope["method"]
    if method == "GET":
        if path == "/plaintext":
            await _respond(send, 200, _TEXT, PLAINTEXT)
            return
        if path == "/json":
            await _respond(send, 200, _JSON, orjson.dumps(JSON_MESSAGE))
            return
        if path.startswith("/users/"):
            tail = path[7:]
            if tail.isascii() and tail.isdigit():
                await _respond(send, 200, _JSON, orjson.dumps({"id": int(tail)}))
                return
    elif method == "POST" and path == "/echo":
        body = await _read_body(receive)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            await _respond(send, 400, _TEXT, b"Invalid JSON")
            return
        await _respond(send, 200, _JSON, orjson.dumps(data))
        return
    if table_match(method, path):
        await _respond(send, 200, _JSON, TABLE_OK)
        return
    await _respond(send, 404, _TEXT, NOT_FOUND)
