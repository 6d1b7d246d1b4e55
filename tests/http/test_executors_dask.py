"""A real Dask cluster as the process executor (issue 12.7), under both interfaces.

One ``distributed.LocalCluster`` (one worker process, one thread, on 127.0.0.1, no
dashboard) is started for the module and closed at its end; the app gets
``Client(cluster).get_executor(pure=False)``. Handlers run in the Dask worker's process,
parameters are validated in the server process (a 422 never reaches the cluster), and a
worker the cluster gives up on is a logged 503.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster

from orionis import Application
from orionis.executors import UNAVAILABLE
from orionis.testing import TestClient
from tests.http import executor_jobs, process_jobs
from tests.http.executor_jobs import Counting

GENERIC_500 = "The server failed to handle this request."


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    # allowed-failures 0: a task whose worker dies is given up at once (KilledWorker), not
    # retried on the restarted worker (read when the scheduler starts)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            timeout=120,  # a safety net for a loaded machine, never a timing assertion
        )
    client = Client(cluster, timeout=120)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_dask_runs_process_routes_in_its_worker(interface: str, dask_client: Client) -> None:
    counting = Counting(dask_client.get_executor(pure=False))
    app = Application(process_executor=counting)
    app.get("/who/{n:int}", process_jobs.whoami, executor="process")
    app.get("/fail/{code:int}", process_jobs.fail, executor="process")
    worker_pids = set(dask_client.run(os.getpid).values())
    with TestClient(app, interface) as client:
        r = client.get("/who/21?word=ab&times=3", headers={"x-tenant": "acme"})
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        assert data["pid"] != os.getpid() and data["pid"] in worker_pids
        assert {k: v for k, v in data.items() if k != "pid"} == {
            "n": 21,
            "word": "ababab",
            "owner": "tenant:acme",
            "double": 42,
        }
        assert len(counting.futures) == 1
        # validated in the server process: the cluster is never asked
        r = client.get("/who/1")
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["query", "word"]
        assert client.get("/who/1?word=a&times=many").status_code == 422
        assert len(counting.futures) == 1
        r = client.get("/fail/409")
        assert (r.status_code, r.json()["detail"]) == (409, "worker says 409")
        r = client.get("/fail/0")
        assert (r.status_code, r.json()["detail"]) == (500, GENERIC_500)
        assert "deadbeef" not in r.text
        # pure=False: the same request runs again rather than returning a cached result
        assert client.get("/who/2?word=z").json()["owner"] == "tenant:public"
        assert client.get("/who/2?word=z").status_code == 200
        assert len(counting.futures) == 5
    assert not counting.shut
    assert dask_client.submit(os.getpid, pure=False).result(timeout=120) in worker_pids


def test_a_route_can_name_the_dask_executor(interface: str, dask_client: Client) -> None:
    app = Application()
    app.get("/mine/{n:int}", executor_jobs.where, executor=dask_client.get_executor(pure=False))
    with TestClient(app, interface) as client:
        r = client.get("/mine/3?word=hi")
        assert r.status_code == 200, r.text
        assert r.json()["n"] == 3 and r.json()["pid"] != os.getpid()
        assert app.process_pool is None


def test_handler_parameters_named_like_dask_options_stay_the_handlers(
    interface: str, dask_client: Client
) -> None:
    app = Application(process_executor=dask_client.get_executor(pure=False))
    app.get("/names", executor_jobs.dask_names, executor="process")
    with TestClient(app, interface) as client:
        r = client.get("/names?pure=no&workers=7&key=k1&retries=2")
        assert r.status_code == 200, r.text
        assert r.json() == {"pure": "no", "workers": 7, "key": "k1", "retries": 2}
        assert client.get("/names?pure=no&workers=many&key=k").status_code == 422


def test_a_task_that_kills_dask_workers_is_a_logged_503(
    interface: str, dask_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The cluster gives up on a task whose worker died (KilledWorker): a 503. The nanny
    restarts the worker, and the app serves on."""
    caplog.set_level(logging.ERROR, logger="orionis")
    assert dask_client.cluster.scheduler.allowed_failures == 0
    app = Application(process_executor=dask_client.get_executor(pure=False))
    app.get("/die", process_jobs.die, executor="process")
    app.get("/who/{n:int}", process_jobs.whoami, executor="process")
    with TestClient(app, interface) as client:
        r = client.get("/die")
        assert (r.status_code, r.json()["detail"]) == (503, UNAVAILABLE)
        assert r.headers["content-type"] == "application/problem+json"
        assert "KilledWorker" in caplog.text and "failed to run it" in caplog.text
        dask_client.wait_for_workers(1, timeout=120)
        r = client.get("/who/1?word=a")
        assert r.status_code == 200, r.text
