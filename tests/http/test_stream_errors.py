"""A ``StreamingResponse`` whose iterator raises (issue 8, item 11).

The stream must end at once and the error be logged. Under ASGI the exception reaches the
server, which cuts the connection (no final chunk: the client sees a broken body). Under
RSGI, Granian ends a response only when the app coroutine returns and releases the transport;
raised, the traceback kept the transport alive and the connection open until a cyclic GC. So
the RSGI adapter logs the error, drops its references and returns: the body ends early.
The live tier (tests/live/test_live_hardening.py) checks the same against real servers.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from orionis import Application, StreamingResponse
from orionis.testing import TestClient
from tests.http.transports import track_stream_transports


def failing_app() -> Application:
    app = Application()

    async def after_first() -> Any:
        yield b"first\n"
        raise RuntimeError("boom after the first chunk")

    async def before_first() -> Any:
        raise RuntimeError("boom before the first chunk")
        yield b""  # pragma: no cover - makes this an async generator

    def sync_after_first() -> Iterator[bytes]:
        yield b"first\n"
        raise RuntimeError("boom in a sync iterator")

    sources = {"after": after_first, "before": before_first, "sync": sync_after_first}

    @app.get("/fail/{when}")
    def fail(when: str) -> StreamingResponse:
        return StreamingResponse(sources[when](), media_type="text/plain")

    @app.get("/ok")
    def ok() -> str:
        return "still serving"

    return app


def _stream_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "streaming response's iterator raised" in r.getMessage()]


@pytest.mark.parametrize(
    ("when", "sent"), [("after", b"first\n"), ("before", b""), ("sync", b"first\n")]
)
def test_failing_stream_ends_and_is_logged(
    interface: str, when: str, sent: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "orionis"), TestClient(failing_app(), interface) as client:
        if interface == "asgi":
            # The exception reaches the server, which logs it and cuts the connection.
            with pytest.raises(RuntimeError, match="boom"):
                client.get(f"/fail/{when}")
        else:
            r = client.get(f"/fail/{when}")
            assert (r.status_code, r.content) == (200, sent)
            (record,) = _stream_errors(caplog)
            assert record.exc_info is not None and "boom" in str(record.exc_info[1])
            assert record.getMessage().startswith(f"GET /fail/{when}:")
        assert client.get("/ok").text == "still serving"  # the next request is served


def test_rsgi_failing_stream_keeps_no_reference_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the cyclic GC off, the stream transport is freed as soon as the request ends:
    nothing (a traceback, a task holding the error) keeps it, and so the connection, alive."""
    transports = track_stream_transports(monkeypatch)
    gc.collect()
    gc.disable()
    try:
        with TestClient(failing_app(), "rsgi") as client:
            for when in ("after", "before", "sync"):
                assert client.get(f"/fail/{when}").status_code == 200
                assert transports[-1]() is None, f"transport of /fail/{when} is still alive"
    finally:
        gc.enable()
