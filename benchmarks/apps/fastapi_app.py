"""FastAPI peer app.

- Framework: FastAPI 0.165.0 (Starlette 1.10.0, pydantic 2.14.3).
- Served with ``granian --interface asgi apps.fastapi_app:app`` for the simple scenarios and
  ``apps.fastapi_app:realistic_app`` for the realistic one (see below).
- Routing: path operations with typed path parameters; the 100-route table through
  ``app.add_api_route`` with ``{id:int}`` paths (Starlette's convertor, which FastAPI accepts),
  so the spec's route order works and ``/users/abc`` is a 404 as in the other apps. Handlers
  declare return types, so FastAPI infers response models and serialises with pydantic's
  ``dump_json`` (its fast path); /plaintext uses ``response_class=PlainTextResponse``; /echo
  takes an arbitrary JSON object as a ``dict[str, Any]`` body, FastAPI's documented way for
  one.
- Middleware: ``CORSMiddleware`` and a pure ASGI middleware for the security headers
  (``apps.common.SecurityHeadersMiddleware``), both added with ``app.add_middleware``, on
  ``realistic_app``.
- /realistic: an ``HTTPBearer`` dependency plus PyJWT in an ``async def`` dependency (401 on a
  missing or bad token), the body as an ``Order`` parameter, ``include: str`` as a required
  query parameter (422 from FastAPI's validation when the body or query is invalid).
- OpenAPI/docs routes are left at their defaults; the schema is built only when /openapi.json
  is first requested, which the benchmark never does.

Deviation from the spec: two app objects. FastAPI applies middleware app-wide only, so ``app``
serves the simple scenarios only (no /realistic, no middleware) and does not pay for middleware
they do not use (``orionis_app`` scopes its middleware to /realistic); ``realistic_app`` has
every endpoint and the middleware, the object the realistic scenario serves.
"""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from fastapi import Body, Depends, FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    Order,
    SecurityHeadersMiddleware,
    decode_token,
    route_table,
)

bearer = HTTPBearer()


async def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> str:
    try:
        claims = decode_token(credentials.credentials)
    except jwt.InvalidTokenError:
        raise HTTPException(
            status_code=401,
            detail="Invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    return claims["sub"]


async def plaintext() -> str:
    return "Hello, World!"


async def json_message() -> dict[str, str]:
    return JSON_MESSAGE


async def user(id: int) -> dict[str, int]:
    return {"id": id}


async def ok() -> dict[str, bool]:
    return {"ok": True}


async def ok_with_id(id: int) -> dict[str, bool]:
    return {"ok": True}


async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return payload


async def realistic(
    order: Order,
    include: str,
    sub: Annotated[str, Depends(current_user)],
) -> dict[str, Any]:
    return {"user": sub, "include": include, "order": order}


def create_app(*, realistic_routes: bool) -> FastAPI:
    app = FastAPI()
    if realistic_routes:
        # add_middleware wraps: the last added runs first, so CORS is outermost
        app.add_middleware(SecurityHeadersMiddleware)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[ALLOWED_ORIGIN],
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["authorization", "content-type"],
        )
    app.get("/plaintext", response_class=PlainTextResponse)(plaintext)
    app.get("/json")(json_message)
    app.post("/echo")(echo)
    if realistic_routes:
        app.post("/realistic")(realistic)
    for method, path, kind in route_table():
        if path == "/users/{id}":
            endpoint: Any = user
        else:
            endpoint = ok_with_id if kind == "int" else ok
        # Starlette's ``:int`` convertor keeps the table order of the spec valid:
        # /api/v1/orders/search must not reach the ``{id}`` route and fail with a 422
        app.add_api_route(path.replace("{id}", "{id:int}"), endpoint, methods=[method])
    return app


app = create_app(realistic_routes=False)
realistic_app = create_app(realistic_routes=True)
