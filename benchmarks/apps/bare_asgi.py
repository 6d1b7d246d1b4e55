"""Bare ASGI floor: a raw ASGI callable, no framework, no /realistic.

The speed reference for the ASGI apps (like every app, it serialises /json per request, as
the TechEmpower rules require): it answers ``/plaintext``, ``/json``, ``/users/{id}``
(and the rest of ``route_table()``) and ``/echo`` with the least work that is still correct,
and answers the lifespan protocol. Served with ``granian --interface asgi apps.bare_asgi:app``.
"""

from __future__ import annotations

from typing import Any

import orjson

from apps.common import JSON_MESSAGE, PLAINTEXT, route_table

_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"
_OK = orjson.dumps({"ok": True})
_NOT_FOUND = b"Not Found"

# (method, path template) of every table route but /users/{id}; integer segments of a
# request path are looked up as "{id}"
_TABLE = {(m, p) for m, p, _ in route_table() if p != "/users/{id}"}


def _table_match(method: str, path: str) -> bool:
    if (method, path) in _TABLE:
        return True
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.isascii() and part.isdigit():
            parts[i] = "{id}"
    return (method, "/".join(parts)) in _TABLE


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
    if _table_match(method, path):
        await _respond(send, 200, _JSON, _OK)
        return
    await _respond(send, 404, _TEXT, _NOT_FOUND)
