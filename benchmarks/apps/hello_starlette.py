"""The cold-start "hello app" for Starlette (see ``hello_orionis``): one plaintext route."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def plaintext(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, World!")


app = Starlette(routes=[Route("/plaintext", plaintext)])
