"""Starlette peer app.

- Framework: Starlette 1.10.0.
- Served with ``granian --interface asgi apps.starlette_app:app`` for the simple scenarios and
  ``apps.starlette_app:realistic_app`` for the realistic one (see below).
- Routing: a ``routes=[Route(...)]`` list with ``{id:int}`` convertors; JSON through
  ``JSONResponse`` (Starlette's default, stdlib ``json``).
- Middleware: ``starlette.middleware.cors.CORSMiddleware`` and a pure ASGI middleware for the
  security headers (``apps.common.SecurityHeadersMiddleware``, the form Starlette's docs
  recommend over ``BaseHTTPMiddleware`` for speed), both app-wide, on ``realistic_app``.
- /realistic: PyJWT on the ``Authorization: Bearer`` header (401 on a missing or bad token),
  ``Order.model_validate_json`` on the raw body (422 with pydantic's errors on failure), and
  ``include`` from the query string (422 if missing). Starlette has no dependency injection
  or body binding, so this is plain code in the endpoint, as a Starlette user writes it.

Deviation from the spec: two app objects. Starlette's middleware is best added app-wide (route-
level middleware exists but then CORS preflight requests never reach it), so ``app`` serves the
simple scenarios only (no /realistic, no middleware) and does not pay for middleware they do
not use (``orionis_app`` scopes its middleware to /realistic); ``realistic_app`` has every
endpoint and the middleware, the object the realistic scenario serves.

``secure_app`` (the sessions + CSRF + rate-limit row, see ``apps/common.py``): Starlette's
``SessionMiddleware`` (signed cookie, itsdangerous), ``starlette_csrf.CSRFMiddleware``
(starlette-csrf 3.0, a signed double-submit cookie checked against ``X-CSRF-Token``) and
slowapi's ``SlowAPIASGIMiddleware`` with a default limit in Redis at ``$BENCH_REDIS_URL``
(limits' synchronous Redis storage, the only kind slowapi drives; ``headers_enabled`` for the
``X-RateLimit-*`` headers, as Orionis sends ``RateLimit-*``), app-wide, rate limit outermost.
Deviation: starlette-csrf does not bind its token to the session (Orionis does).
"""

from __future__ import annotations

import jwt
import pydantic
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    PLAINTEXT,
    SECRET_KEY,
    Order,
    SecurityHeadersMiddleware,
    decode_token,
    route_table,
)


def _current_user(request: Request) -> str | None:
    """The ``sub`` claim of a valid bearer token, else None."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    try:
        claims = decode_token(credentials)
    except jwt.InvalidTokenError:
        return None
    return claims["sub"]


async def plaintext(request: Request) -> Response:
    return PlainTextResponse(PLAINTEXT)


async def json_message(request: Request) -> Response:
    return JSONResponse(JSON_MESSAGE)


async def user(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["id"]})


async def ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def echo(request: Request) -> Response:
    return JSONResponse(await request.json())


async def realistic(request: Request) -> Response:
    sub = _current_user(request)
    if sub is None:
        return JSONResponse(
            {"detail": "Not authenticated"}, 401, headers={"www-authenticate": "Bearer"}
        )
    include = request.query_params.get("include")
    if include is None:
        return JSONResponse({"detail": "missing query parameter: include"}, 422)
    try:
        order = Order.model_validate_json(await request.body())
    except pydantic.ValidationError as exc:
        return JSONResponse({"detail": exc.errors(include_url=False, include_context=False)}, 422)
    return JSONResponse({"user": sub, "include": include, "order": order.model_dump()})


def _routes(*, realistic_routes: bool) -> list[Route]:
    routes = [
        Route("/plaintext", plaintext),
        Route("/json", json_message),
        Route("/echo", echo, methods=["POST"]),
    ]
    if realistic_routes:
        routes.append(Route("/realistic", realistic, methods=["POST"]))
    for method, path, _kind in route_table():
        endpoint = user if path == "/users/{id}" else ok
        routes.append(Route(path.replace("{id}", "{id:int}"), endpoint, methods=[method]))
    return routes


def create_app(*, realistic_routes: bool) -> Starlette:
    middleware = []
    if realistic_routes:
        middleware = [
            Middleware(
                CORSMiddleware,
                allow_origins=[ALLOWED_ORIGIN],
                allow_methods=["GET", "POST", "PUT"],
                allow_headers=["authorization", "content-type"],
            ),
            Middleware(SecurityHeadersMiddleware),
        ]
    return Starlette(routes=_routes(realistic_routes=realistic_routes), middleware=middleware)


app = create_app(realistic_routes=False)
realistic_app = create_app(realistic_routes=True)


async def login(request: Request) -> Response:
    request.session.clear()
    request.session["user"] = "user-42"
    return JSONResponse({"ok": True})


async def csrf_token(request: Request) -> Response:
    return JSONResponse({"csrf": request.cookies.get("csrftoken")})


async def secure(request: Request) -> Response:
    try:
        order = Order.model_validate_json(await request.body())
    except pydantic.ValidationError as exc:
        return JSONResponse({"detail": exc.errors(include_url=False, include_context=False)}, 422)
    return JSONResponse({"user": request.session.get("user"), "order": order.model_dump()})


def create_secure_app() -> Starlette:
    import os

    from slowapi import Limiter
    from slowapi.middleware import SlowAPIASGIMiddleware
    from slowapi.util import get_remote_address
    from starlette_csrf import CSRFMiddleware

    limiter = Limiter(
        key_func=get_remote_address,
        default_limits=["100000000/minute"],
        headers_enabled=True,
        storage_uri=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    routes = _routes(realistic_routes=False)
    routes += [
        Route("/secure/login", login),
        Route("/secure/token", csrf_token),
        Route("/secure", secure, methods=["POST"]),
    ]
    secured = Starlette(
        routes=routes,
        middleware=[
            Middleware(SlowAPIASGIMiddleware),
            Middleware(SessionMiddleware, secret_key=SECRET_KEY),
            Middleware(CSRFMiddleware, secret=SECRET_KEY, header_name="x-csrf-token"),
        ],
    )
    secured.state.limiter = limiter
    return secured


def __getattr__(name: str) -> Starlette:
    """``secure_app`` is built on first use, so serving ``app`` does not import slowapi,
    starlette-csrf or redis (the cold-start row times ``app``)."""
    if name == "secure_app":
        built = globals()[name] = create_secure_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
