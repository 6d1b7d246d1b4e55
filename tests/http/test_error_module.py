"""orionis.errors: the one error boundary (registration, lookup, answers, the logged 500),
and sync exception handlers run in the thread pool like sync route handlers."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from orionis import Application, HTTPException, Request
from orionis.connections import HTTPConnection
from orionis.datastructures import Address
from orionis.errors import ErrorBoundary, ExceptionHandlerError, check_key
from orionis.responses import JSONResponse
from orionis.testing import TestClient


class Connection(HTTPConnection):
    """A real connection, built by hand as an adapter would."""

    interface = "test"

    def __init__(self) -> None:
        super().__init__(Application())
        self.method = "GET"
        self.path = "/x"
        self.query_string = ""
        self.scheme = "http"
        self.http_version = "1.1"

    def _raw_headers(self) -> list[tuple[str, str]]:
        return [("host", "example.test")]

    def _peer(self) -> tuple[Address | None, Address | None]:
        return None, None


def test_sync_exception_handlers_run_in_the_thread_pool(interface: str) -> None:
    app = Application()
    threads: dict[str, threading.Thread] = {}

    @app.exception_handler(ValueError)
    def sync_handler(request: Request, exc: Exception) -> tuple[dict, int]:
        threads["sync"] = threading.current_thread()
        return {"handled": str(exc)}, 409

    @app.exception_handler(KeyError)
    async def async_handler(request: Request, exc: Exception) -> tuple[dict, int]:
        threads["async"] = threading.current_thread()
        return {"handled": "key"}, 410

    @app.get("/value")
    async def value() -> dict:
        raise ValueError("bad")

    @app.get("/key")
    async def key() -> dict:
        raise KeyError("k")

    with TestClient(app, interface) as client:
        r = client.get("/value")
        assert (r.status_code, r.json()) == (409, {"handled": "bad"})
        r = client.get("/key")
        assert r.status_code == 410
    # the async handler runs on the event loop's thread; the sync one does not
    assert threads["sync"] is not threads["async"]


def test_a_blocking_sync_handler_does_not_block_the_loop(interface: str) -> None:
    app = Application()
    release = threading.Event()
    entered = threading.Event()

    @app.exception_handler(ValueError)
    def slow(request: Request, exc: Exception) -> dict:
        entered.set()
        assert release.wait(30)  # safety net only: the test releases it
        return {"late": True}

    @app.get("/fail")
    async def fail() -> dict:
        raise ValueError

    @app.get("/ping")
    async def ping() -> dict:
        return {"pong": True}

    with TestClient(app, interface) as client:
        result: dict = {}
        worker = threading.Thread(target=lambda: result.setdefault("r", client.get("/fail")))
        worker.start()
        assert entered.wait(30)
        assert client.get("/ping").json() == {"pong": True}  # served while the handler waits
        release.set()
        worker.join(30)
        assert result["r"].json() == {"late": True}


def test_lookup_order() -> None:
    errors = ErrorBoundary()

    def by_status(request: object, exc: Exception) -> str:
        return "status"

    def by_class(request: object, exc: Exception) -> str:
        return "class"

    def catch_all(request: object, exc: Exception) -> str:
        return "all"

    errors.add(Exception, catch_all)
    assert errors.handler_for(HTTPException(404)) is None  # 404s stay 404s
    assert errors.handler_for(ValueError()) is catch_all
    errors.add(LookupError, by_class)
    assert errors.handler_for(KeyError()) is by_class
    errors.add(404, by_status)
    assert errors.handler_for(HTTPException(404)) is by_status
    assert errors.handler_for(HTTPException(405)) is None


@pytest.mark.parametrize("key", ["404", 404.0, True, None, object()])
def test_keys_that_are_refused(key: object) -> None:
    with pytest.raises(TypeError, match="exception class or status code"):
        check_key(key)
    with pytest.raises(TypeError):
        ErrorBoundary().add(key, lambda request, exc: None)  # type: ignore[arg-type]


def test_answer_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    errors = ErrorBoundary()

    def broken(request: object, exc: Exception) -> None:
        raise RuntimeError("the handler itself failed")

    errors.add(ValueError, broken)
    connection = Connection()

    async def run() -> None:
        with pytest.raises(ExceptionHandlerError):
            await errors.handled(connection, ValueError())  # type: ignore[arg-type]
        with caplog.at_level(logging.ERROR, logger="orionis"):
            response = await errors.answer(connection, ValueError())  # type: ignore[arg-type]
        assert response.status_code == 500
        assert "exception handler failed" in caplog.text
        unhandled = await errors.answer(connection, OSError("x"))  # type: ignore[arg-type]
        assert unhandled.status_code == 500
        own = await errors.answer(connection, HTTPException(418))  # type: ignore[arg-type]
        assert own.status_code == 418

    asyncio.run(run())


def test_server_error_shows_internals_only_in_debug() -> None:
    connection = Connection()
    quiet = ErrorBoundary().server_error(connection, ValueError("secret"), "boom")  # type: ignore[arg-type]
    assert b"secret" not in quiet.body
    loud = ErrorBoundary(debug=True).server_error(connection, ValueError("secret"), "boom")  # type: ignore[arg-type]
    assert b"secret" in loud.body


def test_app_debug_is_the_boundary_setting() -> None:
    app = Application(debug=True)
    assert app.errors.debug is True
    app.debug = False
    assert app.errors.debug is False


def test_handler_answer_may_be_any_return_value() -> None:
    errors = ErrorBoundary()
    errors.add(ValueError, lambda request, exc: JSONResponse({"a": 1}, 422))
    response = asyncio.run(errors.answer(Connection(), ValueError()))  # type: ignore[arg-type]
    assert (response.status_code, response.body) == (422, b'{"a":1}')
