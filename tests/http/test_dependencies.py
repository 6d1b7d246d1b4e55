"""Dependencies, response models, background tasks and the process executor, under both
interfaces.

Covers ``Depends`` (sync, async, generator, class and callable-instance dependencies,
sub-dependencies, per-request caching, ``use_cache=False``), cleanup of generator
dependencies after the response (reverse order, exceptions thrown in, broken cleanups
logged), route- and router-level ``dependencies=[...]``, ``app.dependency_overrides``,
controllers with ``__init__`` dependencies, response models and status codes,
``executor="process"`` and ``BackgroundTasks``.

This module deliberately does not use ``from __future__ import annotations``: many handlers
and dependencies are defined inside the tests and annotate with local names, which postponed
annotations could not resolve.
"""

import asyncio
import dataclasses
import datetime
import enum
import logging
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Annotated, Any

import pydantic
import pytest

from orionis import (
    Application,
    BackgroundTasks,
    Controller,
    Depends,
    Header,
    HTTPException,
    JSONResponse,
    Query,
    Request,
    Router,
    StreamingResponse,
)
from orionis.exceptions import LifespanError
from orionis.testing import TestClient
from tests.http import process_jobs

GENERIC_500 = "The server failed to handle this request."


def errors_of(response: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The (loc, type) pairs of a 422 problem document, sorted."""
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    return sorted((tuple(e["loc"]), e["type"]) for e in body["errors"])


def cleanup_failures(caplog: pytest.LogCaptureFixture) -> list[BaseException]:
    """Exceptions logged by the dependency cleanup."""
    return [
        rec.exc_info[1]
        for rec in caplog.records
        if rec.name == "orionis"
        and rec.getMessage().startswith("cleanup of dependency")
        and rec.exc_info
        and rec.exc_info[1] is not None
    ]


# -- 1. kinds of dependencies ------------------------------------------------------------------
def test_sync_async_and_generator_dependencies(interface: str) -> None:
    app = Application()
    threads: dict[str, int] = {}

    def sync_dep() -> str:
        threads["sync"] = threading.get_ident()
        return "sync"

    async def async_dep() -> str:
        threads["async"] = threading.get_ident()
        return "async"

    def gen_dep() -> Iterator[str]:
        threads["gen"] = threading.get_ident()
        yield "gen"

    async def agen_dep() -> AsyncIterator[str]:
        threads["agen"] = threading.get_ident()
        yield "agen"

    @app.get("/kinds")
    async def kinds(
        a: Annotated[str, Depends(sync_dep)],
        b: Annotated[str, Depends(async_dep)],
        c: Annotated[str, Depends(gen_dep)],
        d: Annotated[str, Depends(agen_dep)],
        e: str = Depends(sync_dep),  # FastAPI style default
    ) -> dict[str, str]:
        threads["handler"] = threading.get_ident()
        return {"a": a, "b": b, "c": c, "d": d, "e": e}

    with TestClient(app, interface) as client:
        r = client.get("/kinds")
    assert r.status_code == 200
    assert r.json() == {"a": "sync", "b": "async", "c": "gen", "d": "agen", "e": "sync"}
    # async callables run on the event loop, sync ones in the thread pool
    assert threads["async"] == threads["agen"] == threads["handler"]
    assert threads["sync"] != threads["handler"]
    assert threads["gen"] != threads["handler"]


class Pagination:
    """A class used as its own dependency: its ``__init__`` parameters come from the query."""

    def __init__(self, page: int = 1, size: Annotated[int, Query(ge=1, le=100)] = 10) -> None:
        self.page = page
        self.size = size


def test_class_as_dependency_with_bare_depends(interface: str) -> None:
    app = Application()

    @app.get("/annotated")
    def annotated(p: Annotated[Pagination, Depends()]) -> dict[str, Any]:
        return {"type": type(p).__name__, "page": p.page, "size": p.size}

    @app.get("/default")
    def default(p: Pagination = Depends()) -> dict[str, Any]:
        return {"type": type(p).__name__, "page": p.page, "size": p.size}

    with TestClient(app, interface) as client:
        assert client.get("/annotated").json() == {"type": "Pagination", "page": 1, "size": 10}
        assert client.get("/annotated?page=3&size=25").json() == {
            "type": "Pagination",
            "page": 3,
            "size": 25,
        }
        assert client.get("/default?page=7").json() == {"type": "Pagination", "page": 7, "size": 10}
        assert errors_of(client.get("/annotated?page=x&size=500")) == [
            (("query", "page"), "int_parsing"),
            (("query", "size"), "less_than_equal"),
        ]


def test_depends_without_callable_needs_a_class_annotation() -> None:
    app = Application()

    @app.get("/unannotated")
    def unannotated(x=Depends()) -> str:
        return "never"

    with pytest.raises(TypeError, match="Depends\\(\\) without a callable"):
        _ = app.route_table

    app = Application()

    @app.get("/any")
    def any_(x: Annotated[Any, Depends()]) -> str:
        return "never"

    with pytest.raises(TypeError, match="Depends\\(\\) without a callable"):
        _ = app.route_table


def test_depends_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="Depends\\(\\) takes a callable"):
        Depends("get_db")  # type: ignore[arg-type]


class Greeter:
    """A callable instance with an async ``__call__``: the instance is the dependency."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting
        self.calls = 0

    async def __call__(self, name: str = "world") -> str:
        self.calls += 1
        await asyncio.sleep(0)
        return f"{self.greeting}, {name}"


class Multiplier:
    """A callable instance with a sync ``__call__``."""

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def __call__(self, value: int) -> int:
        return value * self.factor


def test_callable_instances_as_dependencies(interface: str) -> None:
    app = Application()
    hello = Greeter("hello")
    triple = Multiplier(3)

    @app.get("/greet")
    async def greet(
        text: Annotated[str, Depends(hello)], tripled: Annotated[int, Depends(triple)]
    ) -> dict[str, Any]:
        return {"text": text, "tripled": tripled}

    with TestClient(app, interface) as client:
        assert client.get("/greet?value=4").json() == {"text": "hello, world", "tripled": 12}
        r = client.get("/greet?name=Ana&value=-2")
        assert r.json() == {"text": "hello, Ana", "tripled": -6}
        assert hello.calls == 2  # the same instance, called once per request
        assert errors_of(client.get("/greet?value=four")) == [(("query", "value"), "int_parsing")]


def test_sub_dependencies_and_their_validation_errors(interface: str) -> None:
    app = Application()
    calls: list[str] = []

    def get_token(x_token: Annotated[str, Header()]) -> str:
        calls.append("token")
        return x_token

    async def get_user(
        token: Annotated[str, Depends(get_token)], verbose: bool = False
    ) -> dict[str, Any]:
        calls.append("user")
        return {"name": token.upper(), "verbose": verbose}

    @app.get("/me")
    def me(user: Annotated[dict, Depends(get_user)], limit: int) -> dict[str, Any]:
        calls.append("handler")
        return {"user": user, "limit": limit}

    with TestClient(app, interface) as client:
        r = client.get("/me?verbose=true&limit=5", headers={"x-token": "abc"})
        assert r.status_code == 200
        assert r.json() == {"user": {"name": "ABC", "verbose": True}, "limit": 5}
        assert calls == ["token", "user", "handler"]
        calls.clear()
        # every error, from the sub-dependency, the dependency and the handler, in one 422
        r = client.get("/me?verbose=maybe&limit=abc")
        assert errors_of(r) == [
            (("header", "x-token"), "missing"),
            (("query", "limit"), "int_parsing"),
            (("query", "verbose"), "bool_parsing"),
        ]
        header_error = next(e for e in r.json()["errors"] if e["loc"][0] == "header")
        assert header_error["msg"] == "Field required"
        # only the handler's input is wrong: the handler does not run
        assert errors_of(client.get("/me", headers={"x-token": "t"})) == [
            (("query", "limit"), "missing")
        ]
    assert "handler" not in calls


# -- 2. per-request caching --------------------------------------------------------------------
def test_dependency_runs_once_per_request(interface: str) -> None:
    app = Application()
    counter = {"n": 0}

    def get_db() -> dict[str, int]:
        counter["n"] += 1
        return {"connection": counter["n"]}

    def repo_a(db: Annotated[dict, Depends(get_db)]) -> dict[str, int]:
        return db

    async def repo_b(db: Annotated[dict, Depends(get_db)]) -> dict[str, int]:
        return db

    @app.get("/cached")
    def cached(
        a: Annotated[dict, Depends(repo_a)],
        b: Annotated[dict, Depends(repo_b)],
        db: Annotated[dict, Depends(get_db)],
    ) -> dict[str, Any]:
        return {"a": a, "b": b, "db": db, "same": a is b is db}

    with TestClient(app, interface) as client:
        first = client.get("/cached").json()
        assert first == {
            "a": {"connection": 1},
            "b": {"connection": 1},
            "db": {"connection": 1},
            "same": True,
        }
        assert counter["n"] == 1
        second = client.get("/cached").json()
        assert second["a"] == second["b"] == second["db"] == {"connection": 2}
        assert counter["n"] == 2


def test_use_cache_false_runs_each_time(interface: str) -> None:
    app = Application()
    counter = {"n": 0}

    def next_id() -> int:
        counter["n"] += 1
        return counter["n"]

    def cached_user(i: Annotated[int, Depends(next_id)]) -> int:
        return i

    @app.get("/ids")
    def ids(
        a: Annotated[int, Depends(cached_user)],
        b: Annotated[int, Depends(next_id)],
        c: Annotated[int, Depends(next_id, use_cache=False)],
        d: Annotated[int, Depends(next_id, use_cache=False)],
    ) -> list[int]:
        return [a, b, c, d]

    with TestClient(app, interface) as client:
        assert client.get("/ids").json() == [1, 1, 2, 3]
        assert client.get("/ids").json() == [4, 4, 5, 6]
    assert counter["n"] == 6


def test_cached_generator_dependency_is_set_up_and_cleaned_once(interface: str) -> None:
    app = Application()
    log: list[str] = []

    async def session() -> AsyncIterator[str]:
        log.append("open")
        yield "session"
        log.append("close")

    def uses(s: Annotated[str, Depends(session)]) -> str:
        return s

    @app.get("/s")
    async def handler(
        a: Annotated[str, Depends(session)], b: Annotated[str, Depends(uses)]
    ) -> list[str]:
        log.append("handler")
        return [a, b]

    with TestClient(app, interface) as client:
        assert client.get("/s").json() == ["session", "session"]
        assert log == ["open", "handler", "close"]
        assert client.get("/s").json() == ["session", "session"]
    assert log == ["open", "handler", "close"] * 2


# -- 3. cleanup --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_generator_cleanup_runs_after_the_response_is_sent(interface: str, kind: str) -> None:
    app = Application()
    log: list[str] = []
    released = threading.Event()

    def sync_resource() -> Iterator[str]:
        log.append("setup")
        yield "res"
        # blocks until the test holds the response: if cleanup ran before sending, the
        # response would only arrive after this times out, and the log would show it
        released.wait(5)
        log.append("cleanup")

    async def async_resource() -> AsyncIterator[str]:
        log.append("setup")
        yield "res"
        await asyncio.to_thread(released.wait, 5)
        log.append("cleanup")

    resource = sync_resource if kind == "sync" else async_resource

    @app.get("/r")
    def handler(r: Annotated[str, Depends(resource)]) -> dict[str, str]:
        log.append("handler")
        return {"r": r}

    with TestClient(app, interface) as client, client.stream("GET", "/r") as response:
        assert response.status_code == 200
        log.append("response received")
        released.set()
        assert response.read() == b'{"r":"res"}'
    assert log == ["setup", "handler", "response received", "cleanup"]


def test_resource_stays_open_while_a_response_streams(interface: str) -> None:
    app = Application()

    def connection() -> Iterator[dict[str, bool]]:
        conn = {"open": True}
        yield conn
        conn["open"] = False

    @app.get("/stream")
    def stream(conn: Annotated[dict, Depends(connection)]) -> StreamingResponse:
        async def rows() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0)
                yield f"{i}:{'open' if conn['open'] else 'closed'};".encode()

        return StreamingResponse(rows(), media_type="text/plain")

    with TestClient(app, interface) as client:
        r = client.get("/stream")
    assert r.status_code == 200
    assert r.text == "0:open;1:open;2:open;"


