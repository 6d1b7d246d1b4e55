"""Middleware: classes with ``async def handle(self, request, call_next)``.

``CORSMiddleware`` and ``SecurityHeadersMiddleware`` ship with Orionis, and the
observability ones (docs/observability.md): ``RequestIDMiddleware``, ``AccessLogMiddleware``,
``MetricsMiddleware`` (needs ``orionis[metrics]``) and ``TracingMiddleware`` (needs
``orionis[otel]``); those two import their library when built, so importing the names
always works and building one without its library raises an ``ImportError`` naming the
extra. The contract's CSRF, trusted-host, rate-limit and GZip middleware are not built yet.
"""

from orionis.middleware.access_log import AccessLogMiddleware
from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.cors import CORSMiddleware
from orionis.middleware.metrics import MetricsMiddleware
from orionis.middleware.request_id import RequestIDMiddleware
from orionis.middleware.security_headers import SecurityHeadersMiddleware
from orionis.middleware.tracing import TracingMiddleware

__all__ = [
    "AccessLogMiddleware",
    "CORSMiddleware",
    "CallNext",
    "MetricsMiddleware",
    "Middleware",
    "RequestIDMiddleware",
    "SecurityHeadersMiddleware",
    "TracingMiddleware",
]
