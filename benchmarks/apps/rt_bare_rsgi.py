"""Bare RSGI realtime floor: raw ``__rsgi__`` calls (see ``rt_common``).

Served with ``granian --interface rsgi apps.rt_bare_rsgi:app``.
"""

from __future__ import annotations

from typing import Any

from apps.rt_common import READY, STOP, Hub

_SSE = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]

hub = Hub()


class App:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto == "ws":
            transport = await protocol.accept()
            while True:
                message = await transport.receive()
                if message.kind == 2:
                    await transport.send_str(message.data)
                elif message.kind == 1:
                    await transport.send_bytes(message.data)
                else:
                    return
        path = scope.path
        if path == "/sse":
            stream = protocol.response_stream(200, _SSE)
            with hub.subscribe() as queue:
                await stream.send_bytes(READY)
                while (message := await queue.get()) != STOP:
                    await stream.send_str(f"data: {message}\n\n")
            return
        if path == "/publish" and scope.method == "POST":
            hub.publish_query(scope.query_string)
            protocol.response_empty(204, [])
            return
        protocol.response_empty(404, [])


app = App()
