"""Orionis, written the way its docs recommend.

    granian --interface rsgi apps.orionis_app:app        (and --interface asgi)

``ORIONIS_NO_EXTENSIONS=1`` in the environment measures the pure-Python hot path. The
realistic route carries its middleware on its own router, so the other scenarios do not pay
for CORS and security headers; ``realistic`` is the same app (the name the runner uses for
that scenario in every framework).

Two more objects serve the extra rows (each a separate application with every endpoint
above, ``create_app()`` builds them):

- ``observed_app``: the realistic route with ``RequestIDMiddleware``, ``MetricsMiddleware``
  (its own ``CollectorRegistry``) and ``TracingMiddleware`` (an SDK ``TracerProvider`` with
  a ``BatchSpanProcessor`` feeding an exporter that drops the spans), app-wide, as
  docs/observability.md recommends; the issue-15 row compares it with ``realistic_app``.
- ``secure_app``: ``POST /secure`` behind ``RateLimitMiddleware`` (Redis at
  ``$BENCH_REDIS_URL``, keyed by client address), ``SessionMiddleware`` (the signed-cookie
  default) and ``CSRFMiddleware`` (double-submit token bound to the session), app-wide;
  ``GET /secure/login`` signs in (``session["user"]``) and ``GET /secure/token`` returns the
  CSRF token, which the runner sends back as cookie and ``X-CSRF-Token`` header. The body is
  the realistic ``Order``; the answer ``{"user": <session user>, "order": <order>}``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    JWT_ISSUER,
    JWT_SECRET,
    PLAINTEXT,
    SECRET_KEY,
    SECURITY_HEADERS,
    Order,
    route_table,
)
from orionis import (
    Application,
    Depends,
    Lifespan,
    PlainTextResponse,
    Request,
    Response,
    Router,
)
from orionis.middleware import (
    CORSMiddleware,
    CSRFMiddleware,
    MetricsMiddleware,
    RateLimitMiddleware,
    RequestIDMiddleware,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    TracingMiddleware,
)
from orionis.security import JWTAuth


async def plaintext() -> Response:
    return PlainTextResponse(PLAINTEXT)


async def json() -> dict[str, str]:
    return JSON_MESSAGE


async def echo(request: Request) -> Any:
    return await request.json()


async def ok() -> dict[str, bool]:
    return {"ok": True}


async def ok_with_id(id: int) -> dict[str, bool]:
    return {"ok": True}


async def user(id: int) -> dict[str, int]:
    return {"id": id}


auth = JWTAuth(JWT_SECRET, algorithms=["HS256"], issuer=JWT_ISSUER)


async def realistic(order: Order, include: str, claims: dict = Depends(auth)) -> dict[str, Any]:
    return {"user": claims["sub"], "include": include, "order": order}


async def login(request: Request) -> dict[str, bool]:
    request.session.regenerate()
    request.session["user"] = "user-42"
    return {"ok": True}


async def csrf_token(request: Request) -> dict[str, str]:
    return {"csrf": request.state.csrf_token}


async def secure(request: Request, order: Order) -> dict[str, Any]:
    return {"user": request.session.get("user"), "order": order}


def create_app(middleware: Sequence[tuple[type, dict[str, Any]]] = ()) -> Application:
    """Every endpoint, with ``middleware`` (class, options) added app-wide, outermost first."""
    app = Application(title="benchmark", openapi_url=None)
    app.get("/plaintext")(plaintext)
    app.get("/json")(json)
    app.post("/echo")(echo)
    for method, path, kind in route_table():
        if path == "/users/{id}":
            endpoint: Any = user
        else:
            endpoint = ok_with_id if kind == "int" else ok
        app.add_route(path.replace("{id}", "{id:int}"), endpoint, methods=[method])
    # The realistic route carries its middleware on its own router.
    secured = Router(
        middleware=[
            CORSMiddleware(
                allow_origins=[ALLOWED_ORIGIN],
                allow_methods=["POST"],
                allow_headers=["authorization", "content-type"],
            ),
            SecurityHeadersMiddleware(
                content_security_policy=SECURITY_HEADERS["content-security-policy"],
                cross_origin_opener_policy=None,
                hsts_max_age=None,
            ),
        ]
    )
    secured.post("/realistic")(realistic)
    app.include_router(secured)
    for middleware_class, options in middleware:
        app.add_middleware(middleware_class, **options)
    return app


app = create_app()
realistic_app = app


def _observed() -> Application:
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from prometheus_client import CollectorRegistry

    class DropExporter(SpanExporter):
        """Receives every batch and keeps nothing (the export cost of a real collector is
        not the framework's)."""

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    observed = create_app(
        [
            (RequestIDMiddleware, {}),
            (TracingMiddleware, {"tracer_provider": provider}),
            (MetricsMiddleware, {"registry": CollectorRegistry()}),
        ]
    )

    def start_tracing() -> None:  # per worker: the batch processor's thread belongs to it
        provider.add_span_processor(BatchSpanProcessor(DropExporter()))

    observed.on(Lifespan.STARTUP, start_tracing).on(Lifespan.SHUTDOWN, provider.shutdown)
    return observed


def _secure() -> Application:
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    secured = create_app(
        [
            (RateLimitMiddleware, {"limit": "100000000/minute", "storage": redis_url}),
            (SessionMiddleware, {"secret_key": SECRET_KEY}),
            (CSRFMiddleware, {"secret_key": SECRET_KEY}),
        ]
    )
    secured.get("/secure/login")(login)
    secured.get("/secure/token")(csrf_token)
    secured.post("/secure")(secure)
    return secured


_EXTRAS = {"observed_app": _observed, "secure_app": _secure}


def __getattr__(name: str) -> Application:
    """``observed_app`` and ``secure_app`` are built on first use, so serving ``app`` does not
    import OpenTelemetry, prometheus-client or redis (the cold-start row times ``app``)."""
    if name in _EXTRAS:
        built = globals()[name] = _EXTRAS[name]()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
