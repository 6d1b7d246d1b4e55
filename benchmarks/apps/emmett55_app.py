"""Emmett55 peer app.

- Framework: Emmett55 1.3.0 (emmett-core 1.4.6).
- Served with ``granian --interface rsgi apps.emmett55_app:app``: an Emmett55 ``App`` is
  itself the RSGI application (it defines ``__rsgi__``; it also answers ASGI).
- Routing: ``@app.route(path, methods=...)`` with ``<int:id>`` segments; JSON answers through
  the ``@service.json`` pipe (Emmett serialises with orjson when it is installed, as here).
- Middleware: Emmett's pipeline, which Emmett applies per app, module or route. The CORS,
  security-headers and JWT pipes sit on the /realistic route only (``realistic_app`` is
  ``app``), the way ``orionis_app`` scopes its middleware, so the simple scenarios do not pay
  for them. The JWT pipe hands the ``sub`` claim to the handler as a keyword argument.

Deviations from the spec, and why:

- Emmett55 ships no CORS helper (nor Emmett's auth/validation layers), so CORS is a small pipe
  written here: it adds ``access-control-allow-origin``/``vary`` for an allowed ``Origin`` on
  simple requests; OPTIONS preflight is not implemented (the benchmark sends none).
- JWT is checked with PyJWT in a pipe, the body is validated with ``Order.model_validate_json``
  on the raw body, an invalid body answers 422 with pydantic's errors, a missing ``include``
  answers 422 too (Emmett has no typed query parameters).
- ``App(__name__)`` creates empty ``logs/`` and ``static/`` folders beside this file at start
  (Emmett's own behaviour; git does not track empty folders).
"""

from __future__ import annotations

from typing import Any

import jwt
import pydantic
from emmett55 import App, Pipe, abort, request, response
from emmett55.tools import service

from apps.common import (
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    PLAINTEXT,
    SECURITY_HEADERS,
    Order,
    decode_token,
    route_table,
)


class CORSPipe(Pipe):
    """CORS for simple requests: echo an allowed ``Origin`` back."""

    async def open_request(self) -> None:
        if request.headers.get("origin") == ALLOWED_ORIGIN:
            response.headers["access-control-allow-origin"] = ALLOWED_ORIGIN
            response.headers["vary"] = "Origin"


class SecurityHeadersPipe(Pipe):
    async def open_request(self) -> None:
        headers = response.headers
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value


class JWTPipe(Pipe):
    """``Authorization: Bearer <HS256 JWT>``, else ``abort(401)``; passes ``user`` (sub) on."""

    async def pipe_request(self, next_pipe: Any, **kwargs: Any) -> Any:
        auth = request.headers.get("authorization") or ""
        scheme, _, credentials = auth.partition(" ")
        if scheme.lower() != "bearer" or not credentials:
            abort(401, "Not authenticated")
        try:
            claims = decode_token(credentials)
        except jwt.InvalidTokenError:
            abort(401, "Invalid token")
        return await next_pipe(user=claims["sub"], **kwargs)


app = App(__name__)


@app.route("/plaintext", methods="get", output="bytes")
async def plaintext() -> bytes:
    return PLAINTEXT


@app.route("/json", methods="get")
@service.json
async def json_message() -> dict[str, str]:
    return JSON_MESSAGE


@app.route("/echo", methods="post")
@service.json
async def echo() -> Any:
    return await request.body_params


@app.route("/realistic", methods="post", pipeline=[CORSPipe(), SecurityHeadersPipe(), JWTPipe()])
@service.json
async def realistic(user: str) -> dict[str, Any]:
    include = request.query_params.include
    if include is None:
        response.status = 422
        return {"detail": "missing query parameter: include"}
    try:
        order = Order.model_validate_json(await request.body)
    except pydantic.ValidationError as exc:
        response.status = 422
        return {"detail": exc.errors(include_url=False, include_context=False)}
    return {"user": user, "include": include, "order": order.model_dump()}


def _add_table() -> None:
    for i, (method, path, _kind) in enumerate(route_table()):
        emmett_path = path.replace("{id}", "<int:id>")
        if path == "/users/{id}":

            async def user(id: int) -> dict[str, int]:
                return {"id": id}

            app.route(emmett_path, name=f"table_{i}", methods=method.lower())(service.json(user))
            continue

        async def ok(**params: Any) -> dict[str, bool]:
            return {"ok": True}

        app.route(emmett_path, name=f"table_{i}", methods=method.lower())(service.json(ok))


_add_table()

realistic_app = app
