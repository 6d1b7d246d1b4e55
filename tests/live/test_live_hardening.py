"""Live tier for issue 8 items 11, 15 and 18, against real ``granian --interface rsgi``,
``granian --interface asgi`` and ``uvicorn`` processes on 127.0.0.1.

Hostile inputs: streams whose iterator raises before and after the first chunk (async and
sync), a response header with a trailing space, hop-by-hop headers from user code (over
HTTP/1.1 and HTTP/2), and a Cookie header holding one non-ASCII pair (Latin-1 and UTF-8).
"""

from __future__ import annotations

import json
import pathlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.live.servers import Server, start

pytestmark = pytest.mark.live

APP = "tests.live.hardening_apps:app"
SAFETY = 60.0  # seconds: only a safety net; a passing read ends as soon as the server ends it


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(server, APP, tmp_path_factory.mktemp(f"{server}-hardening") / "events.log")
    yield running
    running.terminate()


def read_to_end(port: int, request: bytes) -> tuple[bytes, bool]:
    """Send one request and read until the server closes: (reply, whether it closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as sock:
        sock.sendall(request)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except TimeoutError:
            return reply, False
        except ConnectionResetError:
            pass
        return reply, True


def get(path: str, extra: bytes = b"") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode()
        + extra
        + b"\r\n"
    )


# -- item 11: a failing stream ends at once ----------------------------------------------------


def test_failing_stream_ends_and_the_server_goes_on(server: str, tmp_path: pathlib.Path) -> None:
    running = start(server, APP, tmp_path / "events.log")
    try:
        for when in ("after", "before", "sync"):
            reply, closed = read_to_end(running.port, get(f"/stream-fails/{when}"))
            # Before the fix Granian RSGI kept this connection open until a cyclic GC.
            assert closed, (when, reply)
            if when != "before":
                assert b"first\n" in reply, (when, reply)
            if server == "granian-rsgi":  # RSGI cannot abort: the body ends early, cleanly
                # (with no chunk at all Granian may send ``content-length: 0`` instead)
                assert reply.endswith(b"\r\n0\r\n\r\n") or (
                    when == "before" and b"content-length: 0\r\n" in reply
                ), (when, reply)
            # The next request, on a new connection, is served.
            assert httpx.get(running.url + "/health", timeout=SAFETY).text == "ok"
    finally:
        running.terminate()
    output = running.output()
    for message in ("after the first chunk", "before the first chunk", "in a sync iterator"):
        assert f"live-boom {message}" in output, output[-3000:]


# -- item 15: response header checks ----------------------------------------------------------


def test_trailing_space_in_a_header_value_is_a_500_not_a_dropped_connection(live: Server) -> None:
    # uvicorn (h11) used to drop the connection with an empty reply here.
    r = httpx.get(live.url + "/padded-header", timeout=SAFETY)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "x-pad" not in r.headers
    assert httpx.get(live.url + "/health", timeout=SAFETY).text == "ok"


def test_hop_by_hop_headers_from_user_code_are_dropped(live: Server) -> None:
    r = httpx.get(live.url + "/hop-by-hop", timeout=SAFETY)
    assert (r.status_code, r.text, r.headers["x-kept"]) == (200, "hop", "1")
    assert "upgrade" not in r.headers
    assert r.headers.get("keep-alive") != "timeout=1"
    if live.kind.startswith("granian"):  # under HTTP/2 these headers reset the stream
        with httpx.Client(http1=False, http2=True, timeout=SAFETY) as client:
            r = client.get(live.url + "/hop-by-hop")
        assert (r.http_version, r.status_code, r.text) == ("HTTP/2", 200, "hop")
        assert "upgrade" not in r.headers


# -- item 18: one non-ASCII cookie pair ----------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [b"tracker=caf\xe9", "tracker=caf\u00e9".encode()], ids=["latin-1", "utf-8"]
)
def test_one_non_ascii_cookie_pair(live: Server, bad: bytes) -> None:
    reply, closed = read_to_end(
        live.port, get("/cookies", b"Cookie: sid=abc; " + bad + b"; t=d\r\n")
    )
    assert closed and reply.startswith(b"HTTP/1.1 200"), reply
    seen = json.loads(reply.partition(b"\r\n\r\n")[2])
    if live.kind == "granian-rsgi":
        # Granian's RSGI headers drop a value that is not visible ASCII: get()/get_all()/
        # items() skip it (``"cookie" in headers`` is still true). Nothing can be recovered.
        assert seen == {"cookies": {}, "headers": []}
    else:
        assert seen["cookies"] == {"sid": "abc", "t": "d"}
    split = b"Cookie: sid=abc\r\nCookie: " + bad + b"\r\nCookie: t=d\r\n"
    reply, _ = read_to_end(live.port, get("/cookies", split))
    assert json.loads(reply.partition(b"\r\n\r\n")[2])["cookies"] == {"sid": "abc", "t": "d"}
