"""Bare RSGI floor: raw ``__rsgi__`` calls, no framework, no /realistic.

The speed reference for the RSGI apps (like every app, it serialises /json per request, as
the TechEmpower rules require): it answers ``/plaintext``, ``/json``, ``/users/{id}``
(and the rest of ``route_table()``) and ``/echo`` with the least work that is still correct.
Served with ``granian --interface rsgi apps.bare_rsgi:app``.
"""

from __future__ import annotations

from typing import Any

import orjson

from apps.common import JSON_MESSAGE, NOT_FOUND, PLAINTEXT, TABLE_OK, table_match

_TEXT = [("content-type", "text/plain; charset=utf-8")]
_JSON = [("content-type", "application/json")]


class App:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        path = scope.path
        method = scope.method
        if method == "GET":
            if path == "/plaintext":
                protocol.response_bytes(200, _TEXT, PLAINTEXT)
                return
            if path == "/json":
                protocol.response_bytes(200, _JSON, orjson.dumps(JSON_MESSAGE))
                return
            if path.startswith("/users/"):
                tail = path[7:]
                if tail.isascii() and tail.isdigit():
                    protocol.response_bytes(200, _JSON, orjson.dumps({"id": int(tail)}))
                    return
        elif method == "POST" and path == "/echo":
            body = await protocol()
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                protocol.response_bytes(400, _TEXT, b"Invalid JSON")
                return
            protocol.response_bytes(200, _JSON, orjson.dumps(data))
            return
        if table_match(method, path):
            protocol.response_bytes(200, _JSON, TABLE_OK)
            return
        protocol.response_bytes(404, _TEXT, NOT_FOUND)


app = App()
