"""Live tier for ``app.mount_static``: real ``granian --interface rsgi|asgi`` and ``uvicorn``
processes, raw request targets (no client normalises ``..`` or decodes escapes), so what
each server does to the path before the application sees it is part of the test.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

from tests.live.servers import Server, raw_request, start

pytestmark = pytest.mark.live

SECRET = b"the secret next to public/"
CONTENT = b"0123456789abcdef" * 64  # 1 KiB
CSS = b"body { color: red }\n" * 50
GZ = gzip.compress(CSS, mtime=0)


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"{server}-static")
    (folder / "secret.txt").write_bytes(SECRET)
    public = folder / "public"
    (public / "sub").mkdir(parents=True)
    (public / "data.bin").write_bytes(CONTENT)
    (public / "sub" / "index.html").write_bytes(b"<p>sub</p>")
    (public / "style.css").write_bytes(CSS)
    (public / "style.css.gz").write_bytes(GZ)
    (public / ".env").write_bytes(SECRET)
    (public / "out").symlink_to(folder / "secret.txt")
    (public / "outdir").symlink_to("..")
    running = start(server, "tests.live.static_app:app", folder / "events.log")
    yield running
    running.terminate()


def _request(server: Server, target: str, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    reply = raw_request(server.port, ("\r\n".join(lines) + "\r\n\r\n").encode(), False, 10.0)
    assert reply.startswith(b"HTTP/1.1 "), reply[:200]
    return reply


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _headers(reply: bytes) -> dict[str, str]:
    head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head)}


@pytest.mark.parametrize(
    "target",
    [
        "/static/../secret.txt",
        "/static/sub/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/..%2fsecret.txt",
        "/static/sub%2f..%2f..%2fsecret.txt",
        "/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/data.bin%00.png",
        "/static/out",
        "/static/outdir/secret.txt",
        "/static/.env",
        "/static/%2eenv",
        "/static/%252e%252e/secret.txt",
        "/static/%c0%ae%c0%ae/secret.txt",
        "/static/./data.bin",
    ],
)
def test_traversal_is_refused_on_every_server(live: Server, target: str) -> None:
    reply = _request(live, target)
    assert _status(reply) == 404, reply[:300]  # the application's, on all three servers
    assert SECRET not in reply
    assert b"root:" not in reply


def test_a_file_a_range_and_a_304(live: Server) -> None:
    reply = _request(live, "/static/data.bin")
    assert _status(reply) == 200
    assert reply.endswith(b"\r\n\r\n" + CONTENT)
    headers = _headers(reply)
    assert headers["content-length"] == str(len(CONTENT))
    assert headers["cache-control"] == "max-age=60"
    part = _request(live, "/static/data.bin", "Range: bytes=16-47")
    assert _status(part) == 206
    assert part.endswith(b"\r\n\r\n" + CONTENT[16:48])
    assert _headers(part)["content-range"] == f"bytes 16-47/{len(CONTENT)}"
    assert _status(_request(live, "/static/data.bin", "Range: bytes=5000-")) == 416
    cached = _request(live, "/static/data.bin", f"If-None-Match: {headers['etag']}")
    assert _status(cached) == 304
    head = _request(live, "/static/data.bin", method="HEAD")
    assert _status(head) == 200 and head.endswith(b"\r\n\r\n")
    assert _headers(head)["content-length"] == str(len(CONTENT))


def test_precompressed_and_html(live: Server) -> None:
    reply = _request(live, "/static/style.css", "Accept-Encoding: gzip")
    headers = _headers(reply)
    assert (headers["content-encoding"], headers["vary"]) == ("gzip", "Accept-Encoding")
    assert headers["content-type"] == "text/css; charset=utf-8"
    assert reply.endswith(b"\r\n\r\n" + GZ)
    plain = _request(live, "/static/style.css")
    assert plain.endswith(b"\r\n\r\n" + CSS)
    redirect = _request(live, "/static/sub?x=1")
    assert (_status(redirect), _headers(redirect)["location"]) == (307, "./sub/?x=1")
    index = _request(live, "/static/sub/")
    assert _status(index) == 200 and index.endswith(b"<p>sub</p>")
    assert _status(_request(live, "/static/data.bin", method="POST")) == 405
