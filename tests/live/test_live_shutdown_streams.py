"""Graceful shutdown with an open stream, against real servers: on SIGTERM the SSE stream
ends cleanly (its generator's ``finally`` runs, the body gets its final chunk) and the
server exits, while the client is still connected and reading. Before, all three servers
waited for the stream forever (orionis/draining.py has why and how)."""

from __future__ import annotations

import signal
import socket
import subprocess

import pytest

from tests.live.servers import KINDS, start

pytestmark = pytest.mark.live

SAFETY = 20.0  # a safety net only: the servers exit about 0.1 s after the signal


@pytest.mark.parametrize("server", KINDS)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_open_sse_stream_ends_when_shutdown_begins(
    server: str, signum: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp(f"{server}-drain") / "events.log"
    live = start(server, "tests.live.sse_app:app", log)
    try:
        with socket.create_connection(("127.0.0.1", live.port), timeout=SAFETY) as sock:
            sock.sendall(b"GET /forever/drain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            while b"data: hello" not in received:
                received += sock.recv(65536)
            live.process.send_signal(signum)
            # The client keeps reading: the server ends the stream, then the connection.
            while chunk := sock.recv(65536):
                received += chunk
            try:
                live.process.wait(SAFETY)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{server} still running {SAFETY}s after the signal")
        assert received.endswith(b"0\r\n\r\n"), received[-200:]  # a complete chunked body
        assert "finally:drain" in live.events()
    finally:
        live.terminate()
