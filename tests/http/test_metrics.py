"""Issue 15, item 3: Prometheus metrics by route template, bounded under URL scans."""

from __future__ import annotations

import random
import string
import subprocess
import sys
import threading

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from orionis import Application, Request, Router, WebSocket
from orionis.middleware import MetricsMiddleware
from orionis.testing import TestClient


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def make_app(registry: CollectorRegistry) -> tuple[Application, dict]:
    app = Application()
    app.add_middleware(MetricsMiddleware, registry=registry)
    api = Router(prefix="/api")
    gates: dict = {"entered": threading.Event(), "release": threading.Event()}

    @api.get("/users/{id:int}")
    async def user(id: int) -> dict:
        return {"id": id}

    @api.post("/users")
    async def create() -> tuple:
        return {}, 201

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("broken")

    @app.get("/slow")
    def slow() -> str:  # sync: blocks a pool thread until the test releases it
        gates["entered"].set()
        gates["release"].wait(30)
        return "done"

    @app.websocket("/ws/{room}")
    async def chat(ws: WebSocket, room: str) -> None:
        await ws.accept()
        await ws.receive_text()

    app.include_router(api)
    return app, gates


def test_counts_and_histogram_by_method_template_and_status_class(interface: str) -> None:
    registry = CollectorRegistry()
    app, _ = make_app(registry)
    with TestClient(app, interface=interface, raise_server_exceptions=False) as client:
        for i in range(3):
            assert client.get(f"/api/users/{i}").status_code == 200
        assert client.post("/api/users").status_code == 201
        assert client.get("/boom").status_code == 500
        assert client.get("/api/users/x").status_code == 404
        assert client.delete("/api/users/1").status_code == 405
        scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    total = "orionis_http_requests_total"
    user = {"method": "GET", "route": "/api/users/{id:int}", "status": "2xx"}
    assert value(text, total, **user) == 3
    assert value(text, total, method="POST", route="/api/users", status="2xx") == 1
    assert value(text, total, method="GET", route="/boom", status="5xx") == 1
    assert value(text, total, method="GET", route="<unmatched>", status="4xx") == 1
    assert value(text, total, method="DELETE", route="<unmatched>", status="4xx") == 1
    assert value(text, "orionis_http_request_duration_seconds_count", **user) == 3
    assert value(text, "orionis_http_request_duration_seconds_sum", **user) >= 0
    assert value(text, "orionis_http_requests_in_progress", method="GET") == 0
    assert not any("/metrics" in str(key) for key in samples(text))  # scrapes not counted
    assert "/api/users/0" not in text and "/api/users/x" not in text  # never the raw path


def test_label_cardinality_is_bounded_under_a_scan_of_10000_random_urls(interface: str) -> None:
    registry = CollectorRegistry()
    app, _ = make_app(registry)
    rng = random.Random(15)
    alphabet = string.ascii_letters + string.digits + "-._~%"
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "BREW", "X" * 40]
    with TestClient(app, interface=interface) as client:
        for _ in range(10_000):
            path = "/" + "/".join(
                "".join(rng.choices(alphabet, k=rng.randint(1, 12)))
                for _ in range(rng.randint(1, 4))
            )
            if rng.random() < 0.1:
                path = f"/api/users/{rng.randint(0, 10**9)}"
            client.request(rng.choice(methods), path)
        text = client.get("/metrics").text
    series = {key for key in samples(text) if key[0] == "orionis_http_requests_total"}
    routes = {dict(labels)["route"] for _, labels in series}
    assert routes <= {"<unmatched>", "/api/users/{id:int}", "/api/users", "/boom", "/slow"}
    assert {dict(labels)["method"] for _, labels in series} <= {*methods[:5], "_OTHER"}
    assert len(series) <= 40
    counted = sum(v for k, v in samples(text).items() if k[0] == "orionis_http_requests_total")
    assert counted == 10_000


def test_requests_in_flight_gauge(interface: str) -> None:
    registry = CollectorRegistry()
    app, gates = make_app(registry)
    with TestClient(app, interface=interface) as client:
        result: dict = {}
        worker = threading.Thread(target=lambda: result.update(r=client.get("/slow")))
        worker.start()
        try:
            assert gates["entered"].wait(30)
            during = client.get("/metrics").text
        finally:
            gates["release"].set()
            worker.join(30)
        after = client.get("/metrics").text
    assert result["r"].status_code == 200
    assert value(during, "orionis_http_requests_in_progress", method="GET") == 1
    assert value(after, "orionis_http_requests_in_progress", method="GET") == 0


def test_websocket_connections_open_gauge(interface: str) -> None:
    registry = CollectorRegistry()
    app, _ = make_app(registry)
    name = "orionis_websocket_connections_open"
    with TestClient(app, interface=interface) as client:
        with client.websocket_connect("/ws/lobby") as ws:
            during = client.get("/metrics").text
            ws.send_text("bye")
        # the handler has returned once the close is seen; the scrape runs after it
        after = client.get("/metrics").text
    assert value(during, name, route="/ws/{room}") == 1
    assert value(after, name, route="/ws/{room}") == 0


def test_metrics_path_answers_get_only(interface: str) -> None:
    app, _ = make_app(CollectorRegistry())
    with TestClient(app, interface=interface) as client:
        response = client.post("/metrics")
        head = client.head("/metrics")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == "application/problem+json"
    assert head.status_code == 200 and head.content == b""


def test_same_registry_twice_shares_series(interface: str) -> None:
    registry = CollectorRegistry()
    first, _ = make_app(registry)
    second, _ = make_app(registry)  # e.g. an app rebuilt by a reload: no duplicate error
    with TestClient(first, interface=interface) as a, TestClient(second, interface=interface) as b:
        a.get("/api/users/1")
        b.get("/api/users/2")
        text = b.get("/metrics").text
    assert (
        value(
            text,
            "orionis_http_requests_total",
            method="GET",
            route="/api/users/{id:int}",
            status="2xx",
        )
        == 2
    )


def test_route_template_is_exposed_on_the_request(interface: str) -> None:
    app = Application()
    seen: list = []
    inner = Router(prefix="/v1")
    outer = Router(prefix="/api")

    @inner.get("/items/{name}")
    async def item(request: Request, name: str) -> str:
        seen.append((request.route_template, request.route.path))
        return name

    outer.include_router(inner)
    app.include_router(outer, prefix="/x")
    with TestClient(app, interface=interface) as client:
        assert client.get("/x/api/v1/items/a").text == "a"
        assert client.options("/x/api/v1/items/a").status_code == 204
    assert seen == [("/x/api/v1/items/{name}", "/items/{name}")]


def test_missing_prometheus_client_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "from orionis.middleware import MetricsMiddleware\n"
        "try:\n    MetricsMiddleware()\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert 'pip install "orionis[metrics]"' in out.stdout, out.stderr


def test_a_bad_path_is_refused() -> None:
    with pytest.raises(ValueError):
        MetricsMiddleware(path="metrics", registry=CollectorRegistry())
