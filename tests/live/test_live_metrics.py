"""Issue 15, item 3: /metrics under ``granian --workers 2`` counts every worker's requests
(prometheus-client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live.servers import granian_workers

pytestmark = pytest.mark.live

MAX_REQUESTS = 2000  # bound: stop once both workers answered, or here


@pytest.fixture(params=["granian-rsgi", "granian-asgi"])
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def two_workers(server: str, tmp_path: pathlib.Path) -> Iterator[str]:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with granian_workers(server, "tests.live.metrics_app:app", tmp_path / "events.log", env) as url:
        yield url


def total(text: str, route: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "orionis_http_requests_total" and sample.labels["route"] == route
    )


def test_metrics_total_every_worker(two_workers: str) -> None:
    def one(n: int) -> int:
        # a new connection each time, so the kernel may hand it to either worker
        response = httpx.get(f"{two_workers}/pid/{n}", headers={"connection": "close"}, timeout=10)
        assert response.status_code == 200
        return response.json()["pid"]

    pids: set[int] = set()
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while len(pids) < 2 and sent < MAX_REQUESTS:
            pids.update(pool.map(one, range(sent, sent + 40)))
            sent += 40
    assert len(pids) == 2, f"all {sent} requests landed on one worker"
    scrapes = [
        httpx.get(f"{two_workers}/metrics", headers={"connection": "close"}, timeout=10)
        for _ in range(4)
    ]
    for scrape in scrapes:  # whichever worker answers, it reports both workers' requests
        assert scrape.status_code == 200
        assert total(scrape.text, "/pid/{n:int}") == sent
