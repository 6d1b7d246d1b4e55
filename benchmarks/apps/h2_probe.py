"""Bare RSGI apps that each pay one thing Orionis did per HTTP/2 request (``benchmarks/h2ab.py``).

Served like ``bare_rsgi`` (``/plaintext`` and ``/json`` only); each is the bare answer after:

- ``read_once``: ``await protocol()``, the body read a framework needs to learn that an
  HTTP/2 GET without ``Content-Length`` has no body;
- ``read_iter``: the same by iterating the protocol (Orionis' reader for unknown lengths);
- ``disconnect``: ``protocol.client_disconnect()`` started and cancelled around one loop pass
  (the disconnect guard of a request that waited on something);
- ``headers``: the HTTP/2 host and framing look-ups (``authority``, ``get_all("host")``,
  ``"content-length" in headers``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from apps.common import JSON_MESSAGE, PLAINTEXT

_TEXT = [("content-type", "text/plain; charset=utf-8")]
_JSON = [("content-type", "application/json")]


def _answer(scope: Any, protocol: Any) -> None:
    if scope.path == "/plaintext":
        protocol.response_bytes(200, _TEXT, PLAINTEXT)
    else:
        protocol.response_bytes(200, _JSON, orjson.dumps(JSON_MESSAGE))


class ReadOnce:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        await protocol()
        _answer(scope, protocol)


class ReadIter:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        async for _chunk in protocol:
            pass
        _answer(scope, protocol)


class Disconnect:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        gone = asyncio.ensure_future(protocol.client_disconnect())
        await asyncio.sleep(0)
        _answer(scope, protocol)
        gone.cancel()


class Headers:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        headers = scope.headers
        if scope.authority is not None and not headers.get_all("host"):
            _ = "content-length" in headers
        _answer(scope, protocol)


read_once = ReadOnce()
read_iter = ReadIter()
disconnect = Disconnect()
headers = Headers()
