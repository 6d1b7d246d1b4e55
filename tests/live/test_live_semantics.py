"""Live tier for issue 8 items 3, 6, 17 and 21: what real granian (rsgi, asgi) and uvicorn
processes put on the wire for HEAD, 415, 501, ``OPTIONS *``, an unhandled 500 behind
CORS/security middleware, and a handler raising a ``BaseException``.

Hostile inputs: ``OPTIONS *`` and ``GET *`` in asterisk form, an unknown method, a lower-case
``get``, HEAD pipelined with a GET on one connection (a wrong length would desynchronise it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.live.semantics_app import ORIGIN
from tests.live.servers import Server, raw_request, start

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(f"{server}-semantics") / "events.log"
    running = start(server, "tests.live.semantics_app:app", log)
    yield running
    running.terminate()


def raw(live: Server, request: bytes) -> list[tuple[str, dict[str, str], bytes]]:
    """Send ``request`` (several may be pipelined) and split the answers, framed the way a
    client must read them: none after HEAD or a 204, else by length or chunks."""
    methods = [line.split(b" ", 1)[0] for line in request.split(b"\r\n") if b" HTTP/1.1" in line]
    data = raw_request(live.port, request, half_close=False, timeout=10.0)
    answers = []
    for method in methods:
        head, _, data = data.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == b"HEAD" or status.startswith("HTTP/1.1 204"):
            body = b""
        elif headers.get("transfer-encoding") == "chunked":
            body, _, data = data.partition(b"0\r\n\r\n")
        else:
            length = int(headers.get("content-length", "0"))
            body, data = data[:length], data[length:]
        answers.append((status, headers, body))
    assert data == b"", data  # nothing left over: every answer was framed right
    return answers


def test_head_answers_carry_what_get_would(live: Server) -> None:
    pipelined = (
        b"HEAD /doc HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /bare HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    (doc, bare, get) = raw(live, pipelined)
    assert doc[0].startswith("HTTP/1.1 200") and doc[1]["x-head"] == "explicit"
    assert doc[1]["content-length"] == "11"
    assert bare[0].startswith("HTTP/1.1 200") and bare[1]["x-head"] == "explicit"
    assert bare[1].get("content-length") != "0"  # none, or uvicorn's own chunked framing
    # the GET that followed on the same connection was read as a request, framed right
    assert (get[1]["content-length"], get[2]) == ("11", b"hello world")


def test_head_with_httpx(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        doc = client.head("/doc")
        assert (doc.status_code, doc.content, doc.headers["content-length"]) == (200, b"", "11")
        auto = client.head("/health")  # the automatic HEAD of a GET route
        assert (auto.content, auto.headers["content-length"]) == (b"", "2")
        assert client.head("/bare").headers.get("content-length") != "0"
        assert client.get("/doc").text == "hello world"  # the connection is still in step


def test_json_body_as_text_is_415(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        r = client.post(
            "/items", content=b'{"name": "pen"}', headers={"content-type": "text/plain"}
        )
        ok = client.post("/items", json={"name": "pen"})
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["accept-post"] == "application/json"
    assert "application/json" in r.json()["detail"]
    assert ok.json() == {"name": "pen"}


@pytest.mark.parametrize("method", [b"FOO", b"get", b"PROPFIND"])
def test_unknown_method_is_501(live: Server, method: str) -> None:
    ((status, headers, body),) = raw(
        live, method + b" /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status.startswith("HTTP/1.1 501")
    assert headers["content-type"] == "application/problem+json"
    assert "allow" not in headers
    assert b"GET, HEAD, OPTIONS, POST" in body


def test_options_asterisk(live: Server) -> None:
    ((status, headers, body),) = raw(
        live, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status.startswith("HTTP/1.1 204")
    assert headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert headers["x-content-type-options"] == "nosniff"  # global middleware ran
    ((status, _, body),) = raw(live, b"GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status.startswith("HTTP/1.1 400")
    assert b"only valid with OPTIONS" in body


def test_unhandled_500_carries_cors_and_security_headers(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        r = client.get("/fail", headers={"origin": ORIGIN})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "secret" not in r.text and "traceback" not in r.json()


def test_base_exception_reaches_cleanup_and_the_server(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        r = client.get("/abort")
        assert r.status_code == 500  # the server's own answer: the app crashed
        assert client.get("/health").text == "ok"  # the worker survived
    deadline = time.monotonic() + 10
    while "dependency: Abort" not in live.events() and time.monotonic() < deadline:
        time.sleep(0.05)
    events = live.events()
    assert "dependency: Abort" in events
    assert "background ran" not in events and "dependency: success" not in events
