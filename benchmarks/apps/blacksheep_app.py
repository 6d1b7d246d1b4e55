"""BlackSheep peer app.

- Framework: BlackSheep 2.6.4 (guardpost 1.1.0, rodi 2.0.8).
- Served with ``granian --interface asgi apps.blacksheep_app:app`` for the simple scenarios and
  ``apps.blacksheep_app:realistic_app`` for the realistic one (see below).
- Routing: one ``Router`` per application (BlackSheep binds a router to one app), routes added
  with ``router.add_get``/``add_post``/``add_put`` and ``{int:id}`` parameters bound by name;
  responses through ``text()``/``json()`` (BlackSheep's default JSON settings).
- Middleware, on ``realistic_app``: ``app.use_cors(...)``, ``app.default_headers`` for the
  security headers (BlackSheep's built-in way to add fixed headers to every response, itself a
  middleware), and BlackSheep's authentication/authorization: ``use_authentication()`` with an
  ``AuthenticationHandler`` that checks the bearer token with PyJWT, ``use_authorization()``
  and ``@auth()`` on /realistic (401 for a missing or bad token). The handler gets the claims
  as a ``User``.
- /realistic body: ``FromJSON[Order]`` (BlackSheep validates pydantic models itself; 400 when
  invalid), ``include: FromQuery[str]`` (400 when missing).

Deviations from the spec:

- BlackSheep's ``JWTBearerAuthentication`` requires an ``aud`` claim (``valid_audiences``) and
  the spec's token has none, so the JWT check is a small custom ``AuthenticationHandler`` with
  PyJWT, plugged into BlackSheep's own authentication/authorization.
- Two app objects. CORS, default headers and authentication are app-wide in BlackSheep, so
  ``app`` serves the simple scenarios only (no /realistic, no middleware) and does not pay for
  middleware they do not use (``orionis_app`` scopes its middleware to /realistic);
  ``realistic_app`` has every endpoint and the middleware, the object the realistic scenario
  serves.
"""

from __future__ import annotations

from typing import Any

import jwt
from blacksheep import Application, FromJSON, FromQuery, Request, Response, Router, json, text
from blacksheep.server.authorization import auth
from guardpost import AuthenticationHandler, Identity, User

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    SECURITY_HEADERS,
    Order,
    decode_token,
    route_table,
)


class JWTBearerHandler(AuthenticationHandler):
    """``Authorization: Bearer <HS256 JWT>`` -> a ``User`` with the token's claims."""

    def authenticate(self, context: Request) -> Identity | None:  # type: ignore[override]
        header = context.get_first_header(b"authorization")
        if not header or header[:7].lower() != b"bearer ":
            return None
        try:
            claims = decode_token(header[7:].decode("latin-1"))
        except jwt.InvalidTokenError:
            return None
        return User(claims, "JWT Bearer")


async def plaintext() -> Response:
    return text("Hello, World!")


async def json_message() -> Response:
    return json(JSON_MESSAGE)


async def user_by_id(id: int) -> Response:
    return json({"id": id})


async def ok() -> Response:
    return json({"ok": True})


async def echo(request: Request) -> Response:
    return json(await request.json())


@auth()
async def realistic(user: User, order: FromJSON[Order], include: FromQuery[str]) -> Response:
    return json({"user": user.sub, "include": include.value, "order": order.value.model_dump()})


def create_app(*, realistic_routes: bool) -> Application:
    router = Router()
    router.add_get("/plaintext", plaintext)
    router.add_get("/json", json_message)
    router.add_post("/echo", echo)
    if realistic_routes:
        router.add_post("/realistic", realistic)
    for method, path, _kind in route_table():
        handler: Any = user_by_id if path == "/users/{id}" else ok
        router.add(method, path.replace("{id}", "{int:id}"), handler)
    app = Application(router=router)
    if realistic_routes:
        app.use_cors(
            allow_methods="GET POST PUT",
            allow_origins=ALLOWED_ORIGIN,
            allow_headers="Authorization Content-Type",
        )
        app.default_headers = tuple(SECURITY_HEADERS.items())
        app.use_authentication().add(JWTBearerHandler())
        app.use_authorization()
    return app


app = create_app(realistic_routes=False)
realistic_app = create_app(realistic_routes=True)
