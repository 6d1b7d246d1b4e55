"""Sessions in Redis behind several Granian workers (configured by ORIONIS_SESSION_REDIS_URL).

Every answer names the worker's pid, so a test can see which process served it.
"""

from __future__ import annotations

import os

from orionis import Application, Request
from orionis.foundation.enums.lifespan import Lifespan
from orionis.middleware import RedisSessionBackend, SessionMiddleware

backend = RedisSessionBackend(os.environ.get("ORIONIS_SESSION_REDIS_URL", "redis://127.0.0.1:1"))
app = Application(title="sessions")
app.add_middleware(SessionMiddleware, secret_key="live-test-secret-0123456789", backend=backend)
app.on(Lifespan.SHUTDOWN, backend.close)


@app.get("/health")
async def health() -> str:
    return "ok"


@app.post("/login/{user}")
async def login(request: Request, user: str) -> dict:
    request.session.regenerate()
    request.session["user"] = user
    return {"pid": os.getpid()}


@app.get("/me")
async def me(request: Request) -> dict:
    return {"pid": os.getpid(), "user": request.session.get("user")}
