"""Live tier: hostile request bodies, framing and hosts against real granian (RSGI and ASGI)
and uvicorn processes on 127.0.0.1, over raw sockets.

Hostile inputs tried against every server: headers then silence, 10 of 1000 declared bytes
then silence (also chunked), 20 and 1,050 such connections at once (Granian has 1,024
slots per worker), SIGTERM while a body is stalled,
``Expect: 100-continue`` over the limit followed by the body and a second request on the
same connection, a 20-digit and a 13-digit Content-Length, 5,000 leading zeros; on HTTP/2
(Granian), ``:authority`` and ``host`` that disagree.

The stalls never end (the client sends nothing more), so the outcome does not depend on
speed; the timeouts below are only safety nets.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import signal
import socket
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.events
import httpx
import pytest

from tests.live.servers import Server, start
from tests.live.test_live import wait_for

pytestmark = pytest.mark.live

APP = "tests.live.hostile_apps:app"
SAFETY = 15.0  # seconds: only reached when something hangs


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(f"{server}-hostile") / "events.log"
    running = start(server, APP, log)
    yield running
    running.terminate()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=SAFETY)


def read_head(sock: socket.socket) -> bytes:
    """Everything up to and including the first blank line (one response head)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_to_eof(sock: socket.socket) -> tuple[bytes, bool]:
    """What the server sends until it closes; ``closed`` is False if it never did."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        return data, False
    return data, True


def responses(data: bytes) -> int:
    return data.count(b"HTTP/1.1 ")


def head_has_close(data: bytes) -> bool:
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    return b"\r\nconnection: close" in head


def counted(live: Server) -> list[str]:
    return [e for e in live.events() if e.startswith(("count:", "small:"))]


STALLS = {
    "declared": b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10,
    "headers-only": b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
    "chunked": b"POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"a\r\n0123456789\r\n",
}


@pytest.mark.parametrize("kind", list(STALLS))
def test_stalled_body_gets_408_and_the_connection_closes(live: Server, kind: str) -> None:
    before = counted(live)
    with connect(live.port) as sock:
        sock.sendall(STALLS[kind])
        first = read_head(sock)
        assert first.startswith(b"HTTP/1.1 408"), first[:200]
        assert head_has_close(first), first
        # A second request on the same connection is never answered: the server closes.
        with contextlib.suppress(OSError):  # already closed: also fine
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        rest, closed = read_to_eof(sock)
    assert closed
    everything = first + rest
    assert responses(everything) == 1, everything
    assert b"application/problem+json" in everything.lower()
    assert counted(live) == before  # the handler never ran
    assert httpx.get(live.url + "/health", timeout=SAFETY).text == "ok"


def test_many_stalled_connections_are_all_freed(live: Server) -> None:
    socks = [connect(live.port) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(STALLS["declared"])
        heads = [read_head(sock) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert all(h.startswith(b"HTTP/1.1 408") for h in heads), [h[:40] for h in heads]
    assert httpx.get(live.url + "/health", timeout=SAFETY).text == "ok"


def test_more_stalled_bodies_than_granian_has_slots(live: Server) -> None:
    """1,050 stalled uploads (Granian holds 1,024 requests per worker): without a body
    timeout they would hold every slot and nobody else would be served, ever."""
    socks: list[socket.socket] = []
    try:
        for _ in range(1050):
            sock = connect(live.port)
            socks.append(sock)
            sock.sendall(STALLS["declared"])
        assert httpx.get(live.url + "/health", timeout=SAFETY).text == "ok"
        heads = [read_head(sock)[:12] for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert set(heads) == {b"HTTP/1.1 408"}


def test_sigterm_during_a_stalled_body_finishes(server: str, tmp_path: pathlib.Path) -> None:
    """A handler reading ``request.stream()`` from a client gone quiet: the server's
    graceful shutdown (which waits for requests in flight) still ends."""
    running = start(server, APP, tmp_path / "events.log")
    try:
        with connect(running.port) as sock:
            sock.sendall(
                b"POST /consume HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10
            )
            assert wait_for(lambda: "consume" in running.events(), SAFETY)
            running.process.send_signal(signal.SIGTERM)
            code = running.process.wait(SAFETY)  # raises if the stall holds the shutdown
            reply, _ = read_to_eof(sock)
    finally:
        running.terminate()
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert code == (-signal.SIGTERM if server == "uvicorn" else 0), running.output()
    assert running.events() == ["startup", "consume", "shutdown"]


def test_expect_continue_over_the_limit_is_answered_before_the_upload(live: Server) -> None:
    before = counted(live)
    with connect(live.port) as sock:
        sock.sendall(
            b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        first = read_head(sock)
        # No "100 Continue": the 413 comes at once, and the connection closes.
        assert first.startswith(b"HTTP/1.1 413"), first[:200]
        assert head_has_close(first), first
        # A client that uploads anyway, then sends a second request: never answered.
        with contextlib.suppress(OSError):
            sock.sendall(b"x" * 1000 + b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        rest, closed = read_to_eof(sock)
    assert closed
    assert responses(first + rest) == 1
    assert counted(live) == before


def test_expect_continue_within_the_limit_is_read(live: Server) -> None:
    with connect(live.port) as sock:
        sock.sendall(
            b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert read_head(sock).startswith(b"HTTP/1.1 100")  # sent when the app reads
        sock.sendall(b"hello")
        head = read_head(sock)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]


@pytest.mark.parametrize("length", [b"9" * 20, b"1" + b"0" * 12])
def test_huge_content_length_is_refused_and_closes(live: Server, length: bytes) -> None:
    before = counted(live)
    with connect(live.port) as sock:
        sock.sendall(
            b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: " + length + b"\r\n\r\nxx"
        )
        data, closed = read_to_eof(sock)
    status = int(data.split(b" ", 2)[1])
    # Granian refuses a length beyond 64 bits itself (400); Orionis answers the rest (413).
    assert status in (400, 413), data[:200]
    assert head_has_close(data), data[:300]
    assert closed and responses(data) == 1
    assert counted(live) == before


def test_thousands_of_leading_zeros_are_never_a_500(live: Server) -> None:
    with connect(live.port) as sock:
        sock.sendall(
            b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: "
            + b"0" * 5000
            + b"5\r\nConnection: close\r\n\r\nhello"
        )
        data, _ = read_to_eof(sock)
    if live.kind == "uvicorn" and data.startswith(b"HTTP/1.1 400"):
        return  # uvicorn's h11 parser refuses the header itself (httptools frames 5 bytes)
    # Granian (and uvicorn with httptools) pass it up, framed as 5 bytes
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert data.endswith(b'{"received":5}')


def h2_get(
    port: int, headers: list[tuple[str, str]], data: bytes | None = b"", end: bool = True
) -> tuple[int, dict]:
    """One prior-knowledge HTTP/2 request with exactly these header fields, then ``data``
    (none: the HEADERS frame ends the stream) and, unless ``end`` is false, the stream's end
    (false: the request stays open, its body never arriving)."""
    config = h2.config.H2Configuration(
        client_side=True,
        header_encoding="utf-8",
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
    )
    conn = h2.connection.H2Connection(config)
    status, body, done = 0, b"", False
    with connect(port) as sock:
        conn.initiate_connection()
        conn.send_headers(1, headers, end_stream=end and not data)
        if data:
            conn.send_data(1, data, end_stream=end)
        sock.sendall(conn.data_to_send())
        while not done:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = int(dict(event.headers)[":status"])
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    done = True
            sock.sendall(conn.data_to_send())
    return status, json.loads(body) if body else {}


def test_http2_authority_and_host(live: Server) -> None:
    if live.kind == "uvicorn":
        return  # HTTP/1.1 only (tests/live/test_live.py checks it refuses HTTP/2 cleanly)
    base = [(":method", "GET"), (":scheme", "http"), (":path", "/host")]
    status, body = h2_get(live.port, [*base, (":authority", "good.example")])
    assert status == 200
    assert body == {
        "param": "good.example",
        "host": "good.example",
        "url": "http://good.example/host",
    }
    status, body = h2_get(
        live.port, [*base, (":authority", "good.example"), ("host", "good.example")]
    )
    assert (status, body["host"]) == (200, "good.example")
    status, body = h2_get(
        live.port, [*base, (":authority", "good.example"), ("host", "evil.example")]
    )
    if live.kind == "granian-rsgi":
        assert status == 400  # RFC 9113 8.3.1: two hosts
    else:
        # Granian's ASGI side drops :authority when a Host header is present, so the app
        # is shown one host only, consistently.
        assert status == 200
        assert body["param"] == body["host"] == "evil.example"


def test_http2_get_is_answered_without_waiting_for_a_body(live: Server) -> None:
    """An HTTP/2 GET may leave its stream open without a Content-Length: it is answered at
    once (not a 408 after body_timeout), and a body it does send is read, and capped, only
    by a handler that asks for it."""
    if live.kind == "uvicorn":
        return  # HTTP/1.1 only
    base = [(":method", "GET"), (":scheme", "http"), (":authority", "t")]
    status, body = h2_get(live.port, [*base, (":path", "/host")], data=None, end=False)
    assert status == 200, body  # not 408: nothing waited for a body
    assert body["host"] == "t"
    status, body = h2_get(live.port, [*base, (":path", "/small-get")], data=b"x" * 60)
    assert (status, body) == (200, {"received": 60})
    status, body = h2_get(live.port, [*base, (":path", "/small-get")], data=b"x" * 1000)
    assert status == 413
    assert "small-get:1000" not in live.events()
