"""Live: TrustedHost refusals for raw Host lines, proxy headers from a trusted peer, and
GZip streaming through real ``granian --interface rsgi|asgi`` and ``uvicorn``.

Hostile inputs: ``Host: x/public?``, userinfo, a bad port, no Host, two Host lines, a host
not allowed, ``evilexample.com`` against ``*.example.com``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx
import pytest

from tests.live.hosts_app import FIRST, SECOND
from tests.live.servers import Server, raw_request, start

pytestmark = pytest.mark.live

SAFETY = 20.0


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(f"{server}-hosts") / "events.log"
    # uvicorn applies X-Forwarded-For/-Proto itself by default (from 127.0.0.1), so the app
    # would see the forwarded client as its peer: turn that off, as docs/security.md says.
    running = start(server, "tests.live.hosts_app:app", log, env={"UVICORN_PROXY_HEADERS": "false"})
    yield running
    running.terminate()


def status_of(live: Server, host_lines: bytes, version: bytes = b"HTTP/1.1") -> tuple[int, bytes]:
    request = b"GET /health " + version + b"\r\n" + host_lines + b"Connection: close\r\n\r\n"
    answer = raw_request(live.port, request, half_close=False, timeout=10.0)
    status = int(answer.split(b" ", 2)[1])
    return status, answer


@pytest.mark.parametrize(
    "lines",
    [
        b"Host: x/public?\r\n",
        b"Host: user@127.0.0.1\r\n",
        b"Host: 127.0.0.1:99999\r\n",
        b"Host: 127.0.0.1:8o\r\n",
        b"Host: evil.com\r\n",
        b"Host: evilexample.com\r\n",
        b"Host: a b\r\n",
    ],
)
def test_bad_host_lines_are_400_problems(live: Server, lines: bytes) -> None:
    status, answer = status_of(live, lines)
    assert status == 400, answer
    assert b"application/problem+json" in answer, answer


@pytest.mark.parametrize(
    ("lines", "version"),
    [
        (b"", b"HTTP/1.0"),
        (b"", b"HTTP/1.1"),
        (b"Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n", b"HTTP/1.1"),
    ],
)
def test_missing_or_duplicate_host_is_400(live: Server, lines: bytes, version: bytes) -> None:
    status, answer = status_of(live, lines, version)
    assert status == 400, answer
    # uvicorn (h11) refuses these itself on HTTP/1.1, before the app sees them
    if not (live.kind == "uvicorn" and version == b"HTTP/1.1"):
        assert b"application/problem+json" in answer, answer


def test_allowed_hosts_pass(live: Server) -> None:
    assert status_of(live, b"Host: 127.0.0.1\r\n")[0] == 200
    assert status_of(live, b"Host: api.example.com:8080\r\n")[0] == 200


def test_forwarded_headers_from_the_trusted_peer(live: Server) -> None:
    headers = {
        "x-forwarded-for": "6.6.6.6, 198.51.100.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "shop.example.com",
    }
    seen = httpx.get(live.url + "/peer", headers=headers, timeout=SAFETY).json()
    assert seen == {"client": "198.51.100.7", "url": "shop.example.com", "scheme": "https"}


def test_gzip_stream_arrives_chunk_by_chunk(live: Server) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=SAFETY) as client,
        client.stream("GET", "/stream", headers={"accept-encoding": "gzip"}) as response,
    ):
        assert response.headers["content-encoding"] == "gzip"
        assert "content-length" not in response.headers
        assert "accept-encoding" in response.headers["vary"].lower()
        decoder = zlib.decompressobj(31)
        raw = response.iter_raw()
        seen = b""
        while len(seen) < len(FIRST):  # the generator now waits for /release
            seen += decoder.decompress(next(raw))
        assert seen == FIRST
        assert client.post("/release").status_code == 204
        rest = b"".join(decoder.decompress(chunk) for chunk in raw) + decoder.flush()
        assert rest == SECOND
        assert decoder.eof
