"""Server-sent events through real ``granian --interface rsgi|asgi`` and ``uvicorn``.

Each event must reach the client while the generator is still running (no buffering by the
framework or the server), keep-alive pings must flow while it is blocked, and a client leaving
must run the generator's ``finally`` inside the server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.http.test_sse import frames, parse
from tests.live.servers import Server, start

pytestmark = pytest.mark.live

SAFETY = 20.0


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(f"{server}-sse") / "events.log"
    running = start(server, "tests.live.sse_app:app", log)
    yield running
    running.terminate()


def test_first_event_arrives_before_the_stream_ends(live: Server) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=SAFETY) as client,
        client.stream("GET", "/events", headers={"Last-Event-ID": "10"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        stream = frames(response)
        # The generator now waits for /release: this event came out while it runs.
        assert next(stream) == "event: greeting\nid: 11\ndata: first\ndata: of two"
        assert client.post("/release").status_code == 204
        assert parse(next(stream)) == {"event": "message", "id": "12", "data": "second"}
        assert list(stream) == []


def test_pings_flow_while_the_generator_is_blocked(live: Server) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=SAFETY) as client,
        client.stream("GET", "/pings") as response,
    ):
        stream = frames(response)
        assert [next(stream) for _ in range(3)] == [": ping"] * 3


def test_leaving_runs_the_generators_finally(live: Server) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=SAFETY) as client,
        client.stream("GET", "/forever/a") as response,
    ):
        assert parse(next(frames(response))) == {"event": "message", "id": "1", "data": "hello"}
    deadline = time.monotonic() + SAFETY
    while "finally:a" not in live.events():
        assert time.monotonic() < deadline, f"{live.kind}: the generator's finally did not run"
        time.sleep(0.05)
    with httpx.Client(base_url=live.url, timeout=SAFETY) as client:
        assert client.get("/health").text == "ok"
    assert live.process.poll() is None
