"""A Dask-backed ``executor="process"`` route under real servers (issue 12.7).

The test starts a ``LocalCluster`` on 127.0.0.1 (one worker process, no dashboard); the
server (tests/live/dask_app.py) connects to its scheduler. The handler runs in the Dask
worker, and a request that fails validation gets its 422 from the server.
"""

from __future__ import annotations

import os
import pathlib
import signal
from collections.abc import Iterator

import httpx
import pytest
from distributed import Client, LocalCluster

from tests.live.servers import KINDS, Server, start

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    running = LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        timeout=120,  # a safety net for a loaded machine
    )
    yield running
    running.close()


@pytest.fixture(scope="module", params=KINDS)
def live(
    request: pytest.FixtureRequest, cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log: pathlib.Path = tmp_path_factory.mktemp(f"{request.param}-dask") / "events.log"
    env = {"ORIONIS_DASK_SCHEDULER": cluster.scheduler_address}
    running = start(request.param, "tests.live.dask_app:app", log, env)
    yield running
    # a clean stop (the client closed by the shutdown hook); uvicorn re-raises the SIGTERM
    assert running.terminate() in (0, -signal.SIGTERM)
    output = running.output()
    assert "Traceback" not in output, output


def test_a_dask_backed_route_runs_in_the_cluster(live: Server, cluster: LocalCluster) -> None:
    with Client(cluster, timeout=120) as client:
        worker_pids = set(client.run(os.getpid).values())
    with httpx.Client(base_url=live.url, timeout=120) as http:
        server_pid = http.get("/health").json()["pid"]
        r = http.get("/who/4?word=ab", headers={"x-tenant": "acme"})
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["pid"] in worker_pids and data["pid"] != server_pid
        assert (data["word"], data["owner"], data["double"]) == ("abab", "tenant:acme", 8)
        r = http.get("/who/4")  # validated by the server (a missing query value)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
