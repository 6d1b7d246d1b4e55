"""Live tier: real ``granian --interface rsgi``, ``granian --interface asgi`` and ``uvicorn``
processes on 127.0.0.1, talked to with httpx and raw sockets.

Bad inputs tried against every server: a 2 MiB body (declared and chunked), a handler
returning status 1000, a CR/LF header value, a body shorter than its Content-Length with the
client gone, a malformed chunked body, a chunked body cut off mid-chunk, Content-Length and
Transfer-Encoding together, an absolute-form target with ``%3F`` in its path, a failing
startup callback, SIGTERM with a request in flight.
"""

from __future__ import annotations

import json
import pathlib
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.live.servers import Server, launch, raw_request, start

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(server) / "events.log"
    running = start(server, "tests.live.apps:app", log)
    yield running
    running.terminate()


@pytest.fixture(scope="module")
def notes(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"{server}-notes")
    running = start(
        server, "bootstrap:app", folder / "events.log", {"ORIONIS_NOTES_DB": str(folder / "n.db")}
    )
    yield running
    running.terminate()


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_notes_api_gives_the_same_answers(notes: Server) -> None:
    """The bootstrap demo, driven over the network: identical answers on every server."""
    with httpx.Client(base_url=notes.url, timeout=10) as client:
        interface = "rsgi" if notes.kind == "granian-rsgi" else "asgi"
        assert client.get("/").json() == {
            "app": "Orionis demo",
            "interface": interface,
            "notes": "/api/notes",
        }
        assert client.get("/api/notes").json() == []
        created = client.post("/api/notes", json={"title": "live", "body": "over TCP"})
        assert created.status_code == 201
        note = created.json()
        assert (note["id"], note["title"], note["body"]) == (1, "live", "over TCP")
        assert created.headers["location"] == "/api/notes/1"
        assert created.headers["content-type"] == "application/json"
        assert client.get("/api/notes/1").json() == note
        assert client.get("/api/notes").json() == [note]
        head = client.head("/api/notes/1")
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(client.get("/api/notes/1").content))
        invalid = client.post("/api/notes", json={"title": ""})
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in invalid.json()["errors"]] == [["body", "title"], ["body", "body"]]
        assert client.put("/api/notes/1").headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
        deleted = client.delete("/api/notes/1")
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert "content-length" not in deleted.headers
        missing = client.get("/api/notes/1")
        assert missing.status_code == 404
        assert missing.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "There is no note 1.",
        }


def test_two_mebibyte_body_is_413(notes: Server) -> None:
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"

    def chunked():  # type: ignore[no-untyped-def]
        for i in range(0, len(big), 256 * 1024):
            yield big[i : i + 256 * 1024]

    with httpx.Client(base_url=notes.url, timeout=10) as client:
        assert client.post("/api/notes", content=big).status_code == 413
        assert client.post("/api/notes", content=chunked()).status_code == 413
        assert client.get("/api/notes").json() == []  # nothing stored


