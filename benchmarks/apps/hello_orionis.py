"""The cold-start "hello app" for Orionis: one plaintext route, nothing else imported.

    granian --interface rsgi apps.hello_orionis:app        (and --interface asgi)

Each framework's ``hello_*`` module imports only what its ``GET /plaintext`` needs (no
``apps.common``, which brings pydantic and PyJWT to every benchmark app), so the first-answer
row measures what a minimal app of that framework costs to start.
"""

from __future__ import annotations

from orionis import Application

app = Application()


@app.get("/plaintext")
async def plaintext() -> str:
    return "Hello, World!"
