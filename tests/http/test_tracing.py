"""Issue 15, item 4: OpenTelemetry server spans, nesting and W3C traceparent propagation."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from orionis import Application, Depends, HTTPException, Router
from orionis.middleware import TracingMiddleware
from orionis.testing import TestClient

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def make_app(provider: TracerProvider, **options: object) -> Application:
    app = Application()
    app.add_middleware(TracingMiddleware, tracer_provider=provider, **options)
    tracer = provider.get_tracer("tests")
    api = Router(prefix="/api")

    def dependency() -> str:
        with tracer.start_as_current_span("dependency"):
            return "dep"

    @api.get("/users/{id:int}")
    async def user(id: int, dep: str = Depends(dependency)) -> dict:
        with tracer.start_as_current_span("async-user-span"):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)  # what an outgoing call would send
        return {"id": id, "outgoing": carrier.get("traceparent")}

    @api.get("/sync")
    def sync_handler() -> dict:  # the thread pool: the context is copied into the thread
        with tracer.start_as_current_span("sync-user-span"):
            current = trace.get_current_span().get_span_context()
        return {"span": f"{current.span_id:016x}"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("broken on purpose")

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout")

    app.include_router(api)
    return app


def by_name(exporter: InMemorySpanExporter) -> dict:
    return {span.name: span for span in exporter.get_finished_spans()}


def test_server_span_attributes_and_user_spans_nested(interface: str, spans) -> None:  # type: ignore[no-untyped-def]
    provider, exporter = spans
    with TestClient(make_app(provider), interface=interface) as client:
        response = client.get("/api/users/7?secret=x", headers={"user-agent": "probe/1"})
    assert response.status_code == 200
    found = by_name(exporter)
    server = found["GET /api/users/{id:int}"]
    assert server.kind is SpanKind.SERVER
    assert dict(server.attributes) == {
        "http.request.method": "GET",
        "http.route": "/api/users/{id:int}",
        "http.response.status_code": 200,
        "url.path": "/api/users/7",
        "url.scheme": "http",
        "server.address": "testserver",
        "client.address": "127.0.0.1",
        "client.port": 50000,
        "network.protocol.version": "1.1",
        "user_agent.original": "probe/1",
    }
    assert server.parent is None  # no traceparent came in: a new trace
    for child in ("dependency", "async-user-span"):
        assert found[child].parent.span_id == server.context.span_id
        assert found[child].context.trace_id == server.context.trace_id
    assert server.status.status_code is StatusCode.UNSET


def test_user_span_in_a_sync_handler_thread_nests(interface: str, spans) -> None:  # type: ignore[no-untyped-def]
    provider, exporter = spans
    with TestClient(make_app(provider), interface=interface) as client:
        body = client.get("/api/sync").json()
    found = by_name(exporter)
    child, server = found["sync-user-span"], found["GET /api/sync"]
    assert child.parent.span_id == server.context.span_id
    assert body["span"] == f"{child.context.span_id:016x}"


def test_traceparent_round_trip(interface: str, spans) -> None:  # type: ignore[no-untyped-def]
    provider, exporter = spans
    app = make_app(provider, traceresponse=True)
    with TestClient(app, interface=interface) as client:
        response = client.get("/api/users/1", headers={"traceparent": TRACEPARENT})
    found = by_name(exporter)
    server, inner = found["GET /api/users/{id:int}"], found["async-user-span"]
    assert f"{server.context.trace_id:032x}" == TRACE_ID  # in: the caller's trace
    assert f"{server.parent.span_id:016x}" == PARENT_ID and server.parent.is_remote
    outgoing = response.json()["outgoing"]  # out: calls made by the handler continue it
    version, trace_id, span_id, flags = outgoing.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id == f"{inner.context.span_id:016x}"  # injected inside the user span
    server_id = f"{server.context.span_id:016x}"
    assert response.headers["traceresponse"] == f"00-{TRACE_ID}-{server_id}-01"


@pytest.mark.parametrize(
    "bad",
    [
        "garbage",
        "00-" + "0" * 32 + "-" + PARENT_ID + "-01",
        "00-" + "a" * 5000,
        "ff-" + TRACEPARENT[3:],
    ],
)
def test_a_malformed_traceparent_starts_a_new_trace(interface: str, spans, bad: str) -> None:  # type: ignore[no-untyped-def]
    provider, exporter = spans
    with TestClient(make_app(provider), interface=interface) as client:
        response = client.get("/api/users/1", headers={"traceparent": bad})
    assert response.status_code == 200
    server = by_name(exporter)["GET /api/users/{id:int}"]
    assert server.parent is None and "traceresponse" not in response.headers


def test_errors_on_spans(interface: str, spans) -> None:  # type: ignore[no-untyped-def]
    provider, exporter = spans
    with TestClient(make_app(provider), interface=interface) as client:
        assert client.get("/boom").status_code == 500
        assert client.get("/teapot").status_code == 418
        assert client.get("/nowhere").status_code == 404
        assert client.request("BREW", "/boom").status_code == 501
    found = by_name(exporter)
    boom = found["GET /boom"]
    assert boom.status.status_code is StatusCode.ERROR
    assert boom.attributes["http.response.status_code"] == 500
    assert boom.attributes["error.type"] == "RuntimeError"
    events = [e for e in boom.events if e.name == "exception"]
    assert events and events[0].attributes["exception.message"] == "broken on purpose"
    teapot = found["GET /teapot"]
    assert teapot.status.status_code is StatusCode.UNSET and not teapot.events
    unmatched = found["GET"]  # no route: the span is named by the method only
    assert "http.route" not in unmatched.attributes
    assert unmatched.attributes["http.response.status_code"] == 404
    other = found["HTTP"]
    assert other.attributes["http.request.method"] == "_OTHER"
    assert other.attributes["http.request.method_original"] == "BREW"
    assert other.status.status_code is StatusCode.ERROR  # 501 is a 5xx


def test_missing_opentelemetry_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from orionis.middleware import TracingMiddleware\n"
        "try:\n    TracingMiddleware()\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert 'pip install "orionis[otel]"' in out.stdout, out.stderr
