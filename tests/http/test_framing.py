"""Answers to broken framing say ``Connection: close``, so no byte that follows is read as a
request; ``Expect: 100-continue`` over the limit is answered at once, without reading; a
``Content-Length`` of any number of digits is a 4xx, never a 500.

Hostile inputs tried: Content-Length with Transfer-Encoding, invalid and conflicting
lengths, 20 and 5,000 digits (Python's ``int()`` refuses 4,300), 5,000 leading zeros, a
declared length far over the drain budget, a body cut short, Expect: 100-continue with a
length over the limit (and within it), the same on HTTP/2 (where ``Connection`` is
forbidden).
"""

from __future__ import annotations

from typing import Any

import pytest

from orionis import Application, Request
from orionis.testing import TestClient


def framing_app(calls: list[str], **options: Any) -> Application:
    app = Application(**options)

    @app.post("/upload")
    async def upload(request: Request) -> dict:
        calls.append("upload")
        return {"size": len(await request.body())}

    @app.post("/small", max_body_size=100)
    async def small(request: Request) -> dict:
        calls.append("small")
        return {"size": len(await request.body())}

    @app.post("/unlimited", max_body_size=None)
    async def unlimited(request: Request) -> dict:
        calls.append("unlimited")
        return {"size": len(await request.body())}

    @app.get("/fine")
    async def fine() -> str:
        return "fine"

    return app


def closes(response: Any) -> bool:
    return response.headers.get("connection") == "close"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([("content-length", "5"), ("transfer-encoding", "chunked")], 400),
        ([("content-length", "abc")], 400),
        ([("content-length", "+5")], 400),
        ([("content-length", "3"), ("content-length", "4")], 400),
        ([("content-length", "9" * 18)], 413),  # the adapters' one-value fast path
        ([("content-length", "1" + "0" * 18)], 413),  # just past it: the full checks
        ([("content-length", "9" * 20)], 413),
        ([("content-length", "9" * 5000)], 413),
        ([("content-length", str(10**12))], 413),
    ],
)
def test_broken_framing_answers_close_the_connection(
    interface: str, headers: list[tuple[str, str]], status: int
) -> None:
    calls: list[str] = []
    with TestClient(framing_app(calls), interface) as client:
        r = client.post("/upload", content=b"hello", headers=headers)
        assert r.status_code == status
        assert r.headers["content-type"] == "application/problem+json"
        assert closes(r), r.headers
        # An answer that leaves the connection usable does not close it.
        ok = client.post("/upload", content=b"hello")
        assert ok.json() == {"size": 5}
        assert not closes(ok)
        assert not closes(client.get("/fine"))
        assert not closes(client.get("/nowhere"))
    assert calls == ["upload"]


@pytest.mark.parametrize("declared", ["5", "05", "0" * 17 + "5", "0" * 40 + "5"])
def test_a_declared_length_with_leading_zeros_is_read(interface: str, declared: str) -> None:
    calls: list[str] = []
    with TestClient(framing_app(calls), interface) as client:
        r = client.post("/upload", content=b"hello", headers={"content-length": declared})
        assert r.json() == {"size": 5} and not closes(r)
    assert calls == ["upload"]


def test_truncated_body_answer_closes_the_connection(interface: str) -> None:
    calls: list[str] = []
    with TestClient(framing_app(calls), interface) as client:
        r = client.post("/upload", content=b"x" * 50, extensions={"orionis": {"truncate": 10}})
    assert r.status_code == 400
    assert closes(r)
    assert calls == []


def test_drained_413_keeps_the_connection_but_an_undrained_one_closes(interface: str) -> None:
    calls: list[str] = []
    with TestClient(framing_app(calls, max_body_size=10), interface) as client:
        drained = client.post("/upload", content=b"x" * 1000)  # read to the end, then 413
        assert drained.status_code == 413
        assert not closes(drained)
        over_budget = 9 * 1024 * 1024  # beyond the drain budget: answered unread
        r = client.post("/upload", content=b"x" * over_budget)
        assert r.status_code == 413
        assert closes(r)
    assert calls == []


@pytest.mark.parametrize("digits", [20, 5000])
def test_huge_content_length_without_a_limit_is_400(interface: str, digits: int) -> None:
    calls: list[str] = []
    with TestClient(framing_app(calls), interface) as client:
        r = client.post("/unlimited", content=b"hello", headers={"content-length": "9" * digits})
    assert r.status_code == 400
    assert "more than 19 digits" in r.json()["detail"]
    assert closes(r)
    assert calls == ["unlimited"]  # the handler asked for the body and got the 400


def test_leading_zeros_do_not_count(interface: str) -> None:
    """Granian passes ``0000...5`` (5,000 zeros) through and frames the body as 5 bytes."""
    calls: list[str] = []
    with TestClient(framing_app(calls), interface) as client:
        r = client.post("/upload", content=b"hello", headers={"content-length": "0" * 5000 + "5"})
    assert r.json() == {"size": 5}
    assert calls == ["upload"]


@pytest.mark.parametrize("expect", ["100-continue", "100-Continue"])
def test_expect_continue_over_the_limit_is_answered_without_reading(
    interface: str, expect: str
) -> None:
    """Servers send "100 Continue" when the app first reads the body, so not reading it
    means the client is told 413 before it uploads anything."""
    calls: list[str] = []
    reads: list[str] = []
    with TestClient(framing_app(calls), interface) as client:
        r = client.post(
            "/small",
            content=b"x" * 1000,
            headers={"expect": expect},
            extensions={"orionis": {"record": reads}},
        )
        assert r.status_code == 413
        assert closes(r)
        assert reads == []  # the body was never asked for
        # Within the limit, the body is read as usual (and the server sends its 100).
        ok = client.post(
            "/small",
            content=b"x" * 100,
            headers={"expect": expect},
            extensions={"orionis": {"record": reads}},
        )
        assert ok.json() == {"size": 100}
        assert reads
    assert calls == ["small"]


def test_http2_answers_never_carry_connection(interface: str) -> None:
    calls: list[str] = []
    with TestClient(framing_app(calls), interface, http_version="2") as client:
        r = client.post("/small", content=b"x" * 1000, headers={"expect": "100-continue"})
        assert r.status_code == 413
        assert "connection" not in r.headers
        r = client.post("/upload", content=b"x", headers={"content-length": "9" * 30})
        assert r.status_code == 413
        assert "connection" not in r.headers
    assert calls == []


def test_close_survives_a_middleware_that_replaces_the_answer(interface: str) -> None:
    """The close is a property of the connection, not of the response object."""
    from orionis import PlainTextResponse
    from orionis.middleware import Middleware

    class Replace(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Any:
            response = await call_next()
            return PlainTextResponse(f"replaced {response.status_code}", response.status_code)

    calls: list[str] = []
    app = framing_app(calls)
    app.add_middleware(Replace)
    with TestClient(app, interface) as client:
        r = client.post("/upload", content=b"x", headers={"content-length": "x"})
        assert (r.status_code, r.text) == (400, "replaced 400")
        assert closes(r)
