"""An SSE feed fed by a broadcast, in process under both interfaces, memory and Redis."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack

import pytest

from orionis.testing import TestClient
from tests.http.test_sse import frames, parse
from tests.realtime.feed_app import make_app
from tests.redis_server import RedisServer, free_port

SAFETY = 10.0


def wait_until(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + SAFETY
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_one_publish_reaches_every_open_feed(
    interface: str, backend: str, redis_server: RedisServer
) -> None:
    app = make_app("memory://" if backend == "memory" else redis_server.url)
    broadcast = app.state.broadcast
    with TestClient(app, interface) as client, ExitStack() as streams:
        feeds = []
        for channel in ("feed", "feed", "feed", "other"):
            response = streams.enter_context(client.stream("GET", f"/feed/{channel}"))
            stream = frames(response)
            assert parse(next(stream))["event"] == "ready"  # type: ignore[index]
            feeds.append(stream)
        assert client.post("/publish", json={"text": "hello\nworld"}).status_code == 204
        assert client.post("/publish", json={"channel": "other", "text": "x"}).status_code == 204
        for stream in feeds[:3]:
            assert json.loads(parse(next(stream))["data"])["text"] == "hello\nworld"  # type: ignore[index]
        assert json.loads(parse(next(feeds[3]))["data"])["text"] == "x"  # type: ignore[index]
        streams.close()  # every client leaves: their subscriptions end
        wait_until(lambda: broadcast._subscribers == {}, "the subscriptions to be released")
        assert client.post("/publish", json={"text": 5}).status_code == 422


def test_publish_answers_503_while_redis_is_down(interface: str) -> None:
    server = RedisServer().start()
    try:
        app = make_app(server.url)
        with TestClient(app, interface) as client:
            server.stop()
            response = client.post("/publish", json={"text": "lost"})
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            server.start()
            # the publisher's pool reconnects by itself once Redis is back
            assert client.post("/publish", json={"text": "back"}).status_code == 204
    finally:
        server.stop()


def test_startup_fails_when_redis_is_unreachable(interface: str) -> None:
    app = make_app(f"redis://127.0.0.1:{free_port()}")
    with pytest.raises(Exception, match="cannot reach Redis"), TestClient(app, interface):
        pass
