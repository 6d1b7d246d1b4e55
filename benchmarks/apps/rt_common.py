"""What every realtime benchmark app serves (``benchmarks/realtime.py``).

- ``/ws``: a WebSocket that echoes every text message back.
- ``GET /sse``: a server-sent event stream; first an ``event: ready`` (sent once subscribed),
  then one ``data: <MESSAGE>`` event per published message, until ``STOP`` is published.
- ``POST /publish?n=N``: publish ``MESSAGE`` N times (``?stop=1``: publish ``STOP``), answered
  204 once published.

The peers and the bare apps share ``Hub`` (one ``asyncio.Queue`` per subscriber, the usual
hand-written fan-out); Orionis uses ``orionis.broadcast.Broadcast("memory://")``, as its docs
recommend.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from urllib.parse import parse_qs

MESSAGE = "tick 0123456789abcdef0123456789"  # a small event payload
STOP = "__stop__"
READY = b"event: ready\ndata: {}\n\n"


def publish_count(query: str) -> tuple[int, bool]:
    """``(n, stop)`` from ``/publish``'s query string."""
    values = parse_qs(query)
    return int(values.get("n", ["1"])[0]), values.get("stop", ["0"])[0] == "1"


class Hub:
    """In-process fan-out: each subscriber has its own queue."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[str]] = set()

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.queues.add(queue)
        try:
            yield queue
        finally:
            self.queues.discard(queue)

    def publish(self, message: str) -> None:
        for queue in self.queues:
            queue.put_nowait(message)

    def publish_query(self, query: str) -> None:
        n, stop = publish_count(query)
        if stop:
            self.publish(STOP)
        else:
            for _ in range(n):
                self.publish(MESSAGE)
