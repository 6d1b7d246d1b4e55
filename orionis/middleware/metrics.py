"""Prometheus metrics (``pip install "orionis[metrics]"``), served at ``/metrics``.

    app.add_middleware(MetricsMiddleware)                  # GET /metrics: the text format

Metrics (``namespace`` prefixes them, default ``orionis``):

- ``orionis_http_requests_total{method,route,status}``: a counter;
- ``orionis_http_request_duration_seconds{method,route,status}``: a histogram;
- ``orionis_http_requests_in_progress{method}``: a gauge;
- ``orionis_websocket_connections_open{route}``: WebSocket sessions being served (from the
  routed handshake until the handler ends; HTTP middleware does not run for WebSockets, so
  the WebSocket router calls ``websocket_session`` of global middleware).

``route`` is the route template with router prefixes (``/api/users/{id:int}``), never the
raw path: a request no route matches (404, 405) is ``<unmatched>``, and methods outside the
standard ones are ``_OTHER``, so a scan of random URLs cannot grow the label set. ``status``
is the class: ``2xx`` ... ``5xx``. Scrapes of ``path`` are answered by the middleware and
not counted.

Several worker processes (``granian --workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory before starting the server; each worker then writes its values there and
any worker's ``/metrics`` reports the sum over all of them (prometheus-client's
multiprocess mode). Without it, each worker reports only its own requests.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["UNMATCHED", "MetricsMiddleware"]

UNMATCHED = "<unmatched>"
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


def _prometheus() -> Any:
    try:
        import prometheus_client
    except ImportError:
        raise ImportError(
            'MetricsMiddleware needs prometheus-client: pip install "orionis[metrics]"'
        ) from None
    return prometheus_client


def _metric(factory: Any, name: str, *args: Any, namespace: str, registry: Any, **kw: Any) -> Any:
    """A new metric, or the one already registered under that name (an app built twice in
    one process, e.g. by tests or a reload, shares the series instead of failing)."""
    try:
        return factory(name, *args, namespace=namespace, registry=registry, **kw)
    except ValueError:
        existing = getattr(registry, "_names_to_collectors", {}).get(f"{namespace}_{name}")
        if existing is None or not isinstance(existing, factory):
            raise
        return existing


_forgotten: set[int] = set()


def _forget_at_exit(prom: Any) -> None:
    """Multiprocess mode: drop this worker's live gauges when it exits (in-flight requests
    and open WebSockets of a dead worker must not count), as gunicorn's child_exit would."""
    pid = os.getpid()
    if pid in _forgotten:
        return
    _forgotten.add(pid)
    import atexit
    import multiprocessing.util

    from prometheus_client import multiprocess

    atexit.register(multiprocess.mark_process_dead, pid)
    # Worker processes started by multiprocessing (Granian's) skip atexit when forked.
    multiprocessing.util.Finalize(None, multiprocess.mark_process_dead, (pid,), exitpriority=10)


class MetricsMiddleware(Middleware):
    """See the module docstring. ``registry`` defaults to prometheus-client's global one
    (a fresh ``CollectorRegistry`` keeps tests and several apps apart); ``buckets`` are the
    latency histogram's upper bounds in seconds."""

    def __init__(
        self,
        *,
        path: str = "/metrics",
        registry: Any = None,
        namespace: str = "orionis",
        buckets: Sequence[float] | None = None,
    ) -> None:
        prom = _prometheus()
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', like '/metrics', not {path!r}")
        self.path = path
        self._prom = prom
        self.registry = prom.REGISTRY if registry is None else registry
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        if self.multiprocess:
            _forget_at_exit(prom)
        reg = self.registry
        labels = ("method", "route", "status")
        self.requests = _metric(
            prom.Counter,
            "http_requests",
            "HTTP requests answered.",
            labels,
            namespace=namespace,
            registry=reg,
        )
        histogram: dict[str, Any] = {} if buckets is None else {"buckets": tuple(buckets)}
        self.duration = _metric(
            prom.Histogram,
            "http_request_duration_seconds",
            "Time to produce the response (streams: until the body starts).",
            labels,
            namespace=namespace,
            registry=reg,
            **histogram,
        )
        self.in_progress = _metric(
            prom.Gauge,
            "http_requests_in_progress",
            "HTTP requests being handled.",
            ("method",),
            namespace=namespace,
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.websockets = _metric(
            prom.Gauge,
            "websocket_connections_open",
            "WebSocket sessions being served.",
            ("route",),
            namespace=namespace,
            registry=reg,
            multiprocess_mode="livesum",
        )
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._gauges: dict[str, Any] = {}

    def _series(self, method: str, route: str, status: str) -> tuple[Any, Any]:
        key = (method, route, status)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = (
                self.requests.labels(method, route, status),
                self.duration.labels(method, route, status),
            )
        return found

    def _gauge(self, method: str) -> Any:
        gauge = self._gauges.get(method)
        if gauge is None:
            gauge = self._gauges[method] = self.in_progress.labels(method)
        return gauge

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        if request.path == self.path:
            return self._scrape(request)
        method = request.method if request.method in _METHODS else "_OTHER"
        gauge = self._gauge(method)
        gauge.inc()
        start = time.perf_counter()
        try:
            response = await call_next()
            status = response.status_code
        except BaseException:
            status = 500
            raise
        finally:
            elapsed = time.perf_counter() - start
            gauge.dec()
            klass = _CLASSES[status // 100 - 1] if 100 <= status < 600 else "5xx"
            counter, histogram = self._series(method, request.route_template or UNMATCHED, klass)
            counter.inc()
            histogram.observe(elapsed)
        return response

    def _scrape(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            from orionis.exceptions import problem

            response = problem(405, f"{self.path} answers GET only.")
            response.raw_headers.append(("allow", "GET, HEAD"))
            return response
        prom = self._prom
        registry = self.registry
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = prom.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        body = prom.generate_latest(registry)
        return Response(
            body, headers=[("cache-control", "no-store")], media_type=prom.CONTENT_TYPE_LATEST
        )

    @contextlib.contextmanager
    def websocket_session(self, request: Request) -> Iterator[None]:
        """Called by the WebSocket router around each routed session."""
        gauge = self.websockets.labels(request.route_template or UNMATCHED)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()
