"""What every benchmark app answers, and the data the load generator sends.

Every app (bare RSGI/ASGI floors, Orionis, peers) implements exactly these endpoints:

- ``GET /plaintext`` -> ``Hello, World!`` as ``text/plain``
- ``GET /json`` -> ``{"message": "Hello, World!"}`` as ``application/json``
- ``GET /users/{id:int}`` -> ``{"id": <id>}``; registered among ``route_table()``'s 100 routes
  (static and dynamic, several prefixes), the way a real API's table looks
- ``POST /echo`` -> the JSON body parsed and serialised back (``application/json``)
- ``POST /realistic?include=<str>`` (not for the bare floors): CORS middleware allowing
  ``ALLOWED_ORIGIN``, security-header middleware (the ``SECURITY_HEADERS`` below), a JWT
  (HS256, ``JWT_SECRET``, issuer ``JWT_ISSUER``) from ``Authorization: Bearer``, a JSON body
  validated by the ``Order`` pydantic model, and the query parameter ``include``. Answers
  ``{"user": <sub claim>, "include": <include>, "order": <validated order>}``.

Only the apps in the sessions + CSRF + rate-limit row (``secure_app`` of ``orionis_app`` and
``starlette_app``) also serve ``GET /secure/login`` (signs the session in as ``user-42``),
``GET /secure/token`` (any answer: it leaves the CSRF cookie for the session) and
``POST /secure`` (the ``Order`` body; the session cookie, the ``csrftoken`` cookie and the
same token in ``X-CSRF-Token``; a Redis rate limit by client address): answers
``{"user": "user-42", "order": <validated order>}``, 403 without the CSRF token.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import orjson
import pydantic

PLAINTEXT = b"Hello, World!"
JSON_MESSAGE = {"message": "Hello, World!"}

JWT_SECRET = "benchmark-secret-key-0123456789abcdef"
SECRET_KEY = "benchmark-session-and-csrf-secret-0123456789"  # the /secure row's sessions, CSRF
JWT_ISSUER = "orionis-bench"
ALLOWED_ORIGIN = "https://app.example"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-security-policy": "default-src 'none'",
}


_SECURITY_HEADERS = [
    (k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()
]


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: appends the security headers to every HTTP response.

    Shared by the Starlette and FastAPI apps (the form Starlette's docs recommend over
    ``BaseHTTPMiddleware``); it touches nothing framework-specific."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OrderLine(pydantic.BaseModel):
    sku: str = pydantic.Field(min_length=1, max_length=32)
    quantity: int = pydantic.Field(gt=0, le=1000)


class Order(pydantic.BaseModel):
    customer: str = pydantic.Field(min_length=1, max_length=100)
    lines: list[OrderLine] = pydantic.Field(min_length=1, max_length=50)
    note: str | None = None


def token() -> str:
    """A valid token for the realistic route (expires in a day)."""
    claims = {"sub": "user-42", "iss": JWT_ISSUER, "exp": int(time.time()) + 86400}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def decode_token(token: str) -> dict[str, Any]:
    """The claims of a realistic-route token; ``jwt.InvalidTokenError`` when it is not valid
    (each app turns that into its own 401)."""
    claims: dict[str, Any] = jwt.decode(
        token,
        JWT_SECRET,
        algorithms=["HS256"],
        issuer=JWT_ISSUER,
        options={"require": ["exp", "iss", "sub"]},
    )
    return claims


def echo_payload(size: int = 1536) -> bytes:
    """A JSON object of about ``size`` bytes (1.5 KB by default)."""
    items = []
    i = 0
    while len(orjson.dumps({"items": items})) < size:
        items.append({"id": i, "name": f"item-{i}", "price": i * 1.25, "tags": ["a", "b"]})
        i += 1
    return orjson.dumps({"items": items})


ORDER = orjson.dumps(
    {
        "customer": "ACME Corp",
        "lines": [{"sku": f"SKU-{i}", "quantity": i + 1} for i in range(5)],
        "note": "leave at the door",
    }
)


def realistic_answer(include: str) -> dict[str, Any]:
    return {"user": "user-42", "include": include, "order": orjson.loads(ORDER)}


# -- the 100-route table -----------------------------------------------------------------
RESOURCES = ("accounts", "orders", "products", "invoices", "teams", "projects", "tickets")


def route_table() -> list[tuple[str, str, str]]:
    """``(method, path, kind)`` for 100 routes, ``GET /users/{id}`` among them.

    ``kind`` is ``static`` or ``int`` (one ``{id}`` integer parameter); paths use ``{id}``
    and each app translates to its own syntax. Every route answers ``{"ok": true}`` except
    ``/users/{id}``.
    """
    routes: list[tuple[str, str, str]] = []
    for version in ("v1", "v2"):
        for resource in RESOURCES:
            base = f"/api/{version}/{resource}"
            routes.append(("GET", base, "static"))
            routes.append(("POST", base, "static"))
            routes.append(("GET", base + "/{id}", "int"))
            routes.append(("PUT", base + "/{id}", "int"))
            routes.append(("GET", base + "/{id}/history", "int"))
            routes.append(("GET", base + "/search", "static"))
            routes.append(("GET", base + "/{id}/owners", "int"))
    routes.append(("GET", "/users/me", "static"))  # a static sibling of the measured route
    routes.append(("GET", "/users/{id}", "int"))  # the measured one, last in the table
    assert len(routes) == 100, len(routes)
    return routes


# -- route-table matching for the bare floors (no framework router to lean on) -----------
TABLE_OK = orjson.dumps({"ok": True})  # the answer of every table route but /users/{id}
NOT_FOUND = b"Not Found"

# (method, path template) of every table route but /users/{id}; integer segments of a
# request path are looked up as "{id}"
_TABLE = {(m, p) for m, p, _ in route_table() if p != "/users/{id}"}


def table_match(method: str, path: str) -> bool:
    """Whether ``method path`` is one of ``route_table()``'s routes other than
    ``/users/{id}`` (which the bare floors answer themselves)."""
    if (method, path) in _TABLE:
        return True
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.isascii() and part.isdigit():
            parts[i] = "{id}"
    return (method, "/".join(parts)) in _TABLE