def test_cleanup_in_reverse_order_of_setup(interface: str) -> None:
    app = Application()
    log: list[str] = []

    def first() -> Iterator[str]:
        log.append("setup first")
        yield "1"
        log.append("cleanup first")

    async def second(one: Annotated[str, Depends(first)]) -> AsyncIterator[str]:
        log.append("setup second")
        yield one + "2"
        log.append("cleanup second")

    def third() -> Iterator[str]:
        log.append("setup third")
        yield "3"
        log.append("cleanup third")

    @app.get("/order")
    async def order(
        two: Annotated[str, Depends(second)], three: Annotated[str, Depends(third)]
    ) -> str:
        log.append("handler")
        return two + three

    with TestClient(app, interface) as client:
        r = client.get("/order")
    assert r.text == "123"
    assert log == [
        "setup first",
        "setup second",
        "setup third",
        "handler",
        "cleanup third",
        "cleanup second",
        "cleanup first",
    ]


def make_transaction_app(log: list[str]) -> Application:
    """Routes whose generator dependencies log commit/rollback/finally."""
    app = Application()

    def sync_tx() -> Iterator[str]:
        log.append("begin sync")
        try:
            yield "sync"
        except HTTPException as exc:
            log.append(f"rollback sync: HTTPException {exc.status_code}")
            raise
        except Exception as exc:
            log.append(f"rollback sync: {type(exc).__name__} {exc}")
            raise
        else:
            log.append("commit sync")
        finally:
            log.append("finally sync")

    async def async_tx() -> AsyncIterator[str]:
        log.append("begin async")
        try:
            yield "async"
        except HTTPException as exc:
            log.append(f"rollback async: HTTPException {exc.status_code}")
            raise
        except Exception as exc:
            log.append(f"rollback async: {type(exc).__name__} {exc}")
            raise
        else:
            log.append("commit async")

    @app.get("/ok")
    def ok(a: Annotated[str, Depends(sync_tx)], b: Annotated[str, Depends(async_tx)]) -> str:
        return a + "+" + b

    @app.get("/conflict")
    async def conflict(
        a: Annotated[str, Depends(sync_tx)], b: Annotated[str, Depends(async_tx)]
    ) -> str:
        raise HTTPException(409, "already exists", headers={"x-reason": "duplicate"})

    @app.get("/crash")
    def crash(a: Annotated[str, Depends(sync_tx)], b: Annotated[str, Depends(async_tx)]) -> str:
        raise RuntimeError("database exploded at 10.0.0.5")

    def forbid() -> None:
        raise HTTPException(403, "not yours")

    @app.get("/forbidden")
    def forbidden(
        a: Annotated[str, Depends(sync_tx)],
        b: Annotated[str, Depends(async_tx)],
        _: Annotated[None, Depends(forbid)],
    ) -> str:
        log.append("handler ran")
        return "never"

    @app.get("/invalid")
    def invalid(a: Annotated[str, Depends(sync_tx)], n: int) -> str:
        log.append("handler ran")
        return "never"

    return app


