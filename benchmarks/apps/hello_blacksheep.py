"""The cold-start "hello app" for BlackSheep (see ``hello_orionis``): one plaintext route."""

from __future__ import annotations

from blacksheep import Application, Response, text

app = Application()


@app.router.get("/plaintext")
async def plaintext() -> Response:
    return text("Hello, World!")
