"""Live WebSockets: real ``granian --interface rsgi``, ``granian --interface asgi`` and
``uvicorn`` processes on 127.0.0.1, driven with the ``websockets`` client.

Hostile or odd inputs tried against every server: an unknown path, an upgrade on an HTTP-only
route, a path parameter that fails its converter, a query value that fails validation, a
missing, malformed or expired JWT, a foreign ``Origin``, an oversized message (1 KiB route
limit and the 1 MiB default), a handler that raises after accept, a client that closes with
a custom code. What each server lets through is asserted per server (the RSGI rows are the
measurements quoted in docs/realtime-websockets.md).
"""

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.live.servers import Server, start
from tests.live.test_live import wait_for
from tests.live.ws_apps import SECRET

pytestmark = pytest.mark.live

TIMEOUT = 10.0  # safety net: every wait ends on a message first


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp(f"{server}-ws") / "events.log"
    running = start(server, "tests.live.ws_apps:app", log)
    yield running
    running.terminate()


def ws_url(live: Server, path: str) -> str:
    return f"ws://127.0.0.1:{live.port}{path}"


def open_ws(live: Server, path: str, **options: Any) -> ClientConnection:
    return connect(ws_url(live, path), open_timeout=TIMEOUT, close_timeout=TIMEOUT, **options)


def refused(live: Server, path: str, **options: Any) -> int:
    with pytest.raises(InvalidStatus) as info:
        with open_ws(live, path, **options):
            pass
    return info.value.response.status_code


def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=TIMEOUT)
    return ws.close_code


def expected_code(live: Server, code: int) -> int:
    """RSGI's close frame after accept carries no code: clients see 1005."""
    return 1005 if live.kind == "granian-rsgi" else code


def test_echo_text_bytes_json(live: Server) -> None:
    interface = "rsgi" if live.kind == "granian-rsgi" else "asgi"
    with open_ws(live, "/ws/lobby") as ws:
        ws.send("hi")
        assert ws.recv(timeout=TIMEOUT) == (
            f'{{"room":"lobby","echo":"hi","interface":"{interface}"}}'
        )
    with open_ws(live, "/bytes") as ws:
        ws.send(b"\x00\x01\xff")
        assert ws.recv(timeout=TIMEOUT) == b"\xff\x01\x00"
    with open_ws(live, "/json") as ws:
        ws.send('{"a": [1, 2]}')
        assert ws.recv(timeout=TIMEOUT) == '{"got":{"a":[1,2]}}'


def test_typed_path_and_query_parameters(live: Server) -> None:
    with open_ws(live, "/items/42?verbose=true") as ws:
        assert ws.recv(timeout=TIMEOUT) == '{"id":42,"type":"int","verbose":true}'
    assert refused(live, "/items/forty-two") == 404
    assert refused(live, "/items/1?verbose=maybe") == 403


def test_refusals_before_accept(live: Server) -> None:
    assert refused(live, "/no") == 403
    assert refused(live, "/nowhere") == 404
    assert refused(live, "/http-only") == 404  # an HTTP-only route: refused, not a 500
    assert refused(live, "/guarded") == 403
    with open_ws(live, "/guarded", additional_headers={"x-role": "member"}) as ws:
        assert ws.recv(timeout=TIMEOUT) == "welcome"


def test_jwt_from_header_cookie_and_query(live: Server) -> None:
    token = jwt.encode({"sub": "ann"}, SECRET, algorithm="HS256")
    for path, headers in (
        ("/secure", {"authorization": f"Bearer {token}"}),
        ("/secure", {"cookie": f"session={token}"}),
        (f"/secure?token={token}", {}),
    ):
        with open_ws(live, path, additional_headers=headers) as ws:
            assert ws.recv(timeout=TIMEOUT) == '{"sub":"ann"}'
    expired = jwt.encode({"sub": "ann", "exp": 1}, SECRET, algorithm="HS256")
    assert refused(live, "/secure") == 403
    assert refused(live, f"/secure?token={expired}") == 403
    assert refused(live, "/secure?token=garbage") == 403


def test_origin_rejection(live: Server) -> None:
    assert refused(live, "/origin", origin="https://evil.example") == 403
    with open_ws(live, "/origin", origin="https://app.example") as ws:
        assert ws.recv(timeout=TIMEOUT) == "same-site"


def test_oversize_message_closes_with_1009(live: Server) -> None:
    with open_ws(live, "/small") as ws:
        ws.send("x" * 1024)
        assert ws.recv(timeout=TIMEOUT) == "x" * 1024
        ws.send("x" * 1025)
        assert closed_with(ws) == expected_code(live, 1009)
    assert wait_for(lambda: "small closed 1009" in live.events(), TIMEOUT)
    with open_ws(live, "/bytes", max_size=None) as ws:  # the app's default: 1 MiB
        ws.send(b"a" * 1_048_576)
        assert len(ws.recv(timeout=TIMEOUT)) == 1_048_576
        ws.send(b"a" * 1_048_577)
        assert closed_with(ws) == expected_code(live, 1009)


def test_handler_error_closes_with_1011_and_the_worker_keeps_serving(live: Server) -> None:
    for _ in range(3):
        with open_ws(live, "/boom") as ws:
            ws.send("go")
            assert closed_with(ws) == expected_code(live, 1011)
    with open_ws(live, "/ws/after") as ws:
        ws.send("alive")
        assert '"echo":"alive"' in ws.recv(timeout=TIMEOUT)
    assert live.process.poll() is None


def test_client_disconnect_is_seen_by_the_handler(live: Server) -> None:
    with open_ws(live, "/listen") as ws:
        assert ws.recv(timeout=TIMEOUT) == "listening"
        ws.close(4001, "bye")
    expected = {
        "granian-rsgi": "disconnect 1005 ''",  # RSGI does not pass the client's code on
        "granian-asgi": "disconnect 4001 ''",  # Granian's ASGI side passes no reason
        "uvicorn": "disconnect 4001 'bye'",
    }[live.kind]
    assert wait_for(lambda: expected in live.events(), TIMEOUT), live.events()


def test_close_code_subprotocol_and_accept_headers(live: Server) -> None:
    with open_ws(live, "/close-code") as ws:
        assert closed_with(ws) == expected_code(live, 4321)
        if live.kind != "granian-rsgi":
            assert ws.close_reason == "custom"
    with open_ws(live, "/proto", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.recv(timeout=TIMEOUT) == "proto"
        measured = (ws.subprotocol, ws.response.headers.get("x-served-by"))
    assert (
        measured
        == {
            "granian-rsgi": (None, None),  # Granian's RSGI accept() takes neither
            "granian-asgi": ("chat.v2", None),  # Granian's ASGI side drops accept headers
            "uvicorn": ("chat.v2", "orionis"),
        }[live.kind]
    )