def test_cleanup_commits_on_success(interface: str) -> None:
    log: list[str] = []
    with TestClient(make_transaction_app(log), interface) as client:
        r = client.get("/ok")
    assert r.status_code == 200
    assert r.text == "sync+async"
    assert log == ["begin sync", "begin async", "commit async", "commit sync", "finally sync"]


def test_handler_http_exception_is_thrown_into_generators(interface: str) -> None:
    log: list[str] = []
    with TestClient(make_transaction_app(log), interface) as client:
        r = client.get("/conflict")
    assert r.status_code == 409
    assert r.headers["x-reason"] == "duplicate"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "already exists"
    assert log == [
        "begin sync",
        "begin async",
        "rollback async: HTTPException 409",
        "rollback sync: HTTPException 409",
        "finally sync",
    ]


def test_handler_crash_is_thrown_into_generators_and_answers_500(interface: str) -> None:
    log: list[str] = []
    with TestClient(make_transaction_app(log), interface) as client:
        r = client.get("/crash")
    assert r.status_code == 500
    body = r.json()
    assert body["status"] == 500
    assert body["detail"] == GENERIC_500
    assert "10.0.0.5" not in r.text
    assert "traceback" not in body and "exception" not in body
    assert log == [
        "begin sync",
        "begin async",
        "rollback async: RuntimeError database exploded at 10.0.0.5",
        "rollback sync: RuntimeError database exploded at 10.0.0.5",
        "finally sync",
    ]


def test_dependency_error_is_thrown_into_earlier_generators(interface: str) -> None:
    log: list[str] = []
    with TestClient(make_transaction_app(log), interface) as client:
        r = client.get("/forbidden")
        assert r.status_code == 403
        assert r.json()["detail"] == "not yours"
        assert log == [
            "begin sync",
            "begin async",
            "rollback async: HTTPException 403",
            "rollback sync: HTTPException 403",
            "finally sync",
        ]
        log.clear()
        r = client.get("/invalid?n=x")
        assert errors_of(r) == [(("query", "n"), "int_parsing")]
        # Whether a dependency starts before the handler's own inputs are validated is not
        # promised; if it did start, the 422 was thrown into it (rolled back, not committed).
        assert log in ([], ["begin sync", "rollback sync: HTTPException 422", "finally sync"])


