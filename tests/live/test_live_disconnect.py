"""A client that hangs up mid-handler, against real servers: the handler is cancelled and its
generator dependency sees ``CancelledError`` (issue 11.5); a route with
``cancel_on_disconnect=False`` runs to completion. A raw socket sends the request, waits
until the handler has logged that it started, and closes; the test then waits (bounded) for
the handler's own log lines."""

from __future__ import annotations

import pathlib
import socket
import time
from collections.abc import Iterator

import pytest

from tests.live.servers import KINDS, Server, start

pytestmark = pytest.mark.live

SAFETY = 20.0


@pytest.fixture(scope="module", params=KINDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(f"{request.param}-disconnect") / "events.log"
    running = start(request.param, "tests.live.disconnect_app:app", log)
    yield running
    running.terminate()


def wait_for(server: Server, line: str) -> list[str]:
    deadline = time.monotonic() + SAFETY
    while time.monotonic() < deadline:
        events = server.events()
        if line in events:
            return events
        time.sleep(0.02)
    raise AssertionError(f"{line!r} never logged; log: {server.events()}")


def hang_up_after_start(server: Server, path: str, name: str) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY) as sock:
        sock.sendall(f"GET {path}?name={name} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        wait_for(server, f"{name} started")
    # closed: the client is gone while the handler waits


def test_a_handler_whose_client_hung_up_is_cancelled(live: Server) -> None:
    hang_up_after_start(live, "/wait", "w1")
    events = wait_for(live, "w1 dependency closed")
    mine = [e for e in events if e.startswith("w1 ")]
    assert mine == [
        "w1 started",
        "w1 cancelled",
        "w1 dependency saw CancelledError",
        "w1 dependency closed",
    ]


def test_a_route_with_cancellation_off_runs_to_completion(live: Server) -> None:
    hang_up_after_start(live, "/wait", "k0")  # the same hang-up is noticed on this server:
    wait_for(live, "k0 cancelled")
    hang_up_after_start(live, "/keep", "k1")
    pathlib.Path(str(live.log_path) + ".k1").touch()
    events = wait_for(live, "k1 dependency closed")
    mine = [e for e in events if e.startswith("k1 ")]
    assert mine == ["k1 started", "k1 finished", "k1 dependency closed"]
