"""Issue 15, item 5: liveness and readiness, failing during startup and after shutdown begins."""

from __future__ import annotations

import asyncio
import threading

import pytest

from orionis import Application, Lifespan
from orionis.testing import TestClient


def probe(app: Application, interface: str, path: str) -> tuple[int, dict]:
    """A request from outside the lifespan (a second client, its own loop), as a load
    balancer's probe arriving while the worker starts or stops."""
    result: list[tuple[int, dict]] = []

    def run() -> None:  # its own thread: the caller may be inside a running event loop
        client = TestClient(app, interface=interface)
        try:
            response = client.get(path)
            result.append((response.status_code, response.json()))
        finally:
            client.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result[0]


def test_liveness_and_readiness_while_serving(interface: str) -> None:
    app = Application()
    calls: list[str] = []

    def sync_ok() -> bool:
        calls.append("sync")
        return True

    async def async_ok() -> None:  # None counts as passing
        calls.append("async")

    app.add_health_route("/healthz", checks=[sync_ok, async_ok])
    with TestClient(app, interface=interface) as client:
        live = client.get("/healthz")
        ready = client.get("/healthz/ready")
        head = client.head("/healthz/ready")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"sync_ok": "ok", "async_ok": "ok"}}
    assert ready.headers["cache-control"] == "no-store"
    assert head.status_code == 200 and head.content == b""
    assert sorted(calls) == ["async", "async", "sync", "sync"]
    assert "/healthz" not in str(app.openapi()["paths"])


def test_readiness_fails_during_startup_and_after_shutdown_begins(interface: str) -> None:
    app = Application()
    app.add_health_route("/healthz")
    seen: dict[str, tuple[int, dict]] = {}

    def during_startup() -> None:
        seen["startup"] = probe(app, interface, "/healthz/ready")
        seen["startup-live"] = probe(app, interface, "/healthz")

    def during_shutdown() -> None:
        seen["shutdown"] = probe(app, interface, "/healthz/ready")

    app.on(Lifespan.STARTUP, during_startup).on(Lifespan.SHUTDOWN, during_shutdown)
    with TestClient(app, interface=interface) as client:
        serving = client.get("/healthz/ready")
    after = probe(app, interface, "/healthz/ready")

    status, body = seen["startup"]
    assert status == 503 and body["phase"] == "starting"
    assert body["detail"] == "The application is starting." and body["status"] == 503
    assert seen["startup-live"][0] == 200  # liveness: the worker answers
    assert serving.status_code == 200
    assert serving.headers["content-type"] == "application/json"
    status, body = seen["shutdown"]
    assert status == 503 and body["phase"] == "stopping"
    assert after[0] == 503 and after[1]["phase"] == "stopped"


def test_failing_checks_are_listed_without_internals(interface: str) -> None:
    app = Application()
    never = asyncio.Event  # created per call: an awaited event nobody sets

    def database() -> bool:
        return False

    def cache() -> bool:
        raise ConnectionError("redis://:hunter2@cache:6379 refused")

    async def queue() -> None:
        await never().wait()

    async def fine() -> bool:
        return True

    app.add_health_route(
        "/health",
        checks={"db": database, "cache": cache, "queue": queue, "ok": fine},
        timeout=0.05,
    )
    with TestClient(app, interface=interface) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["checks"] == {"db": "failed", "cache": "error", "queue": "timeout", "ok": "ok"}
    assert body["failed"] == ["db", "cache", "queue"]
    assert body["detail"] == "Not ready: db, cache, queue failed."
    assert "hunter2" not in response.text


def test_a_stuck_sync_check_does_not_pile_up_threads(interface: str) -> None:
    app = Application()
    release = threading.Event()
    calls: list[int] = []

    def stuck() -> bool:
        calls.append(1)
        release.wait(30)
        return True

    app.add_health_route("/healthz", checks=[stuck], timeout=0.05)
    try:
        with TestClient(app, interface=interface) as client:
            first = client.get("/healthz/ready").json()
            second = client.get("/healthz/ready").json()
            release.set()
    finally:
        release.set()
    assert first["checks"] == second["checks"] == {"stuck": "timeout"}
    assert calls == [1]  # the second probe did not start another thread


def test_without_lifespan_only_the_checks_count(interface: str) -> None:
    app = Application()
    app.add_health_route("/healthz")
    assert probe(app, interface, "/healthz/ready")[0] == 200  # like granian --interface asginl


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"path": "healthz"}, ValueError),
        ({"path": "/healthz/"}, ValueError),
        ({"checks": [1]}, TypeError),
        ({"checks": print}, TypeError),
        ({"timeout": 0}, ValueError),
        ({"checks": [len, len]}, ValueError),
    ],
)
def test_bad_arguments_are_refused_at_registration(args: dict, error: type) -> None:
    app = Application()
    path = args.pop("path", "/healthz")
    with pytest.raises(error):
        app.add_health_route(path, **args)
