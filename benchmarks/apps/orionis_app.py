"""Orionis, written the way its docs recommend.

    granian --interface rsgi apps.orionis_app:app        (and --interface asgi)

``ORIONIS_NO_EXTENSIONS=1`` in the environment measures the pure-Python hot path. The
realistic route carries its middleware on its own router, so the other scenarios do not pay
for CORS and security headers; ``realistic`` is the same app (the name the runner uses for
that scenario in every framework).
"""

from __future__ import annotations

from typing import Any

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    JWT_ISSUER,
    JWT_SECRET,
    PLAINTEXT,
    SECURITY_HEADERS,
    Order,
    route_table,
)
from orionis import Application, Depends, PlainTextResponse, Request, Response, Router
from orionis.middleware import CORSMiddleware, SecurityHeadersMiddleware
from orionis.security import JWTAuth

app = Application(title="benchmark", openapi_url=None)


@app.get("/plaintext")
async def plaintext() -> Response:
    return PlainTextResponse(PLAINTEXT)


@app.get("/json")
async def json() -> dict[str, str]:
    return JSON_MESSAGE


@app.post("/echo")
async def echo(request: Request) -> Any:
    return await request.json()


async def ok() -> dict[str, bool]:
    return {"ok": True}


async def ok_with_id(id: int) -> dict[str, bool]:
    return {"ok": True}


async def user(id: int) -> dict[str, int]:
    return {"id": id}


for method, path, kind in route_table():
    if path == "/users/{id}":
        endpoint: Any = user
    else:
        endpoint = ok_with_id if kind == "int" else ok
    app.add_route(path.replace("{id}", "{id:int}"), endpoint, methods=[method])


auth = JWTAuth(JWT_SECRET, algorithms=["HS256"], issuer=JWT_ISSUER)
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


@secured.post("/realistic")
async def realistic(order: Order, include: str, claims: dict = Depends(auth)) -> dict[str, Any]:
    return {"user": claims["sub"], "include": include, "order": order}


app.include_router(secured)
realistic_app = app
