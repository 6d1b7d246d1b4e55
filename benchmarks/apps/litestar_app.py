"""Litestar peer app.

- Framework: Litestar 2.25.0 (msgspec 0.22.0, pydantic 2.14.3 through its pydantic plugin).
- Served with ``granian --interface asgi apps.litestar_app:app`` for the simple scenarios and
  ``apps.litestar_app:realistic_app`` for the realistic one (see below).
- Routing: ``@get``/``@post``/``@put`` route handlers with ``{id:int}`` path parameters, the
  100-route table built the same way; return values serialised by Litestar (msgspec).
  POST handlers set ``status_code=200`` (Litestar's default for POST is 201).
- Middleware: ``CORSConfig`` and an ``ASGIMiddleware`` subclass (Litestar's current
  middleware base) that adds the security headers with ``MutableScopeHeaders``, on
  ``realistic_app``.
- /realistic: a ``Provide``d dependency reads ``Authorization`` through
  ``Parameter(header=...)`` and checks it with PyJWT (``NotAuthorizedException`` -> 401);
  the body is ``data: Order`` (validated by the pydantic plugin, 400 when invalid, Litestar's
  validation status) and ``include: str`` a required query parameter.

Deviation from the spec: two app objects. Litestar's CORS is configured on the app only, so
``app`` serves the simple scenarios only (no /realistic, no middleware) and does not pay for
middleware they do not use (``orionis_app`` scopes its middleware to /realistic);
``realistic_app`` has every endpoint and the middleware, the object the realistic scenario
serves.
"""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from litestar import Litestar, MediaType, get, post, route
from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import ASGIMiddleware
from litestar.params import Parameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    PLAINTEXT,
    SECURITY_HEADERS,
    Order,
    decode_token,
    route_table,
)


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await next_app(scope, receive, send_with_headers)


async def current_user(
    authorization: Annotated[str | None, Parameter(header="Authorization")] = None,
) -> str:
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise NotAuthorizedException("Not authenticated")
    try:
        claims = decode_token(credentials)
    except jwt.InvalidTokenError:
        raise NotAuthorizedException("Invalid token") from None
    return claims["sub"]


def _handlers(*, realistic_routes: bool) -> list[Any]:
    """Fresh route handlers for one app (a handler object belongs to one app)."""

    @get("/plaintext", media_type=MediaType.TEXT)
    async def plaintext() -> bytes:
        return PLAINTEXT

    @get("/json")
    async def json_message() -> dict[str, str]:
        return JSON_MESSAGE

    @post("/echo", status_code=200)
    async def echo(data: dict[str, Any]) -> dict[str, Any]:
        return data

    @post("/realistic", status_code=200, dependencies={"user": Provide(current_user)})
    async def realistic(data: Order, include: str, user: str) -> dict[str, Any]:
        return {"user": user, "include": include, "order": data}

    async def user_by_id(id: int) -> dict[str, int]:
        return {"id": id}

    async def ok() -> dict[str, bool]:
        return {"ok": True}

    async def ok_with_id(id: int) -> dict[str, bool]:
        return {"ok": True}

    handlers: list[Any] = [plaintext, json_message, echo]
    if realistic_routes:
        handlers.append(realistic)
    for method, path, kind in route_table():
        if path == "/users/{id}":
            fn: Any = user_by_id
        else:
            fn = ok_with_id if kind == "int" else ok
        handlers.append(
            route(path.replace("{id}", "{id:int}"), http_method=method, status_code=200)(fn)
        )
    return handlers


def create_app(*, realistic_routes: bool) -> Litestar:
    if not realistic_routes:
        return Litestar(route_handlers=_handlers(realistic_routes=False))
    return Litestar(
        route_handlers=_handlers(realistic_routes=True),
        cors_config=CORSConfig(
            allow_origins=[ALLOWED_ORIGIN],
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["authorization", "content-type"],
        ),
        middleware=[SecurityHeadersMiddleware()],
    )


app = create_app(realistic_routes=False)
realistic_app = create_app(realistic_routes=True)