def test_invalid_status_is_500_and_the_server_keeps_serving(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        for code in (1000, 0, 100, 600):
            r = client.get(f"/status/{code}")
            assert r.status_code == 500, code
            assert r.headers["content-type"] == "application/problem+json"
        r = client.get("/bad-header")
        assert r.status_code == 500
        assert "x-injected" not in r.headers
        assert client.get("/status/201").status_code == 201
        assert client.get("/health").text == "ok"
    assert live.process.poll() is None


def test_request_details_are_normalised(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        body = client.get("/info?a=1&a=%C3%A9", headers={"cookie": "k=v"}).json()
    assert body["client_port_is_int"] is True
    assert body["host"] == f"127.0.0.1:{live.port}"
    assert body["url"] == f"http://127.0.0.1:{live.port}/info?a=1&a=%C3%A9"
    assert body["query"] == [["a", "1"], ["a", "é"]]
    assert body["cookies"] == {"k": "v"}
    assert body["http_version"] == "1.1"


def test_unsafe_host_header_is_not_trusted(live: Server) -> None:
    reply = raw_request(
        live.port,
        b"GET /info HTTP/1.1\r\nHost: x/public?\r\nConnection: close\r\n\r\n",
        half_close=False,
    )
    if reply.startswith(b"HTTP/1.1 400"):
        return  # the server itself refused the request: also safe
    assert reply.startswith(b"HTTP/1.1 200")
    assert f'"host":"127.0.0.1:{live.port}"'.encode() in reply


def test_streaming_and_early_disconnect(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        r = client.get("/stream/5")
        assert r.text == "".join(f"chunk {i}\n" for i in range(5))
        closed_before = live.events().count("stream:closed")
        with client.stream("GET", "/stream/100000") as streamed:
            lines = streamed.iter_lines()
            assert next(lines) == "chunk 0"
        # Leaving early closes the generator on the server (its finally runs).
        assert wait_for(lambda: live.events().count("stream:closed") > closed_before)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        (
            "short-content-length",
            b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"a" * 50,
        ),
        (
            "malformed-chunk",
            b"POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\nZZ\r\nxx\r\n0\r\n\r\n",
        ),
        (
            "cut-mid-chunk",
            b"POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n10\r\nabc",
        ),
    ],
)
def test_incomplete_bodies_never_reach_the_handler(live: Server, name: str, raw: bytes) -> None:
    before = [e for e in live.events() if e.startswith("count:")]
    reply = raw_request(live.port, raw)
    if reply:  # often nobody is left to answer; if someone does, it is a 4xx, never a 500
        status = int(reply.split(b" ", 2)[1])
        assert 400 <= status < 500, reply[:200]
    # The handler does run for a complete body, so the check below can fail. The complete
    # request goes after the broken one on the same single worker, so once its event is
    # logged the broken one has had its chance to run (no sleep that must be long enough).
    with httpx.Client(base_url=live.url, timeout=10) as client:
        assert client.post("/count", content=b"abc").json() == {"received": 3}
    assert wait_for(lambda: live.events().count("count:3") > before.count("count:3"))
    assert [e for e in live.events() if e.startswith("count:")] == [*before, "count:3"]
    assert live.process.poll() is None


def test_content_length_never_frames_a_chunked_body(live: Server) -> None:
    """Both framings at once (a smuggling pattern): the length must never decide where the
    body ends. Granian drops the Content-Length and reads the chunks (RFC 9112 6.3: chunked
    wins); uvicorn (h11) refuses the request itself. Orionis refuses it too when a server
    passes both headers up (tested in-process, tests/http/test_body_limits.py)."""
    framed_by_length = live.events().count("count:3")
    reply = raw_request(
        live.port,
        b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        half_close=False,
    )
    head, _, body = reply.partition(b"\r\n\r\n")
    if live.kind == "uvicorn":
        assert head.startswith(b"HTTP/1.1 400"), head
    else:
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b'{"received":5}' in body
    # The whole reply was read (Connection: close), so the handler, if it ran, has logged.
    assert live.events().count("count:3") == framed_by_length


def test_http2_host_from_authority(live: Server) -> None:
    if live.kind == "uvicorn":
        # uvicorn speaks only HTTP/1.1: check that a prior-knowledge HTTP/2 client is refused
        # cleanly rather than pretending it worked.
        with (
            httpx.Client(http1=False, http2=True, timeout=5) as client,
            pytest.raises(httpx.HTTPError),
        ):
            client.get(live.url + "/info")
        return
    with httpx.Client(http1=False, http2=True, timeout=10) as client:
        r = client.get(live.url + "/info")
    assert r.http_version == "HTTP/2"
    body = r.json()
    assert body["http_version"] == "2"
    assert body["host"] == f"127.0.0.1:{live.port}"


def test_failing_startup_makes_the_server_exit_nonzero(server: str, tmp_path: pathlib.Path) -> None:
    failing = launch(server, "tests.live.apps:failing_app", tmp_path / "events.log")
    try:
        code = failing.process.wait(30)
    except Exception:
        failing.terminate()
        raise
    output = failing.output()
    assert code != 0, output
    assert "cannot reach the database" in output
    assert "failing:shutdown" not in failing.events()
    # It never served: nothing answers on its port.
    with pytest.raises(httpx.TransportError):
        httpx.get(failing.url + "/health", timeout=1)


def test_sigterm_lets_the_request_in_flight_finish(server: str, tmp_path: pathlib.Path) -> None:
    running = start(server, "tests.live.apps:app", tmp_path / "events.log")
    result: dict[str, object] = {}

    def call_slow() -> None:
        try:
            r = httpx.get(running.url + "/slow", timeout=20)
            result["status"], result["text"] = r.status_code, r.text
        except Exception as exc:  # reported by the assertion below
            result["error"] = repr(exc)

    caller = threading.Thread(target=call_slow)
    caller.start()
    try:
        assert wait_for(lambda: "slow:start" in running.events())
        running.process.send_signal(signal.SIGTERM)
        caller.join(20)
        code = running.process.wait(20)
    finally:
        running.terminate()
    assert result == {"status": 200, "text": "slow done"}
    # Granian exits 0; uvicorn re-raises the signal after its graceful shutdown.
    assert code == (-signal.SIGTERM if server == "uvicorn" else 0), running.output()
    events = running.events()
    assert events == ["startup", "slow:start", "slow:end", "shutdown"], events


def _json_reply(port: int, raw: bytes) -> dict:
    reply = raw_request(port, raw, half_close=False)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")), head
    if b"transfer-encoding: chunked" in head.lower():
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    return json.loads(body)


def test_same_request_details_for_odd_request_lines(live: Server) -> None:
    """HTTP/1.0, an absolute-form target and non-ASCII header bytes look the same everywhere."""
    info = _json_reply(
        live.port,
        b"GET http://evil.example/info HTTP/1.1\r\nHost: good.example\r\nConnection: close\r\n\r\n",
    )
    assert info["host"] == "good.example"  # Host, not the request target (as under ASGI)
    reply = raw_request(
        live.port,
        b"GET http://evil.example/info%3Fx HTTP/1.1\r\nHost: good.example\r\n"
        b"Connection: close\r\n\r\n",
        half_close=False,
    )
    assert reply.startswith(b"HTTP/1.1 404"), reply[:200]  # the path is /info?x, not /info
    info = _json_reply(live.port, b"GET /info HTTP/1.0\r\nHost: h.example\r\n\r\n")
    assert info["http_version"] == "1.0"
    headers = _json_reply(
        live.port,
        b"GET /headers HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\n"
        b"X-Ok: yes\r\nConnection: close\r\n\r\n",
    )
    assert headers["x-ok"] == "yes"
    assert "x-latin" not in headers and "x-utf8" not in headers


def test_non_ascii_response_header_is_refused(live: Server) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        r = client.get("/latin-header")
    assert r.status_code == 500
    assert "x-name" not in r.headers


def test_streamed_echo_of_the_request_body(live: Server) -> None:
    def upload():  # type: ignore[no-untyped-def]
        for i in range(40):
            yield bytes([65 + i % 26]) * 50_000

    expected = b"".join(upload())
    with httpx.Client(base_url=live.url, timeout=20) as client:
        for _ in range(3):
            r = client.post("/echo-stream", content=upload())
            assert (r.status_code, len(r.content)) == (200, len(expected))
            assert r.content == expected
