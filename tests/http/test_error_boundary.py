"""Where errors stop, under both interfaces (issue 8, items 17 and 21).

- An endpoint's unhandled exception becomes its 500 where it happened, so every middleware
  (route, router, global) sees that 500 as a normal response and CORS and security headers
  reach it; only a middleware's own exception falls back to the last-resort 500.
- A ``BaseException`` from a handler (cancellation, a custom subclass) is thrown into the
  generator dependencies, drops the background tasks, and still propagates.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from orionis import Application, BackgroundTasks, Depends, Request, Response, Router
from orionis.middleware import CORSMiddleware, Middleware, SecurityHeadersMiddleware
from orionis.testing import TestClient
from orionis.testing.servers import ASGIServer, Exchange, RSGIServer

ORIGIN = "https://app.example"
PROBLEM = "application/problem+json"


class Seen(Middleware):
    """Records the status it got from ``call_next`` (or the exception it raised)."""

    def __init__(self, log: list[Any], name: str) -> None:
        self.log = log
        self.name = name

    async def handle(self, request: Request, call_next: Any) -> Response:
        try:
            response = await call_next()
        except BaseException as exc:
            self.log.append((self.name, type(exc).__name__))
            raise
        self.log.append((self.name, response.status_code))
        response.headers[f"x-seen-{self.name}"] = "1"
        return response


class Explode(Middleware):
    async def handle(self, request: Request, call_next: Any) -> Response:
        await call_next()
        raise RuntimeError("middleware bug")


# -- 21. the 500 passes back out through the middleware ----------------------------------
def boundary_app(log: list[Any], *, debug: bool = False) -> Application:
    app = Application(debug=debug, openapi_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN])
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(Seen, log=log, name="global")
    api = Router(prefix="/api", middleware=[Seen(log, "router")])

    async def fail() -> None:
        raise RuntimeError("secret internals")

    def fail_sync() -> None:
        raise KeyError("secret internals")

    api.get("/fail", fail, middleware=[Seen(log, "route")])
    api.get("/fail-sync", fail_sync, middleware=[Seen(log, "route")])
    api.get("/explode", lambda: "ok", middleware=[Seen(log, "route"), Explode()])
    app.include_router(api)
    return app


@pytest.mark.parametrize("path", ["/api/fail", "/api/fail-sync"])
def test_unhandled_500_carries_cors_and_security_headers(interface: str, path: str) -> None:
    log: list[Any] = []
    with TestClient(boundary_app(log), interface) as client:
        r = client.get(path, headers={"origin": ORIGIN})
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("default-src")
    for name in ("route", "router", "global"):
        assert r.headers[f"x-seen-{name}"] == "1"
    body = r.json()
    assert (body["status"], body["title"]) == (500, "Internal Server Error")
    assert "secret" not in r.text and "traceback" not in body and "exception" not in body
    assert log == [("route", 500), ("router", 500), ("global", 500)]


def test_unhandled_500_shows_the_traceback_only_in_debug(interface: str) -> None:
    log: list[Any] = []
    with TestClient(boundary_app(log, debug=True), interface) as client:
        r = client.get("/api/fail", headers={"origin": ORIGIN})
    assert r.status_code == 500
    assert r.headers["access-control-allow-origin"] == ORIGIN
    body = r.json()
    assert "RuntimeError" in body["exception"]
    assert any("secret internals" in line for line in body["traceback"])


class Unprintable(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("repr bomb")

    def __str__(self) -> str:
        raise RuntimeError("str bomb")


def test_an_unprintable_exception_still_gets_its_500_through_middleware(interface: str) -> None:
    app = Application(debug=True, openapi_url=None)
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/bomb")
    async def bomb() -> None:
        raise Unprintable()

    with TestClient(app, interface) as client:
        r = client.get("/bomb")
    assert (r.status_code, r.headers["x-content-type-options"]) == (500, "nosniff")
    assert r.json()["exception"] == "<Unprintable: repr() failed>"


def test_unhandled_500_is_logged_once(interface: str, caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(boundary_app([]), interface) as client:
        assert client.get("/api/fail").status_code == 500
    records = [r for r in caplog.records if r.name == "orionis" and r.levelname == "ERROR"]
    assert len(records) == 1
    assert "unhandled exception" in records[0].getMessage()
    assert records[0].exc_info is not None


def test_a_middleware_that_raises_gets_the_last_resort_500(interface: str) -> None:
    log: list[Any] = []
    with TestClient(boundary_app(log), interface) as client:
        r = client.get("/api/explode", headers={"origin": ORIGIN})
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert "middleware bug" not in r.text
    # the layers outside the one that raised see its exception, as before
    assert log == [
        ("route", "RuntimeError"),
        ("router", "RuntimeError"),
        ("global", "RuntimeError"),
    ]
    assert "access-control-allow-origin" not in r.headers


def test_exception_handlers_still_answer_first(interface: str) -> None:
    log: list[Any] = []
    app = boundary_app(log)

    @app.exception_handler(RuntimeError)
    async def unavailable(request: Request, exc: Exception) -> tuple:
        return {"retry": True}, 503

    with TestClient(app, interface) as client:
        r = client.get("/api/fail", headers={"origin": ORIGIN})
    assert (r.status_code, r.json()) == (503, {"retry": True})
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert log == [("route", 503), ("router", 503), ("global", 503)]


def test_a_failing_exception_handler_500_passes_the_middleware(interface: str) -> None:
    log: list[Any] = []
    app = boundary_app(log)
    calls: list[str] = []

    @app.exception_handler(Exception)
    async def broken(request: Request, exc: Exception) -> None:
        calls.append(type(exc).__name__)
        raise ValueError("handler bug")

    with TestClient(app, interface) as client:
        r = client.get("/api/fail", headers={"origin": ORIGIN})
    assert r.status_code == 500
    assert "handler bug" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert calls == ["RuntimeError"]
    assert log == [("route", 500), ("router", 500), ("global", 500)]


def test_a_500_drops_background_tasks_and_rolls_back(interface: str) -> None:
    app = Application(openapi_url=None)
    seen: list[str] = []
    app.add_middleware(SecurityHeadersMiddleware)

    async def transaction() -> Any:
        try:
            yield "tx"
            seen.append("commit")
        except RuntimeError as exc:
            seen.append(f"rollback: {exc}")
            raise

    @app.get("/fail")
    async def fail(tasks: BackgroundTasks, tx: str = Depends(transaction)) -> None:
        tasks.add_task(seen.append, "background ran")
        raise RuntimeError("db error")

    with TestClient(app, interface) as client:
        r = client.get("/fail")
    assert (r.status_code, r.headers["x-content-type-options"]) == (500, "nosniff")
    assert seen == ["rollback: db error"]


# -- 17. BaseException from a handler -----------------------------------------------------
class Abort(BaseException):
    """A BaseException that is neither cancellation nor an interpreter exit."""


def cleanup_app(seen: list[str], error: type[BaseException], where: str = "handler") -> Any:
    app = Application(openapi_url=None)

    async def async_dep() -> Any:
        try:
            yield "a"
            seen.append("async: success")
        except BaseException as exc:
            seen.append(f"async: {type(exc).__name__}")
            raise
        finally:
            seen.append("async: finally")

    def sync_dep() -> Any:
        try:
            yield "s"
            seen.append("sync: success")
        except BaseException as exc:
            seen.append(f"sync: {type(exc).__name__}")
            raise
        finally:
            seen.append("sync: finally")

    class Late(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Response:
            await call_next()
            raise error()

    async def handler(
        tasks: BackgroundTasks,
        a: str = Depends(async_dep),
        s: str = Depends(sync_dep),
    ) -> str:
        tasks.add_task(seen.append, "background ran")
        if where == "handler":
            raise error()
        return "ok"

    def sync_handler(
        tasks: BackgroundTasks,
        a: str = Depends(async_dep),
        s: str = Depends(sync_dep),
    ) -> str:
        tasks.add_task(seen.append, "background ran")
        raise error()

    app.get("/x", handler, middleware=[Late()] if where == "middleware" else None)
    app.get("/sync", sync_handler)
    return app


EXPECTED_CLEANUP = ["sync: {0}", "sync: finally", "async: {0}", "async: finally"]


@pytest.mark.parametrize("error", [asyncio.CancelledError, Abort])
@pytest.mark.parametrize("where", ["handler", "middleware"])
def test_base_exception_is_thrown_into_dependencies(
    interface: str, error: type[BaseException], where: str
) -> None:
    seen: list[str] = []
    app = cleanup_app(seen, error, where)
    # it propagates: the client reports the app crash
    with TestClient(app, interface) as client, pytest.raises(error):
        client.get("/x")
    assert seen == [line.format(error.__name__) for line in EXPECTED_CLEANUP]


@pytest.mark.parametrize("error", [asyncio.CancelledError, Abort])
def test_base_exception_from_a_sync_handler(interface: str, error: type[BaseException]) -> None:
    seen: list[str] = []
    with TestClient(cleanup_app(seen, error), interface, raise_server_exceptions=False) as client:
        r = client.get("/sync")
    assert r.status_code == 500  # what a server does when the app crashes before answering
    assert seen == [line.format(error.__name__) for line in EXPECTED_CLEANUP]


def test_an_ordinary_request_still_commits(interface: str) -> None:
    seen: list[str] = []
    with TestClient(cleanup_app(seen, Abort, where="none"), interface) as client:
        assert client.get("/x").text == "ok"
    assert seen == [
        "background ran",
        "sync: success",
        "sync: finally",
        "async: success",
        "async: finally",
    ]


def test_a_cancelled_request_cleans_up_and_stays_cancelled(interface: str) -> None:
    """A real ``task.cancel()`` while the handler waits (a server giving up on a request)."""
    seen: list[str] = []
    app = Application(openapi_url=None)
    entered = asyncio.Event()

    async def dep() -> Any:
        try:
            yield "d"
            seen.append("success")
        except BaseException as exc:
            seen.append(type(exc).__name__)
            raise

    def sync_dep() -> Any:
        try:
            yield "s"
            seen.append("sync success")
        except BaseException as exc:
            seen.append(f"sync {type(exc).__name__}")
            raise

    @app.get("/wait")
    async def wait(
        tasks: BackgroundTasks,
        d: str = Depends(dep),
        s: str = Depends(sync_dep),
    ) -> str:
        tasks.add_task(seen.append, "background ran")
        entered.set()
        await asyncio.Event().wait()  # until cancelled
        return "never"

    async def main() -> None:
        await app.startup()
        try:
            ex = Exchange(request=httpx.Request("GET", "http://testserver/wait"), body=b"")
            ex.disconnected, ex.complete = asyncio.Event(), asyncio.Event()
            server = ASGIServer(app) if interface == "asgi" else RSGIServer(app)
            task = asyncio.ensure_future(server.run(ex))
            await asyncio.wait_for(entered.wait(), 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()
        finally:
            await app.shutdown()

    asyncio.run(main())
    assert seen == ["sync CancelledError", "CancelledError"]
