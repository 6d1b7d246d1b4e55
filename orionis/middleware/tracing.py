"""OpenTelemetry server spans (``pip install "orionis[otel]"``), the same under RSGI and ASGI.

    app.add_middleware(TracingMiddleware)                       # the global tracer provider
    app.add_middleware(TracingMiddleware, tracer_provider=provider)

One ``SERVER`` span per request, named ``"GET /users/{id:int}"`` (the route template with
router prefixes; just the method when no route matched), with the HTTP semantic conventions'
attributes: ``http.request.method``, ``http.route``, ``http.response.status_code``,
``url.path``, ``url.scheme``, ``server.address``/``server.port``, ``client.address``/
``client.port``, ``network.protocol.version``, ``user_agent.original`` (never the query
string, cookies or other headers). The parent comes from the request's W3C ``traceparent``
(through the global propagator, ``OTEL_PROPAGATORS``). The span is current while
dependencies and the handler run (sync handlers included: their thread gets a copy of the
context), so user spans nest under it and instrumented outgoing calls (httpx, ...) carry
its ``traceparent`` onward. A 5xx sets the span status to ERROR; the handler's exception is
recorded on the span. ``traceresponse=True`` also returns the span's context to the client
in a ``traceresponse`` header (W3C Trace Context level 2), off by default since it tells
clients your trace ids. The span ends when the response leaves the middleware (before a
stream's body is sent). WebSocket sessions are not traced.
"""

from __future__ import annotations

from typing import Any

from orionis.exceptions import HTTPException
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["TracingMiddleware"]

_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


def _otel() -> Any:
    try:
        from opentelemetry import propagate, trace
    except ImportError:
        raise ImportError(
            'TracingMiddleware needs opentelemetry-api and -sdk: pip install "orionis[otel]"'
        ) from None
    return propagate, trace


class _HeaderGetter:
    """Reads propagation headers straight from an Orionis request."""

    def get(self, carrier: Request, key: str) -> list[str] | None:
        values = carrier._header_values(key.lower())
        return values or None

    def keys(self, carrier: Request) -> list[str]:
        return list(carrier.headers.keys())


_GETTER = _HeaderGetter()


def _split_host(host: str) -> tuple[str, int | None]:
    if host.startswith("["):  # [::1]:8000
        end = host.find("]")
        rest = host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
        return host[1:end], int(port) if port.isdigit() else None
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit():
        return name, int(port)
    return host, None


class TracingMiddleware(Middleware):
    """See the module docstring."""

    def __init__(self, *, tracer_provider: Any = None, traceresponse: bool = False) -> None:
        propagate, trace = _otel()
        from opentelemetry.trace import SpanKind, Status, StatusCode

        from orionis import __version__

        self._propagate = propagate
        self._trace = trace
        self._server = SpanKind.SERVER
        self._error = Status(StatusCode.ERROR)
        self.tracer = trace.get_tracer("orionis", __version__, tracer_provider=tracer_provider)
        self.traceresponse = traceresponse

    def _attributes(self, request: Request, method: str) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.path": request.path,
            "url.scheme": request.scheme,
            "network.protocol.version": request.http_version,
        }
        if method == "_OTHER":
            attributes["http.request.method_original"] = request.method[:64]
        address, port = _split_host(request.host)
        attributes["server.address"] = address
        if port is not None:
            attributes["server.port"] = port
        client = request.client
        if client is not None:
            attributes["client.address"] = client.host
            attributes["client.port"] = client.port
        agents = request._header_values("user-agent")
        if agents:
            attributes["user_agent.original"] = agents[0][:512]
        return attributes

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        method = request.method if request.method in _METHODS else "_OTHER"
        parent = self._propagate.extract(request, getter=_GETTER)
        span = self.tracer.start_span(
            "HTTP" if method == "_OTHER" else method,
            context=parent,
            kind=self._server,
            attributes=self._attributes(request, method),
        )
        try:
            with self._trace.use_span(
                span, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                response = await call_next()
        except BaseException as exc:  # a middleware inside raised, or cancellation
            if isinstance(exc, Exception):
                span.record_exception(exc)
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(self._error)
            span.end()
            raise
        self._finish(span, request, response, method)
        if self.traceresponse:
            context = span.get_span_context()
            response.raw_headers.append(
                (
                    "traceresponse",
                    f"00-{context.trace_id:032x}-{context.span_id:016x}-"
                    f"{int(context.trace_flags):02x}",
                )
            )
        return response

    def _finish(self, span: Any, request: Request, response: Response, method: str) -> None:
        route = request.route_template
        status = response.status_code
        if route is not None:
            span.set_attribute("http.route", route)
            if method != "_OTHER":
                span.update_name(f"{method} {route}")
        span.set_attribute("http.response.status_code", status)
        error = request._error
        if isinstance(error, Exception) and not (
            isinstance(error, HTTPException) and error.status_code < 500
        ):
            span.record_exception(error)
        if status >= 500:
            span.set_attribute(
                "error.type", type(error).__qualname__ if error is not None else str(status)
            )
            span.set_status(self._error)
        span.end()
