"""Two Granian workers share one Redis session store (real ``redis-server``).

Log in once, then read the session on new connections (each kept open, so the kernel spreads
the next ones over the workers) until both worker pids have answered with the same user.
Then Redis is killed: every worker answers 503 problem+json, never a 500.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.live.servers import ROOT, free_port
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
def workers(server: str, store: RedisServer) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "granian",
            "--interface", server.split("-", 1)[1],
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "2",
            "--runtime-threads", "1",
            "tests.live.session_app:app",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "ORIONIS_SESSION_REDIS_URL": store.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SAFETY
        while True:
            assert process.poll() is None, process.stdout.read()  # type: ignore[union-attr]
            try:
                httpx.get(url + "/health", timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "granian --workers 2 did not start"
                time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


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
