"""Tutorial step 9: static files (ETag, Last-Modified, 304, ranges; traversal-proof)."""

import pathlib

from orionis import Application

HERE = pathlib.Path(__file__).parent

app = Application(title="Notes")
app.mount_static("/static", HERE / "static", html=True, cache_control="public, max-age=3600")


@app.get("/api/ping")
async def ping() -> dict:
    return {"pong": True}
