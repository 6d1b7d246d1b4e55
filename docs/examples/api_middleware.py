# ruff: noqa: E402
"""Examples for the API reference page of ``orionis.middleware``."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry

from orionis import Application, Request, Response

app = Application(title="Middleware examples")

# --8<-- [start:middleware]
from orionis.middleware import CallNext, Middleware


class Timing(Middleware):
    """Adds how long the inner layers took, in milliseconds."""

    def __init__(self, header: str = "X-Took") -> None:
        self.header = header

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        start = time.perf_counter()
        response = await call_next()  # everything inside this layer
        response.headers[self.header] = f"{(time.perf_counter() - start) * 1000:.2f}"
        return response


app.add_middleware(Timing, header="X-Took")  # built once: Timing(header="X-Took")
# --8<-- [end:middleware]

# --8<-- [start:observability]
from orionis.middleware import (
    AccessLogMiddleware,
    MetricsMiddleware,
    RequestIDMiddleware,
    TracingMiddleware,
)

app.add_middleware(RequestIDMiddleware)  # first: every later layer and log line sees the id
app.add_middleware(AccessLogMiddleware)  # logger "orionis.access", one record per request
app.add_middleware(MetricsMiddleware, path="/metrics", registry=CollectorRegistry())
app.add_middleware(TracingMiddleware)  # OpenTelemetry SERVER spans (the global provider)
# --8<-- [end:observability]

# --8<-- [start:security]
from orionis.middleware import (
    CORSMiddleware,
    CSRFMiddleware,
    ProxyHeadersMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)

SECRET = "change-me-to-32-random-bytes-please"
app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["127.0.0.1"])
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["testserver", "*.notes.example"])
app.add_middleware(SecurityHeadersMiddleware, hsts_max_age=None)  # no HSTS over plain HTTP
app.add_middleware(CORSMiddleware, allow_origins=["https://app.notes.example"])
app.add_middleware(CSRFMiddleware, secret_key=SECRET, exempt=["/hooks/*"])
# --8<-- [end:security]

# --8<-- [start:sessions]
import os

from orionis.middleware import RedisSessionBackend, SessionMiddleware

redis_url = os.environ.get("NOTES_REDIS")
backend = RedisSessionBackend(redis_url) if redis_url else None  # None: a signed cookie
app.add_middleware(SessionMiddleware, secret_key=SECRET, backend=backend)


@app.get("/visits")
async def visits(request: Request) -> dict:
    request.session["n"] = request.session.get("n", 0) + 1
    return {"visits": request.session["n"]}
# --8<-- [end:sessions]

# --8<-- [start:limits]
from orionis.middleware import GZipMiddleware, RateLimitMiddleware

app.add_middleware(RateLimitMiddleware, limit="1000/hour", storage=redis_url or "memory://")
app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)


@app.post("/hooks/ping", rate_limit="2/hour")  # this route alone, counted in this process
async def hook() -> dict:
    return {"text": "x" * 1000}
# --8<-- [end:limits]


def check(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/visits")
    assert response.json() == {"visits": 1} and "x-took" in response.headers
    assert len(response.headers["x-request-id"]) == 32
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/visits").json() == {"visits": 2}
    assert "orionis_http_requests" in client.get("/metrics").text
    assert client.get("/visits", headers={"Host": "evil.example"}).status_code == 400
    hooked = client.post("/hooks/ping", headers={"Accept-Encoding": "gzip"})
    assert hooked.headers["content-encoding"] == "gzip" and hooked.json()["text"] == "x" * 1000
    assert client.post("/hooks/ping").status_code == 200
    assert client.post("/hooks/ping").status_code == 429
    assert client.post("/visits").status_code in (403, 405)
