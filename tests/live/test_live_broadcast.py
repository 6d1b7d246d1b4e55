"""Two Granian worker processes share one Redis broadcast (real ``redis-server``).

The feed app (tests/realtime/feed_app.py) streams ``GET /feed/{channel}`` over SSE from a
broadcast subscription and publishes on ``POST /publish``. Connections are opened until both
workers serve at least one (each event names its worker's pid); one publish must then reach
every connection, whichever worker received the POST.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.http.test_sse import frames, parse
from tests.live.servers import granian_workers
from tests.redis_server import RedisServer

pytestmark = pytest.mark.live

SAFETY = 30.0
MAX_CONNECTIONS = 64  # bound on the search for a connection on the second worker


@pytest.fixture(scope="module", params=["granian-rsgi", "granian-asgi"])
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def workers(
    server: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with granian_workers(
        server,
        "tests.realtime.feed_app:app",
        tmp_path_factory.mktemp("workers") / "events.log",
        {"ORIONIS_BROADCAST_URL": redis_server.url},
    ) as url:
        yield url


def test_one_publish_reaches_feeds_on_both_workers(workers: str) -> None:
    with ExitStack() as stack:
        feeds: list[tuple[int, Iterator[str]]] = []
        pids: set[int] = set()
        # Each connection is its own client (its own TCP connection), kept open so that the
        # kernel spreads the next ones over the workers.
        while len(pids) < 2 or len(feeds) < 4:
            assert len(feeds) < MAX_CONNECTIONS, f"all {len(feeds)} connections hit pids {pids}"
            client = stack.enter_context(httpx.Client(base_url=workers, timeout=SAFETY))
            response = stack.enter_context(client.stream("GET", "/feed/news"))
            assert response.status_code == 200
            stream = frames(response)
            ready = parse(next(stream))
            assert ready is not None and ready["event"] == "ready"
            pid = json.loads(ready["data"])["pid"]
            pids.add(pid)
            feeds.append((pid, stream))

        with httpx.Client(base_url=workers, timeout=SAFETY) as publisher:
            reply = publisher.post("/publish", json={"channel": "news", "text": "extra!"})
            assert reply.status_code == 204
        for pid, stream in feeds:
            event = parse(next(stream))
            assert event is not None
            assert json.loads(event["data"]) == {"pid": pid, "text": "extra!"}
    assert len(pids) == 2
