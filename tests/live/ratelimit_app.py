"""A route limited to 5 requests an hour per ``X-Run`` header, counted in Redis (live tests).

Every answer, 429s included, names the worker's pid in ``X-Pid``.
"""

from __future__ import annotations

import os

from orionis import Application
from orionis.middleware import Middleware, RateLimitMiddleware
from orionis.middleware.rate_limit import header_key


class Pid(Middleware):
    async def handle(self, request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next()
        response.raw_headers.append(("x-pid", str(os.getpid())))
        return response


app = Application()
app.add_middleware(Pid)
limiter = RateLimitMiddleware(
    "5/hour", key=header_key("X-Run"), storage=os.environ["ORIONIS_RATELIMIT_URL"]
)
app.get("/health", lambda: {"ok": True})
app.get("/limited", lambda: {"pid": os.getpid()}, rate_limit=limiter)
