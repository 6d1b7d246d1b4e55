"""Falcon peer app.

- Framework: Falcon 4.4.0, ASGI (``falcon.asgi.App``).
- Served with ``granian --interface asgi apps.falcon_app:app`` for the simple scenarios and
  ``apps.falcon_app:realistic_app`` for the realistic one (see below).
- Routing: resource classes with ``on_<method>`` responders and ``{id:int}`` field
  converters; the 100-route table is one small resource class per path, holding only that
  path's methods. JSON through ``resp.media`` (Falcon's default JSON handler, stdlib ``json``).
- Middleware: ``falcon.CORSMiddleware(allow_origins=ALLOWED_ORIGIN)`` (``cors_enable=True``
  would allow every origin) and a middleware class whose ``process_response`` sets the
  security headers, on ``realistic_app``.
- /realistic: an async ``@falcon.before`` hook checks the bearer token with PyJWT
  (``HTTPUnauthorized`` -> 401), ``req.get_param("include", required=True)`` (400 if
  missing), ``Order.model_validate(await req.get_media())`` (422 with pydantic's errors when
  invalid).

Deviation from the spec: two app objects. Falcon's middleware is app-wide, so ``app`` serves
the simple scenarios only (no /realistic, no middleware) and does not pay for middleware they
do not use (``orionis_app`` scopes its middleware to /realistic); ``realistic_app`` has every
endpoint and the middleware, the object the realistic scenario serves.
"""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi
import jwt
import pydantic

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    PLAINTEXT,
    SECURITY_HEADERS,
    Order,
    decode_token,
    route_table,
)


class SecurityHeadersMiddleware:
    async def process_response(
        self,
        req: falcon.asgi.Request,
        resp: falcon.asgi.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        resp.set_headers(SECURITY_HEADERS)


async def require_jwt(
    req: falcon.asgi.Request, resp: falcon.asgi.Response, resource: object, params: dict
) -> None:
    scheme, _, credentials = (req.get_header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise falcon.HTTPUnauthorized(title="Not authenticated", challenges=["Bearer"])
    try:
        claims = decode_token(credentials)
    except jwt.InvalidTokenError:
        raise falcon.HTTPUnauthorized(title="Invalid token", challenges=["Bearer"]) from None
    req.context.user = claims["sub"]


class PlaintextResource:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.data = PLAINTEXT


class JSONResource:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = JSON_MESSAGE


class EchoResource:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = await req.get_media()


class UserResource:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, id: int) -> None:
        resp.media = {"id": id}


class RealisticResource:
    @falcon.before(require_jwt)
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        include = req.get_param("include", required=True)
        try:
            order = Order.model_validate(await req.get_media())
        except pydantic.ValidationError as exc:
            raise falcon.HTTPUnprocessableEntity(
                title="Invalid body",
                description=str(exc),
            ) from None
        resp.media = {"user": req.context.user, "include": include, "order": order.model_dump()}


async def _ok(
    self: Any, req: falcon.asgi.Request, resp: falcon.asgi.Response, **params: Any
) -> None:
    resp.media = {"ok": True}


def _table_resources() -> dict[str, object]:
    """One resource per table path (but /users/{id}), answering only that path's methods."""
    methods: dict[str, list[str]] = {}
    for method, path, _kind in route_table():
        if path != "/users/{id}":
            methods.setdefault(path.replace("{id}", "{id:int}"), []).append(method)
    resources = {}
    for path, verbs in methods.items():
        cls = type("TableResource", (), {f"on_{verb.lower()}": _ok for verb in verbs})
        resources[path] = cls()
    return resources


def create_app(*, realistic_routes: bool) -> falcon.asgi.App:
    middleware: list[object] = []
    if realistic_routes:
        middleware = [
            falcon.CORSMiddleware(allow_origins=ALLOWED_ORIGIN),
            SecurityHeadersMiddleware(),
        ]
    app = falcon.asgi.App(middleware=middleware)
    app.add_route("/plaintext", PlaintextResource())
    app.add_route("/json", JSONResource())
    app.add_route("/echo", EchoResource())
    if realistic_routes:
        app.add_route("/realistic", RealisticResource())
    app.add_route("/users/{id:int}", UserResource())
    for path, resource in _table_resources().items():
        app.add_route(path, resource)
    return app


app = create_app(realistic_routes=False)
realistic_app = create_app(realistic_routes=True)
