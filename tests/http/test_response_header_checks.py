"""The last check on response headers (issue 8, item 15): a value with leading or trailing
whitespace is refused like CR/LF (a logged 500; h11 under uvicorn would otherwise drop the
connection with an empty reply), and hop-by-hop headers set by user code are dropped (under
HTTP/2 they reset the stream)."""

from __future__ import annotations

import logging

import pytest

from orionis import Application, Response, StreamingResponse
from orionis.testing import TestClient

HOP_BY_HOP = {
    "connection": "keep-alive",
    "transfer-encoding": "gzip",
    "te": "trailers",
    "upgrade": "h2c",
    "keep-alive": "timeout=5",
    "proxy-connection": "keep-alive",
}


def header_app() -> Application:
    app = Application()

    @app.get("/padded/{where}")
    def padded(where: str) -> Response:
        value = {"lead": " v", "trail": "v ", "tab": "v\t", "blank": " "}[where]
        return Response(b"x", headers={"x-pad": value})

    @app.get("/inner")
    def inner() -> Response:
        return Response(b"ok", headers={"x-ok": "a \t b", "x-empty": ""})

    @app.get("/hop")
    def hop() -> Response:
        return Response(b"hop", headers={**HOP_BY_HOP, "x-kept": "1"})

    @app.get("/hop-stream")
    def hop_stream() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b"]), headers={**HOP_BY_HOP, "x-kept": "1"})

    return app


@pytest.mark.parametrize("where", ["lead", "trail", "tab", "blank"])
def test_padded_header_value_is_a_logged_500(
    interface: str, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "orionis"), TestClient(header_app(), interface) as client:
        r = client.get(f"/padded/{where}")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert "x-pad" not in r.headers
        assert client.get("/inner").headers["x-ok"] == "a \t b"  # inner whitespace is fine
    assert any("leading or trailing whitespace" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("path", ["/hop", "/hop-stream"])
def test_hop_by_hop_headers_from_user_code_are_dropped(interface: str, path: str) -> None:
    with TestClient(header_app(), interface) as client:
        r = client.get(path)
    assert r.status_code == 200
    assert r.headers["x-kept"] == "1"
    sent = {name.lower() for name, _ in r.headers.multi_items()}
    assert not sent & (set(HOP_BY_HOP) - {"transfer-encoding", "connection"})
    assert r.headers.get("connection") != "keep-alive"
    assert r.headers.get("transfer-encoding") != "gzip"
