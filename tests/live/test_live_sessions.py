"""Two Granian workers share one Redis session store (real ``redis-server``).

Log in once, then read the session on new connections (each kept open, so the kernel spreads
the next ones over the workers) until both worker pids have answered with the same user.
Then Redis is killed: every worker answers 503 problem+json, never a 500.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.live.servers import granian_workers
from tests.redis_server import RedisServer

pytestmark = pytest.mark.live

SAFETY = 30.0
MAX_CONNECTIONS = 64  # bound on the search for a connection on the second worker


@pytest.fixture(params=["granian-rsgi", "granian-asgi"])
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store() -> Iterator[RedisServer]:
    running = RedisServer().start()  # our own: this test kills it
    yield running
    running.stop()


@pytest.fixture
def workers(server: str, store: RedisServer, tmp_path: pathlib.Path) -> Iterator[str]:
    with granian_workers(
        server,
        "tests.live.session_app:app",
        tmp_path / "events.log",
        {"ORIONIS_SESSION_REDIS_URL": store.url},
    ) as url:
        yield url


def test_both_workers_read_one_session_store(workers: str, store: RedisServer) -> None:
    with httpx.Client(base_url=workers, timeout=SAFETY) as first:
        login = first.post("/login/ada")
        assert login.status_code == 200
        cookie = f"session={first.cookies['session']}"
    by_pid: dict[int, httpx.Client] = {}  # one open connection per worker
    with ExitStack() as stack:
        clients: list[httpx.Client] = []
        while len(by_pid) < 2:
            assert len(clients) < MAX_CONNECTIONS, f"all {len(clients)} hit {set(by_pid)}"
            client = stack.enter_context(
                httpx.Client(base_url=workers, timeout=SAFETY, headers={"cookie": cookie})
            )
            clients.append(client)
            r = client.get("/me")
            assert r.status_code == 200
            assert r.json()["user"] == "ada"
            assert "set-cookie" not in r.headers  # read only: nothing rewritten
            by_pid.setdefault(r.json()["pid"], client)
        store.stop()  # Redis killed mid-test: each worker answers 503, never a 500
        for client in by_pid.values():  # kept-alive connections: the same workers answer
            r = client.get("/me")
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["detail"] == "The session store is unavailable; try again shortly."
