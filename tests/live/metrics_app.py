"""The app the two-worker metrics test serves (tests/live/test_live_metrics.py)."""

from __future__ import annotations

import os

from orionis import Application
from orionis.middleware import MetricsMiddleware, RequestIDMiddleware

app = Application()
app.add_middleware(RequestIDMiddleware)
app.add_middleware(MetricsMiddleware)
app.add_health_route("/health")


@app.get("/pid/{n:int}")
async def pid(n: int) -> dict:
    return {"pid": os.getpid(), "n": n}
