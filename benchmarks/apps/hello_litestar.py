"""The cold-start "hello app" for Litestar (see ``hello_orionis``): one plaintext route."""

from __future__ import annotations

from litestar import Litestar, MediaType, get


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    return "Hello, World!"


app = Litestar(route_handlers=[plaintext])