def get_within(client: TestClient, path: str, seconds: float = 5.0) -> Any:
    """``client.get(path)``, failing the test instead of hanging if no answer comes."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["response"] = client.get(path)
        except BaseException as exc:  # reported below
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"GET {path} got no answer within {seconds}s (hang)"
    if "error" in result:
        raise result["error"]
    return result["response"]


def test_stop_iteration_from_sync_code_is_a_500_not_a_hang(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Sync code runs in the thread pool; a StopIteration escaping it (a generator dependency
    that ends without yielding, ``next()`` on an exhausted iterator) must not hang the request."""
    caplog.set_level(logging.CRITICAL, logger="orionis")
    app = Application()
    log: list[str] = []

    def no_yield() -> Iterator[str]:
        if False:
            yield "never"

    async def no_yield_async() -> AsyncIterator[str]:
        if False:
            yield "never"

    def first_match() -> str:
        return next(iter([]))

    @app.get("/gen-no-yield-async")
    def route_async(x: Annotated[str, Depends(no_yield_async)]) -> str:
        return "handler ran"

    @app.get("/gen-no-yield")
    def route_sync(x: Annotated[str, Depends(no_yield)]) -> str:
        return "handler ran"

    @app.get("/dep-stop")
    def route_dep(x: Annotated[str, Depends(first_match)]) -> str:
        return "handler ran"

    @app.get("/handler-stop")
    def route_handler() -> str:
        return first_match()

    @app.get("/task-stop")
    def route_task(tasks: BackgroundTasks) -> str:
        tasks.add_task(first_match)
        tasks.add_task(log.append, "next task ran")
        return "queued"

    with TestClient(app, interface) as client:
        r = get_within(client, "/gen-no-yield-async")
        assert (r.status_code, r.json()["detail"]) == (500, GENERIC_500)
        for path in ("/gen-no-yield", "/dep-stop", "/handler-stop"):
            r = get_within(client, path, 3)
            assert r.status_code == 500, path
            assert r.json()["detail"] == GENERIC_500
        r = get_within(client, "/task-stop", 3)
        assert (r.status_code, r.text) == (200, "queued")
        assert log == ["next task ran"]


