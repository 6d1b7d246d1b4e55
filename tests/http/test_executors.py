"""User-supplied executors (issue 12.7): ``Application(process_executor=...)`` and a route's
``executor=<concurrent.futures.Executor>``, under both interfaces.

Parameters are validated in the server process (a 422 never reaches the executor), handlers
run elsewhere, their exceptions come back as from any handler, an executor that fails is a
logged 503, a client leaving cancels the wait (and the future), and Orionis never shuts the
user's executor down. The default local pool is covered in test_dependencies.py.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import httpx
import pytest

from orionis import Application
from orionis.exceptions import LifespanError
from orionis.executors import UNAVAILABLE
from orionis.testing import TestClient
from tests.http import executor_jobs, process_jobs
from tests.http.executor_jobs import Counting

GENERIC_500 = "The server failed to handle this request."


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """One user-owned pool for the module (spawn: the test process runs threads)."""
    executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


def fresh_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))


def problem_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["detail"]


def test_the_app_executor_runs_process_routes_and_is_left_running(
    interface: str, pool: ProcessPoolExecutor
) -> None:
    counting = Counting(pool)
    app = Application(process_executor=counting)
    app.get("/who/{n:int}", process_jobs.whoami, executor="process")
    app.get("/fail/{code:int}", process_jobs.fail, executor="process")
    app.get("/here", lambda: {"pid": os.getpid()})
    assert app.process_executor is counting
    with TestClient(app, interface) as client:
        assert app.process_pool is None  # no local pool is made
        r = client.get("/who/21?word=ab&times=3", headers={"x-tenant": "acme"})
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["pid"] != os.getpid()
        assert data["owner"] == "tenant:acme" and data["word"] == "ababab"
        assert len(counting.futures) == 1
        # validation (path, query) happens here, the executor is never asked
        assert problem_of(client.get("/who/1"), 422)
        assert problem_of(client.get("/who/x?word=a"), 404)  # {n:int} does not match
        assert client.get("/who/1?word=a&times=zz").status_code == 422
        assert len(counting.futures) == 1
        # the handler's own exceptions: its HTTPException status, else a generic 500
        assert problem_of(client.get("/fail/409"), 409) == "worker says 409"
        r = client.get("/fail/0")
        assert problem_of(r, 500) == GENERIC_500
        assert "deadbeef" not in r.text
        assert client.get("/here").json() == {"pid": os.getpid()}
    assert not counting.shut  # the user's executor: never shut down by Orionis
    assert pool.submit(os.getpid).result(timeout=60) == data["pid"]


def test_a_route_executor_overrides_the_local_pool(
    interface: str, pool: ProcessPoolExecutor
) -> None:
    counting = Counting(pool)
    app = Application(process_workers=1)
    app.get("/mine/{n:int}", executor_jobs.where, executor=counting)
    with TestClient(app, interface) as client:
        r = client.get("/mine/5?word=hi")
        assert r.status_code == 200, r.text
        assert r.json()["n"] == 5 and r.json()["word"] == "hi"
        assert r.json()["pid"] != os.getpid()
        assert client.get("/mine/5?word=hi&word=ho").status_code == 200  # last one wins
        assert len(counting.futures) == 2
        assert app.process_pool is None  # no executor="process" route: no local pool
    assert not counting.shut


def test_an_unpicklable_result_or_exception_is_the_handlers_500(
    interface: str, pool: ProcessPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    app = Application(process_executor=pool)
    app.get("/gen", executor_jobs.generator, executor="process")
    app.get("/exc", executor_jobs.raise_unpicklable, executor="process")
    with TestClient(app, interface) as client:
        assert problem_of(client.get("/gen"), 500) == GENERIC_500
        r = client.get("/exc")
        assert problem_of(r, 500) == GENERIC_500
        assert "feedface" not in r.text
    assert "does not pickle" in caplog.text
    assert "Unpicklable (unpicklable)" in caplog.text
    assert "failed to run it" not in caplog.text  # the executor did its job


def test_a_broken_user_executor_is_a_logged_503_not_a_dead_worker(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    broken = fresh_pool()
    try:
        app = Application(process_executor=broken)
        app.get("/die", process_jobs.die, executor="process")
        app.get("/who/{n:int}", process_jobs.whoami, executor="process")
        app.get("/here", lambda: {"pid": os.getpid()})
        with TestClient(app, interface) as client:
            assert problem_of(client.get("/die"), 503) == UNAVAILABLE
            assert "BrokenProcessPool" in caplog.text and "failed to run it" in caplog.text
            # the user's executor stays broken (it is theirs to replace): 503 again, at once
            assert problem_of(client.get("/who/1?word=a"), 503) == UNAVAILABLE
            assert client.get("/here").json() == {"pid": os.getpid()}  # the server serves on
            app.process_executor = pool_ok = fresh_pool()  # replaced by its owner
            try:
                assert client.get("/who/1?word=a").json()["pid"] != os.getpid()
            finally:
                pool_ok.shutdown(wait=True)
    finally:
        broken.shutdown(wait=True)


def test_an_executor_that_refuses_work_or_cancels_it_is_a_503(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="orionis")
    closed = ThreadPoolExecutor(1)
    closed.shutdown()

    class Cancelling(Executor):
        """Cancels every task it is given, as an executor shut down with cancel_futures."""

        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            cancelled: Future[object] = Future()
            cancelled.cancel()
            return cancelled

    app = Application()
    app.get("/closed/{n:int}", executor_jobs.where, executor=closed)
    app.get("/cancelled/{n:int}", executor_jobs.where, executor=Cancelling())
    with TestClient(app, interface) as client:
        assert problem_of(client.get("/closed/1"), 503) == UNAVAILABLE
        assert "cannot schedule new futures" in caplog.text
        assert problem_of(client.get("/cancelled/1"), 503) == UNAVAILABLE
        assert "the executor cancelled the task" in caplog.text


def test_a_client_leaving_cancels_the_wait_and_the_future(interface: str) -> None:
    """The awaiting coroutine is cancelled and the future's cancel() is attempted: here the
    task is still queued (the one thread is busy), so it never runs."""
    leave = asyncio.Event()
    inner = ThreadPoolExecutor(1)
    executor_jobs.BLOCK.clear()
    busy = inner.submit(executor_jobs.blocker)  # holds the only thread
    counting = Counting(inner, on_submit=leave.set)  # the client hangs up once submitted
    app = Application()
    app.get("/slow/{n:int}", executor_jobs.where, executor=counting)
    try:
        with TestClient(app, interface) as client:
            with pytest.raises(httpx.ReadError):
                client.get("/slow/1", extensions={"orionis": {"disconnect": leave}})
            assert len(counting.futures) == 1
            assert counting.futures[0].cancelled()
            executor_jobs.BLOCK.set()
            busy.result(timeout=60)
            leave.clear()
            counting.on_submit = None
            assert client.get("/slow/2").json()["n"] == 2  # the executor serves on
    finally:
        executor_jobs.BLOCK.set()
        inner.shutdown(wait=True)


def test_user_executor_options_are_checked() -> None:
    with pytest.raises(TypeError, match=r"process_executor must be None .* or a concurrent"):
        Application(process_executor="dask")  # type: ignore[arg-type]
    executor = ThreadPoolExecutor(1)
    with pytest.raises(ValueError, match=r"process_workers .* or process_executor .* not both"):
        Application(process_workers=2, process_executor=executor)
    app = Application()
    with pytest.raises(TypeError, match="process_executor must be"):
        app.process_executor = object()  # type: ignore[assignment]
    try:
        with pytest.raises(ValueError, match="executor must be 'thread', 'process' or a"):
            app.get("/bad", executor_jobs.where, executor=object())  # type: ignore[arg-type]
        # the process rules hold for any executor given as an instance
        with pytest.raises(TypeError, match="lambda or nested function"):
            app.get("/lambda", lambda: "x", executor=executor)
        with pytest.raises(TypeError, match="plain sync function"):
            app.get("/async", process_jobs.async_job, executor=executor)
    finally:
        executor.shutdown()


@pytest.mark.parametrize("job", [process_jobs.takes_request, process_jobs.takes_tasks])
def test_user_executor_handlers_taking_request_objects_fail_at_startup(
    interface: str, job: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="orionis")
    executor = Counting(ThreadPoolExecutor(1))
    try:
        app = Application()
        app.get("/job", job, executor=executor)  # type: ignore[arg-type]
        with (
            pytest.raises(LifespanError, match="executor=<Counting> handlers cannot take"),
            TestClient(app, interface),
        ):
            pass
        assert executor.futures == []
    finally:
        executor.inner.shutdown()
