"""Errors: problem+json everywhere, no leaks from 500s, and nothing invalid reaches a server.

Bad values tried from user code: status 1000, 0, 99, 100, 101, 199, 600, "200", True, None,
200.0; header values with CR, LF, NUL, DEL, é and U+0100; header names with a space, a colon,
empty; non-str header values; a middleware that sets a bad header; a handler and an exception
handler that raise.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import pytest

from orionis import Application, HTTPException, Request, Response
from orionis.middleware import Middleware
from orionis.testing import TestClient

PROBLEM = "application/problem+json"


def test_http_exception_is_problem_json_with_headers(interface: str) -> None:
    app = Application()

    @app.get("/users/{id:int}")
    async def show(id: int) -> dict:
        raise HTTPException(404, "no such user", headers={"x-hint": "try 1"})

    @app.get("/teapot")
    async def teapot() -> dict:
        raise HTTPException(
            418, title="Short and stout", type="https://example.com/teapot", extra={"spout": True}
        )

    with TestClient(app, interface) as client:
        r = client.get("/users/7")
        assert r.status_code == 404
        assert r.headers["content-type"] == PROBLEM
        assert r.headers["x-hint"] == "try 1"
        assert r.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "no such user",
        }
        body = client.get("/teapot").json()
        assert body == {
            "type": "https://example.com/teapot",
            "title": "Short and stout",
            "status": 418,
            "detail": "I'm a Teapot",
            "spout": True,
        }


def test_unhandled_exception_is_500_without_internals(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("database password is hunter2")

    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert r.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The server failed to handle this request.",
    }
    assert "hunter2" not in r.text
    assert any("hunter2" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)


def test_debug_mode_shows_the_exception(interface: str) -> None:
    app = Application(debug=True)

    @app.get("/boom")
    async def boom() -> dict:
        raise ValueError("visible in debug")

    with TestClient(app, interface) as client:
        body = client.get("/boom").json()
    assert body["status"] == 500
    assert body["exception"] == "ValueError('visible in debug')"
    assert any("visible in debug" in line for line in body["traceback"])


@pytest.mark.parametrize("status", [1000, 0, 99, 100, 101, 199, 600, "200", True, None, 200.0])
def test_invalid_status_becomes_logged_500(
    interface: str, status: object, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()
    app.get("/bad", lambda: Response(b"x", status))  # type: ignore[arg-type]
    app.get("/ok", lambda: "still serving")
    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        r = client.get("/bad")
        assert r.status_code == 500
        assert r.headers["content-type"] == PROBLEM
        assert client.get("/ok").text == "still serving"
    assert any("not a valid final HTTP status" in rec.getMessage() for rec in caplog.records)


def test_http_status_enum_is_accepted(interface: str) -> None:
    app = Application()
    app.get("/created", lambda: ("made", HTTPStatus.CREATED))
    with TestClient(app, interface) as client:
        assert client.get("/created").status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        [("x-a", "one\r\nx-injected: 1")],
        [("x-a", "line\nbreak")],
        [("x-a", "nul\x00byte")],
        [("x-a", "del\x7f")],
        [("x-a", "\u0100 is not latin-1")],
        [("x-a", "caf\u00e9")],  # Latin-1 but not ASCII: bytes would differ by protocol
        [("bad name", "v")],
        [("bad:name", "v")],
        [("", "v")],
        [("x-a", 5)],
    ],
)
def test_invalid_headers_become_logged_500(
    interface: str, headers: list, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()

    @app.get("/bad")
    async def bad() -> Response:
        response = Response(b"x")
        response.raw_headers.extend(headers)
        return response

    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        r = client.get("/bad")
    assert r.status_code == 500
    assert "x-injected" not in r.headers
    assert any("invalid response" in rec.getMessage() for rec in caplog.records)


def test_allowed_header_characters_pass(interface: str) -> None:
    app = Application()
    app.get("/ok", lambda: ("x", 200, {"x-tab": "a\tb", "x-tilde": "~!", "X-Upper": "v"}))
    with TestClient(app, interface) as client:
        r = client.get("/ok")
    assert r.status_code == 200
    assert r.headers["x-tab"] == "a\tb"
    raw = dict(r.headers.raw)
    assert raw[b"x-tilde"] == b"~!"
    assert raw[b"x-upper"] == b"v"  # names are lower-cased on the way out


def test_framing_headers_from_user_code_are_replaced(interface: str) -> None:
    app = Application()
    app.get(
        "/lie",
        lambda: Response(b"12345", headers={"content-length": "999", "transfer-encoding": "gzip"}),
    )
    with TestClient(app, interface) as client:
        r = client.get("/lie")
    assert r.content == b"12345"
    assert r.headers.get_list("content-length") == ["5"]
    assert "transfer-encoding" not in r.headers


def test_middleware_setting_a_bad_header_is_caught(interface: str) -> None:
    app = Application()

    class Bad(Middleware):
        async def handle(self, request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
            response = await call_next()
            response.headers["x-evil"] = "a\r\nset-cookie: session=stolen"
            return response

    app.add_middleware(Bad)
    app.get("/", lambda: "ok")
    with TestClient(app, interface) as client:
        r = client.get("/")
    assert r.status_code == 500
    assert "set-cookie" not in r.headers


def test_exception_handlers_by_class_and_status(interface: str) -> None:
    app = Application()

    class PaymentRequired(Exception):
        pass

    class CardDeclined(PaymentRequired):
        pass

    @app.exception_handler(PaymentRequired)
    async def payment(request: Request, exc: PaymentRequired) -> tuple:
        return {"error": type(exc).__name__, "path": request.path}, 402

    @app.exception_handler(404)
    def not_found(request: Request, exc: HTTPException) -> Response:
        return Response(f"custom 404 for {request.path}", 404, media_type="text/plain")

    @app.get("/pay")
    async def pay() -> None:
        raise CardDeclined()

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404)

    with TestClient(app, interface) as client:
        r = client.get("/pay")
        assert (r.status_code, r.json()) == (402, {"error": "CardDeclined", "path": "/pay"})
        assert client.get("/missing").text == "custom 404 for /missing"
        assert client.get("/no-route").text == "custom 404 for /no-route"


def test_failing_exception_handler_is_500(interface: str) -> None:
    app = Application()

    @app.exception_handler(KeyError)
    async def broken(request: Request, exc: KeyError) -> None:
        raise RuntimeError("handler bug")

    @app.get("/k")
    async def k() -> None:
        raise KeyError("x")

    with TestClient(app, interface) as client:
        r = client.get("/k")
    assert r.status_code == 500
    assert "handler bug" not in r.text


def test_exception_handler_key_is_checked() -> None:
    app = Application()
    with pytest.raises(TypeError, match="exception class or status code"):
        app.exception_handler("ValueError")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exception class or status code"):
        app.exception_handler(object)  # type: ignore[arg-type]


def test_app_crash_in_server_layer_is_reported(interface: str) -> None:
    """If the adapter itself fails, the test client raises instead of hiding it."""
    app = Application()

    @app.get("/stream")
    async def stream() -> Response:
        from orionis import StreamingResponse

        async def gen():  # type: ignore[no-untyped-def]
            yield b"partial"
            raise RuntimeError("generator failed mid-stream")

        return StreamingResponse(gen())

    if interface == "rsgi":
        # The RSGI adapter logs a failing stream and returns, so Granian ends the response
        # at once (tests/http/test_stream_errors.py); ASGI servers get the exception.
        with TestClient(app, interface) as client:
            assert client.get("/stream").content == b"partial"
        return
    with TestClient(app, interface) as client, pytest.raises(RuntimeError, match="mid-stream"):
        client.get("/stream")


def test_catch_all_handler_leaves_http_errors_alone(interface: str) -> None:
    """A handler for Exception must not turn 404/405/413 into its own answer."""
    app = Application(max_body_size=10)
    seen: list[str] = []

    @app.exception_handler(Exception)
    async def catch_all(request: Request, exc: Exception) -> tuple:
        seen.append(type(exc).__name__)
        return {"error": "internal"}, 500

    @app.post("/p")
    async def p(request: Request) -> str:
        return "ok"

    @app.get("/boom")
    async def boom() -> None:
        raise KeyError("x")

    with TestClient(app, interface) as client:
        assert client.get("/nowhere").status_code == 404
        assert client.put("/p").status_code == 405
        assert client.post("/p", content=b"x" * 11).status_code == 413
        assert client.get("/boom").json() == {"error": "internal"}
    assert seen == ["KeyError"]


def test_handler_for_500_answers_unhandled_exceptions(interface: str) -> None:
    app = Application()

    @app.exception_handler(500)
    async def server_error(request: Request, exc: Exception) -> tuple:
        return {"oops": type(exc).__name__}, 500

    @app.get("/boom")
    async def boom() -> None:
        raise LookupError("x")

    with TestClient(app, interface) as client:
        assert client.get("/boom").json() == {"oops": "LookupError"}
        assert client.get("/nowhere").status_code == 404


def test_a_failing_exception_handler_runs_once(interface: str) -> None:
    app = Application()
    calls: list[str] = []

    @app.exception_handler(Exception)
    async def broken(request: Request, exc: Exception) -> None:
        calls.append(type(exc).__name__)
        raise RuntimeError("handler bug")

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("x")

    with TestClient(app, interface) as client:
        assert client.get("/boom").status_code == 500
    assert calls == ["ValueError"]


def test_stream_replaced_by_500_is_closed(interface: str) -> None:
    from orionis import StreamingResponse

    app = Application()
    closed: list[bool] = []

    class Body:
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b"never sent"

        def close(self) -> None:
            closed.append(True)

    app.get("/s", lambda: StreamingResponse(Body(), headers={"x-bad": "a\nb"}))
    with TestClient(app, interface) as client:
        assert client.get("/s").status_code == 500
    assert closed == [True]


def test_client_controlled_path_cannot_forge_log_lines(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()

    @app.get("/boom/{rest:path}")
    async def boom(rest: str) -> None:
        raise RuntimeError("x")

    with caplog.at_level(logging.ERROR, "orionis"), TestClient(app, interface) as client:
        client.get("/boom/x%0A[ERROR]%20forged")
    messages = [rec.getMessage() for rec in caplog.records]
    assert messages and all("\n" not in m for m in messages)
    assert any("\\n[ERROR] forged" in m for m in messages)