def test_generator_that_swallows_the_error_does_not_change_the_response(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    app = Application()
    log: list[str] = []

    def swallow() -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            log.append(f"swallowed {type(exc).__name__}")

    async def swallow_async() -> AsyncIterator[None]:
        try:
            yield
        except Exception as exc:
            log.append(f"swallowed async {type(exc).__name__}")

    @app.get("/crash")
    def crash(_: Annotated[None, Depends(swallow)], __: Annotated[None, Depends(swallow_async)]):
        raise ValueError("boom")

    @app.get("/missing")
    async def missing(
        _: Annotated[None, Depends(swallow)], __: Annotated[None, Depends(swallow_async)]
    ):
        raise HTTPException(404, "no such thing")

    with TestClient(app, interface) as client:
        r = client.get("/crash")
        assert r.status_code == 500
        assert r.json()["detail"] == GENERIC_500
        assert log == ["swallowed async ValueError", "swallowed ValueError"]
        log.clear()
        r = client.get("/missing")
        assert r.status_code == 404
        assert r.json()["detail"] == "no such thing"
        assert log == ["swallowed async HTTPException", "swallowed HTTPException"]
    # swallowing is not a cleanup failure
    assert cleanup_failures(caplog) == []


def test_generator_yielding_twice_is_logged_not_fatal(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    app = Application()
    log: list[str] = []

    def twice() -> Iterator[int]:
        yield 1
        log.append("sync resumed")
        yield 2
        log.append("never")

    async def twice_async() -> AsyncIterator[int]:
        yield 10
        log.append("async resumed")
        yield 20
        log.append("never")

    @app.get("/twice")
    def handler(a: Annotated[int, Depends(twice)], b: Annotated[int, Depends(twice_async)]):
        return {"a": a, "b": b}

    with TestClient(app, interface) as client:
        r = client.get("/twice")
        assert r.status_code == 200
        assert r.json() == {"a": 1, "b": 10}
        failures = cleanup_failures(caplog)
        assert [type(f) for f in failures] == [RuntimeError, RuntimeError]
        assert all("yielded more than once" in str(f) for f in failures)
        assert log == ["async resumed", "sync resumed"]
        # the server keeps serving
        assert client.get("/twice").json() == {"a": 1, "b": 10}
    assert len(cleanup_failures(caplog)) == 4


def test_cleanup_errors_are_logged_and_do_not_affect_the_response(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    app = Application()
    log: list[str] = []

    def healthy() -> Iterator[str]:
        try:
            yield "healthy"
        finally:
            log.append("healthy cleaned")

    def broken() -> Iterator[str]:
        yield "broken"
        raise ValueError("cleanup broke")

    async def broken_async() -> AsyncIterator[str]:
        yield "broken async"
        raise OSError("socket already closed")

    @app.get("/c")
    def handler(
        a: Annotated[str, Depends(healthy)],
        b: Annotated[str, Depends(broken)],
        c: Annotated[str, Depends(broken_async)],
    ) -> list[str]:
        return [a, b, c]

    @app.get("/c-error")
    def handler_error(a: Annotated[str, Depends(healthy)], b: Annotated[str, Depends(broken)]):
        raise HTTPException(418, "teapot")

    with TestClient(app, interface) as client:
        r = client.get("/c")
        assert r.status_code == 200
        assert r.json() == ["healthy", "broken", "broken async"]
        failures = cleanup_failures(caplog)
        assert [repr(f) for f in failures] == [
            "OSError('socket already closed')",
            "ValueError('cleanup broke')",
        ]
        assert log == ["healthy cleaned"]  # later cleanups still run
        r = client.get("/c-error")
        assert r.status_code == 418
        assert r.json()["detail"] == "teapot"
        assert log == ["healthy cleaned", "healthy cleaned"]
        # the thrown-in HTTPException was re-raised by broken(): not a failure
        assert len(cleanup_failures(caplog)) == 2


def test_background_tasks_run_after_response_and_before_cleanup(interface: str) -> None:
    app = Application()
    log: list[str] = []
    released = threading.Event()

    def task(name: str) -> None:
        released.wait(5)  # the test releases it once it holds the response
        log.append(f"task {name}")

    def resource(tasks: BackgroundTasks) -> Iterator[str]:
        log.append("setup")
        tasks.add_task(task, "from dependency")  # the same BackgroundTasks as the handler's
        yield "res"
        log.append("cleanup")

    @app.get("/bg")
    async def handler(r: Annotated[str, Depends(resource)], tasks: BackgroundTasks) -> str:
        log.append("handler")
        tasks.add_task(task, r)
        return "queued"

    with TestClient(app, interface) as client, client.stream("GET", "/bg") as response:
        assert response.status_code == 200
        log.append("response received")
        released.set()
        assert response.read() == b"queued"
    assert log == [
        "setup",
        "handler",
        "response received",
        "task from dependency",
        "task res",
        "cleanup",
    ]


# -- 4. route- and router-level dependencies ---------------------------------------------------
def test_router_and_route_dependencies_run_in_order(interface: str) -> None:
    app = Application()
    log: list[str] = []

    def outer() -> str:
        log.append("outer")
        return "outer value"

    async def inner() -> str:
        log.append("inner")
        return "inner value"

    def route_dep(tag: str = "none") -> Iterator[str]:
        log.append(f"route {tag}")
        yield "route value"
        log.append("route cleanup")

    def own() -> str:
        log.append("own")
        return "own value"

    outer_router = Router(prefix="/o", dependencies=[Depends(outer)])
    inner_router = Router(prefix="/i", dependencies=[Depends(inner)])

    @inner_router.get("/x", dependencies=[Depends(route_dep)])
    def x(value: Annotated[str, Depends(own)]) -> dict[str, str]:
        log.append("handler")
        return {"value": value}

    @inner_router.get("/kw", dependencies=[Depends(route_dep)])
    def kw(**extra: Any) -> dict[str, Any]:
        return {"extra": extra}

    outer_router.include_router(inner_router)
    app.include_router(outer_router)
    with TestClient(app, interface) as client:
        r = client.get("/o/i/x?tag=t1")
        assert r.json() == {"value": "own value"}
        assert log == ["outer", "inner", "route t1", "own", "handler", "route cleanup"]
        log.clear()
        # return values are discarded: nothing reaches the handler
        assert client.get("/o/i/kw").json() == {"extra": {}}
        assert log == ["outer", "inner", "route none", "route cleanup"]


def test_route_dependency_raising_401_stops_the_handler(interface: str) -> None:
    app = Application()
    called: list[str] = []

    def require_token(authorization: Annotated[str | None, Header()] = None) -> str:
        if authorization != "Bearer good":
            raise HTTPException(401, "bad token", headers={"www-authenticate": "Bearer"})
        return "user-1"

    @app.get("/secret", dependencies=[Depends(require_token)])
    def secret() -> dict[str, int]:
        called.append("secret")
        return {"secret": 42}

    admin = Router(prefix="/admin", dependencies=[Depends(require_token)])

    @admin.get("/panel")
    async def panel() -> str:
        called.append("panel")
        return "panel"

    @admin.get("/whoami")
    def whoami(user: Annotated[str, Depends(require_token)]) -> str:
        called.append("whoami")
        return user

    app.include_router(admin)
    with TestClient(app, interface) as client:
        for path in ("/secret", "/admin/panel"):
            r = client.get(path)
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["detail"] == "bad token"
            r = client.get(path, headers={"authorization": "Bearer nope"})
            assert r.status_code == 401
        assert called == []
        good = {"authorization": "Bearer good"}
        assert client.get("/secret", headers=good).json() == {"secret": 42}
        assert client.get("/admin/panel", headers=good).text == "panel"
        # the router's dependency and the handler's parameter share one (cached) call
        assert client.get("/admin/whoami", headers=good).text == "user-1"
        assert client.get("/admin/whoami").status_code == 401
        # overriding a route-level dependency (the usual way to bypass auth in tests)
        app.dependency_overrides[require_token] = lambda: "test-user"
        assert client.get("/secret").json() == {"secret": 42}
        assert client.get("/admin/whoami").text == "test-user"
        app.dependency_overrides.clear()
        assert client.get("/secret").status_code == 401
    assert called == ["secret", "panel", "whoami", "secret", "whoami"]


def test_route_dependencies_must_be_depends() -> None:
    app = Application()
    with pytest.raises(TypeError, match="dependencies must be Depends"):
        app.get("/x", lambda: "x", dependencies=[lambda: None])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="dependencies must be Depends"):
        Router(dependencies=["auth"])  # type: ignore[list-item]


# -- 5. overrides ------------------------------------------------------------------------------
def get_db() -> str:
    return "real-db"


def get_repo(db: Annotated[str, Depends(get_db)]) -> str:
    return f"repo({db})"


class DBController(Controller):
    def __init__(self, db: Annotated[str, Depends(get_db)]) -> None:
        self.db = db

    def show(self) -> dict[str, str]:
        return {"controller db": self.db}


def test_dependency_overrides_and_restoring_them(interface: str) -> None:
    app = Application()

    @app.get("/direct")
    def direct(db: Annotated[str, Depends(get_db)]) -> str:
        return db

    @app.get("/repo")
    async def repo(r: Annotated[str, Depends(get_repo)]) -> str:
        return r

    app.get("/controller", (DBController, "show"))

    def fake_db(level: int = 0, x_tenant: Annotated[str, Header()] = "shared") -> Iterator[str]:
        events.append("fake open")
        yield f"fake-db(level={level}, tenant={x_tenant})"
        events.append("fake close")

    events: list[str] = []
    with TestClient(app, interface) as client:
        assert client.get("/direct").text == "real-db"
        assert client.get("/repo").text == "repo(real-db)"
        assert client.get("/controller").json() == {"controller db": "real-db"}

        app.dependency_overrides[get_db] = fake_db
        assert client.get("/direct").text == "fake-db(level=0, tenant=shared)"
        r = client.get("/repo?level=3", headers={"x-tenant": "acme"})
        assert r.text == "repo(fake-db(level=3, tenant=acme))"
        r = client.get("/controller?level=2")
        assert r.json() == {"controller db": "fake-db(level=2, tenant=shared)"}
        assert events == ["fake open", "fake close"] * 3
        # the override's own parameters are validated like any other
        assert errors_of(client.get("/repo?level=high")) == [(("query", "level"), "int_parsing")]

        del app.dependency_overrides[get_db]
        assert client.get("/direct").text == "real-db"
        assert client.get("/repo?level=3").text == "repo(real-db)"
        assert client.get("/controller").json() == {"controller db": "real-db"}
    assert events == ["fake open", "fake close"] * 3


def test_overriding_a_dependency_of_a_dependency_only(interface: str) -> None:
    app = Application()

    async def current_user() -> str:
        return "alice"

    def is_admin(user: Annotated[str, Depends(current_user)]) -> bool:
        return user == "root"

    @app.get("/who")
    def who(
        user: Annotated[str, Depends(current_user)], admin: Annotated[bool, Depends(is_admin)]
    ) -> dict[str, Any]:
        return {"user": user, "admin": admin}

    with TestClient(app, interface) as client:
        assert client.get("/who").json() == {"user": "alice", "admin": False}
        app.dependency_overrides[current_user] = lambda: "root"
        assert client.get("/who").json() == {"user": "root", "admin": True}
        app.dependency_overrides.clear()
        assert client.get("/who").json() == {"user": "alice", "admin": False}


# -- 6. controllers ----------------------------------------------------------------------------
CONNECTIONS = {"n": 0}


def open_connection() -> dict[str, int]:
    CONNECTIONS["n"] += 1
    return {"id": CONNECTIONS["n"]}


def current_user(x_user: Annotated[str, Header()] = "guest") -> str:
    return x_user


class ItemController(Controller):
    created = 0

    def __init__(
        self,
        conn: Annotated[dict, Depends(open_connection)],
        user: Annotated[str, Depends(current_user)],
        lang: str = "en",
    ) -> None:
        ItemController.created += 1
        self.conn = conn
        self.user = user
        self.lang = lang
        self.hits = 0

    def show(self, item_id: int, conn: Annotated[dict, Depends(open_connection)]) -> dict:
        self.hits += 1
        return {
            "item": item_id,
            "user": self.user,
            "lang": self.lang,
            "conn": self.conn["id"],
            "shared": conn is self.conn,  # cached per request, shared with __init__
            "hits": self.hits,
            "instance": id(self),
        }

    async def create(self, name: str) -> tuple[dict, int]:
        self.hits += 1
        return {"created": name, "by": self.user, "hits": self.hits}, 201


class PathAwareController(Controller):
    """An ``__init__`` that takes only what a plain handler gets for free."""

    def __init__(self, request: Request, slug: str) -> None:
        self.where = f"{request.method} {slug}"

    async def show(self, slug: str) -> dict[str, str]:
        return {"where": self.where, "slug": slug}


def test_controller_init_taking_the_request_and_path_values(interface: str) -> None:
    app = Application()
    app.get("/pages/{slug}", (PathAwareController, "show"))
    with TestClient(app, interface) as client:
        assert client.get("/pages/home").json() == {"where": "GET home", "slug": "home"}


def test_controller_init_dependencies_and_instance_per_request(interface: str) -> None:
    app = Application()
    app.get("/items/{item_id:int}", (ItemController, "show"))
    app.post("/items", (ItemController, "create"))
    ItemController.created = 0
    CONNECTIONS["n"] = 0
    with TestClient(app, interface) as client:
        a = client.get("/items/7?lang=pt", headers={"x-user": "ana"}).json()
        b = client.get("/items/8").json()
        c = client.post("/items?name=pen", headers={"x-user": "bo"})
        assert c.status_code == 201
        assert c.json() == {"created": "pen", "by": "bo", "hits": 1}
        assert errors_of(client.post("/items")) == [(("query", "name"), "missing")]
    assert a["item"] == 7 and a["user"] == "ana" and a["lang"] == "pt" and a["conn"] == 1
    assert b["item"] == 8 and b["user"] == "guest" and b["lang"] == "en" and b["conn"] == 2
    assert a["shared"] is True and b["shared"] is True
    assert a["hits"] == b["hits"] == 1  # a fresh instance every request
    assert ItemController.created == 3  # the invalid request built none


# -- 7. responses ------------------------------------------------------------------------------
class UserOut(pydantic.BaseModel):
    id: int
    name: str


class UserRecord:
    """An ORM-like object: read through ``from_attributes``."""

    def __init__(self, id: int, name: str, password: str) -> None:
        self.id = id
        self.name = name
        self.password = password


def make_response_app() -> Application:
    app = Application()
    secret = {"id": 1, "name": "ana", "password": "hunter2"}

    @app.get("/model-dict", response_model=UserOut)
    def model_dict() -> dict:
        return dict(secret)

    @app.get("/model-object", response_model=UserOut)
    async def model_object() -> Any:
        return UserRecord(2, "bo", "s3cret")

    @app.get("/annotated")
    def annotated() -> UserOut:
        return dict(secret)  # type: ignore[return-value]

    @app.get("/annotated-list")
    def annotated_list() -> list[UserOut]:
        return [dict(secret), UserRecord(2, "bo", "s3cret")]  # type: ignore[list-item]

    @app.post("/annotated-tuple")
    def annotated_tuple() -> tuple[UserOut, int]:
        return dict(secret), 201  # type: ignore[return-value]

    @app.get("/unfit")
    def unfit() -> UserOut:
        return {"id": "not-a-number-ssn-123", "name": "x"}  # type: ignore[return-value]

    @app.post("/created", status_code=201)
    def created() -> dict[str, bool]:
        return {"created": True}

    @app.post("/created-tuple", status_code=201)
    def created_tuple() -> Any:
        return {"created": False}, 200

    @app.post("/created-model", status_code=201, response_model=UserOut)
    def created_model() -> dict:
        return dict(secret)

    @app.post("/accepted", status_code=202)
    def accepted() -> None:
        return None

    @app.post("/created-response", status_code=201)
    def created_response() -> JSONResponse:
        return JSONResponse({"as": "is"}, status_code=200)

    @app.get("/no-inference", response_model=None)
    def no_inference() -> UserOut:
        return dict(secret)  # type: ignore[return-value]

    return app


def test_response_model_filters_dicts_and_objects(interface: str) -> None:
    with TestClient(make_response_app(), interface) as client:
        r = client.get("/model-dict")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"id": 1, "name": "ana"}
        assert client.get("/model-object").json() == {"id": 2, "name": "bo"}
        assert "hunter2" not in client.get("/model-dict").text


def test_return_annotation_is_the_response_model(interface: str) -> None:
    with TestClient(make_response_app(), interface) as client:
        assert client.get("/annotated").json() == {"id": 1, "name": "ana"}
        assert client.get("/annotated-list").json() == [
            {"id": 1, "name": "ana"},
            {"id": 2, "name": "bo"},
        ]
        r = client.post("/annotated-tuple")
        assert r.status_code == 201
        assert r.json() == {"id": 1, "name": "ana"}
        # response_model=None switches inference off: the dict goes out as returned
        assert client.get("/no-inference").json() == {"id": 1, "name": "ana", "password": "hunter2"}


def test_data_not_fitting_the_model_is_a_500_without_internals(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    with TestClient(make_response_app(), interface) as client:
        r = client.get("/unfit")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["detail"] == GENERIC_500
    assert set(body) == {"type", "title", "status", "detail"}
    for leak in ("ssn-123", "UserOut", "int_parsing", "validation"):
        assert leak not in r.text
    assert any(
        rec.exc_info and "does not match its response model" in str(rec.exc_info[1])
        for rec in caplog.records
    )


def test_route_status_code(interface: str) -> None:
    with TestClient(make_response_app(), interface) as client:
        r = client.post("/created")
        assert (r.status_code, r.json()) == (201, {"created": True})
        r = client.post("/created-tuple")  # an explicit status wins
        assert (r.status_code, r.json()) == (200, {"created": False})
        r = client.post("/created-model")
        assert (r.status_code, r.json()) == (201, {"id": 1, "name": "ana"})
        r = client.post("/accepted")
        assert r.status_code == 202
        assert r.content == b""
        r = client.post("/created-response")  # a Response goes out as is
        assert (r.status_code, r.json()) == (200, {"as": "is"})


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Shipment(pydantic.BaseModel):
    id: uuid.UUID
    at: datetime.datetime
    day: datetime.date
    price: Decimal
    color: Color
    origin: Point


SHIPMENT_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
SHIPMENT_JSON = {
    "id": "12345678-1234-5678-1234-567812345678",
    "at": "2026-01-02T03:04:05",
    "day": "2026-01-02",
    "price": "19.90",
    "color": "red",
    "origin": {"x": 1, "y": -2},
}


def test_serialisation_of_common_types(interface: str) -> None:
    app = Application()
    values = {
        "id": SHIPMENT_ID,
        "at": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "day": datetime.date(2026, 1, 2),
        "price": Decimal("19.90"),
        "color": Color.RED,
        "origin": Point(1, -2),
    }

    @app.get("/plain")
    def plain() -> dict[str, Any]:
        return dict(values)

    @app.get("/model")
    def model() -> Shipment:
        return Shipment(**values)

    @app.get("/model-from-dict")
    def model_from_dict() -> Shipment:
        return {**values, "internal": "x"}  # type: ignore[return-value]

    @app.get("/dataclass")
    def dataclass_() -> Point:
        return Point(5, 6)

    with TestClient(app, interface) as client:
        for path in ("/plain", "/model", "/model-from-dict"):
            r = client.get(path)
            assert r.status_code == 200, path
            assert r.headers["content-type"] == "application/json"
            assert r.json() == SHIPMENT_JSON, path
        assert client.get("/dataclass").json() == {"x": 5, "y": 6}


# -- 8. executor="process" ---------------------------------------------------------------------
def test_process_executor_runs_in_another_process(interface: str) -> None:
    app = Application(process_workers=1)
    app.get("/who/{n:int}", process_jobs.whoami, executor="process")
    app.get("/sum", process_jobs.cpu_sum, executor="process")
    app.get("/fail/{code:int}", process_jobs.fail, executor="process")
    app.get("/here", lambda: {"pid": os.getpid()})
    assert app.process_pool is None  # created at startup
    with TestClient(app, interface) as client:
        assert app.process_pool is not None
        r = client.get("/who/21?word=ab&times=3", headers={"x-tenant": "acme"})
        assert r.status_code == 200
        data = r.json()
        assert data["pid"] != os.getpid()
        assert {k: v for k, v in data.items() if k != "pid"} == {
            "n": 21,
            "word": "ababab",
            "owner": "tenant:acme",
            "double": 42,
        }
        again = client.get("/who/1?word=z").json()
        assert again["pid"] == data["pid"]  # one worker
        assert again["owner"] == "tenant:public" and again["word"] == "zz"
        assert client.get("/sum?limit=1000").json() == {
            "pid": data["pid"],
            "sum": sum(i * i for i in range(1000)),
        }
        assert client.get("/here").json() == {"pid": os.getpid()}
        # exceptions raised in the worker come back: HTTPException status, else a plain 500
        r = client.get("/fail/404")
        assert (r.status_code, r.json()["detail"]) == (404, "worker says 404")
        r = client.get("/fail/0")
        assert (r.status_code, r.json()["detail"]) == (500, GENERIC_500)
        assert "deadbeef" not in r.text
        assert client.get("/who/2?word=y").json()["pid"] == data["pid"]  # the pool survives
        # validation happens before the pool is involved
        assert errors_of(client.get("/who/1")) == [(("query", "word"), "missing")]
    assert app.process_pool is None  # shut down with the application


def test_a_dead_process_worker_costs_one_request_not_the_pool(interface: str) -> None:
    app = Application(process_workers=1)
    app.get("/who/{n:int}", process_jobs.whoami, executor="process")
    app.get("/die", process_jobs.die, executor="process")
    with TestClient(app, interface) as client:
        first = client.get("/who/1?word=a").json()["pid"]
        r = client.get("/die")
        assert (r.status_code, r.json()["detail"]) == (500, GENERIC_500)
        r = client.get("/who/1?word=a")  # a fresh pool, with a fresh worker
        assert r.status_code == 200
        assert r.json()["pid"] not in (first, os.getpid())
    assert app.process_pool is None


def test_process_pool_is_created_on_first_use_without_lifespan(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Servers that skip the lifespan (``lifespan="off"``) still get a working pool."""
    app = Application(process_workers=1)
    app.get("/sum", process_jobs.cpu_sum, executor="process")
    client = TestClient(app, interface)  # no ``with``: no lifespan
    try:
        assert client.get("/sum?limit=10").json()["sum"] == 285
        assert app.process_pool is not None
        assert "lifespan did not run" in caplog.text
    finally:
        client.close()
        app._close_process_pool()


def test_process_executor_refuses_what_cannot_be_pickled() -> None:
    app = Application()

    def nested() -> str:
        return "nested"

    with pytest.raises(TypeError, match="lambda or nested function"):
        app.get("/lambda", lambda: "x", executor="process")
    with pytest.raises(TypeError, match="lambda or nested function"):
        app.get("/nested", nested, executor="process")
    with pytest.raises(TypeError, match="plain sync function"):
        app.get("/async", process_jobs.async_job, executor="process")
    with pytest.raises(TypeError, match="plain sync function"):
        app.get("/controller", (DBController, "show"), executor="process")
    with pytest.raises(ValueError, match="executor must be"):
        app.get("/bad", process_jobs.cpu_sum, executor="fork")  # type: ignore[arg-type]
    refused = {"/lambda", "/nested", "/async", "/controller", "/bad"}
    assert refused.isdisjoint(e.path for e in app.route_table.entries)


@pytest.mark.parametrize(
    ("job", "name"), [(process_jobs.takes_request, "request"), (process_jobs.takes_tasks, "tasks")]
)
def test_process_handlers_taking_request_objects_fail_at_startup(
    interface: str, job: Any, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="orionis")
    app = Application(process_workers=1)
    app.get("/job", job, executor="process")  # accepted at registration...
    with (  # ...refused when the route table is built at startup
        pytest.raises(LifespanError, match=f"cannot take '{name}'"),
        TestClient(app, interface),
    ):
        pass
    assert app.process_pool is None


# -- 9. background tasks -----------------------------------------------------------------------
class AsyncNotifier:
    """A callable instance whose ``__call__`` is async (not a coroutine function itself)."""

    def __init__(self, log: list[Any]) -> None:
        self.log = log

    async def __call__(self, who: str) -> None:
        await asyncio.sleep(0)
        self.log.append(("notifier", who))


def test_background_tasks_order_arguments_and_failures(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    app = Application()
    log: list[Any] = []

    def sync_task(a: int, b: int, *, c: int) -> None:
        log.append(("sync", a, b, c, threading.current_thread() is threading.main_thread()))

    async def async_task(x: str, *, y: str = "default") -> None:
        await asyncio.sleep(0)
        log.append(("async", x, y))

    def failing(reason: str) -> None:
        raise RuntimeError(reason)

    async def failing_async() -> None:
        raise LookupError("async task broke")

    @app.post("/signup")
    async def signup(tasks: BackgroundTasks) -> dict[str, int]:
        tasks.add_task(sync_task, 1, 2, c=3)
        tasks.add_task(async_task, "x", y="z")
        tasks.add_task(failing, "task broke")
        tasks.add_task(async_task, "after failure")
        tasks.add_task(failing_async)
        tasks.add_task(AsyncNotifier(log), who="ana")
        return {"queued": len(tasks.tasks)}

    with TestClient(app, interface) as client:
        r = client.post("/signup")
        assert r.status_code == 200
        assert r.json() == {"queued": 6}
        assert log == [
            ("sync", 1, 2, 3, False),
            ("async", "x", "z"),
            ("async", "after failure", "default"),
            ("notifier", "ana"),
        ]
        failures = [
            rec.exc_info[1]
            for rec in caplog.records
            if rec.getMessage().startswith("background task") and rec.exc_info
        ]
        assert [repr(f) for f in failures] == [
            "RuntimeError('task broke')",
            "LookupError('async task broke')",
        ]
        # the next request has its own, empty task list
        log.clear()
        assert client.post("/signup").json() == {"queued": 6}
        assert len(log) == 4


def test_add_task_refuses_non_callables() -> None:
    tasks = BackgroundTasks()
    with pytest.raises(TypeError, match="needs a callable"):
        tasks.add_task("send_email")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a callable"):
        tasks.add_task(None)  # type: ignore[arg-type]
    assert tasks.tasks == []


def test_add_task_error_inside_a_handler(interface: str) -> None:
    app = Application()

    @app.get("/bad-task")
    def bad_task(tasks: BackgroundTasks) -> str:
        try:
            tasks.add_task(42)  # type: ignore[arg-type]
        except TypeError as exc:
            return f"refused: {exc}"
        return "accepted"

    with TestClient(app, interface) as client:
        assert client.get("/bad-task").text == "refused: add_task() needs a callable, got 42"


def test_request_is_available_to_dependencies(interface: str) -> None:
    app = Application()

    def client_path(request: Request) -> str:
        return f"{request.method} {request.path}"

    @app.get("/where/{x}")
    def where(x: str, here: Annotated[str, Depends(client_path)]) -> dict[str, str]:
        return {"x": x, "here": here}

    with TestClient(app, interface) as client:
        assert client.get("/where/abc").json() == {"x": "abc", "here": "GET /where/abc"}


def test_invalid_input_means_no_dependency_runs(interface: str) -> None:
    """Every input is validated before any dependency is called: a 422 has no side effects."""
    log: list[str] = []

    async def transaction() -> AsyncIterator[str]:
        log.append("begin")
        yield "tx"
        log.append("commit")

    class Repo(Controller):
        def __init__(self, tx: Annotated[str, Depends(transaction)]) -> None:
            self.tx = tx

        async def save(self, count: Annotated[int, Query(ge=1)]) -> dict:
            return {"tx": self.tx, "count": count}

    app = Application()

    @app.post("/save")
    async def save(tx: Annotated[str, Depends(transaction)], count: Annotated[int, Query(ge=1)]):
        return {"tx": tx, "count": count}

    app.post("/repo", (Repo, "save"))
    with TestClient(app, interface) as client:
        for path in ("/save", "/repo"):
            assert client.post(f"{path}?count=0").status_code == 422
            assert log == []
            assert client.post(f"{path}?count=2").json() == {"tx": "tx", "count": 2}
            assert log == ["begin", "commit"]
            log.clear()


def test_background_tasks_of_a_failed_request_are_dropped(interface: str) -> None:
    ran: list[str] = []
    app = Application()

    @app.post("/fail")
    async def fail(tasks: BackgroundTasks) -> None:
        tasks.add_task(ran.append, "email")
        raise HTTPException(400, "nope")

    @app.post("/ok")
    async def ok(tasks: BackgroundTasks) -> None:
        tasks.add_task(ran.append, "email")

    with TestClient(app, interface) as client:
        assert client.post("/fail").status_code == 400
        assert ran == []
        assert client.post("/ok").status_code == 204
    assert ran == ["email"]
