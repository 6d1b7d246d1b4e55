"""Two Granian workers share one Redis rate limit; Redis killed mid-test fails open.

The app (tests/live/ratelimit_app.py) allows 5 requests an hour per ``X-Run`` value. Each
request goes on its own connection so the kernel spreads them over both workers; requests
continue (bounded) until both worker pids have refused one: a worker that served none of
the first five still knows the limit is spent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.live.servers import granian_workers
from tests.redis_server import RedisServer

pytestmark = pytest.mark.live

SAFETY = 30.0
MAX_REQUESTS = 64  # bound on the search for a 429 from the second worker


@pytest.fixture(scope="module", params=["granian-rsgi", "granian-asgi"])
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def workers(
    server: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with granian_workers(
        server,
        "tests.live.ratelimit_app:app",
        tmp_path_factory.mktemp("workers") / "events.log",
        {"ORIONIS_RATELIMIT_URL": redis_server.url},
    ) as url:
        yield url


def fresh(url: str, run: str) -> httpx.Response:
    """One request on its own connection."""
    with httpx.Client(base_url=url, timeout=SAFETY) as client:
        return client.get("/limited", headers={"x-run": run})


def test_two_workers_share_one_limit(workers: str) -> None:
    run = uuid.uuid4().hex
    answers = [fresh(workers, run) for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["4", "3", "2", "1", "0"]
    refusing: set[str] = set()
    while len(refusing) < 2:
        assert len(answers) < MAX_REQUESTS, f"only pid(s) {refusing} answered"
        answer = fresh(workers, run)
        answers.append(answer)
        assert answer.status_code == 429, answer.text
        assert int(answer.headers["retry-after"]) > 0
        refusing.add(answer.headers["x-pid"])
    assert len({r.headers["x-pid"] for r in answers}) == 2


def test_redis_killed_fails_open(workers: str, redis_server: RedisServer) -> None:
    run = uuid.uuid4().hex
    assert fresh(workers, run).status_code == 200
    redis_server.stop()
    for _ in range(12):  # more than the limit: nothing is counted while Redis is away
        answer = fresh(workers, run)
        assert answer.status_code == 200, answer.text
        assert "ratelimit-limit" not in answer.headers
    redis_server.start()  # same port: the next module-scoped test sees Redis again
