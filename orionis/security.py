"""Credential extraction as dependencies, described in OpenAPI.

    bearer = HTTPBearer()

    @app.get("/me")
    async def me(token: Annotated[str, Depends(bearer)]) -> dict: ...

A dependency becomes an OpenAPI security requirement by having an ``openapi_security``
attribute: ``(scheme_name, security_scheme_object)``. Missing or malformed credentials are a
401 problem with ``WWW-Authenticate``, never a 500.
"""

from __future__ import annotations

from typing import Any

from orionis.exceptions import HTTPException
from orionis.requests import Request

__all__ = ["APIKeyHeader", "HTTPBearer"]


class HTTPBearer:
    """The token from ``Authorization: Bearer <token>``."""

    def __init__(self, scheme_name: str = "bearerAuth", *, bearer_format: str | None = None):
        scheme: dict[str, Any] = {"type": "http", "scheme": "bearer"}
        if bearer_format:
            scheme["bearerFormat"] = bearer_format
        self.openapi_security = (scheme_name, scheme)

    async def __call__(self, request: Request) -> str:
        header = request.headers.get("authorization")
        if header is None:
            raise HTTPException(
                401, "Authentication required.", headers={"www-authenticate": "Bearer"}
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                401,
                "Use an Authorization header of the form 'Bearer <token>'.",
                headers={"www-authenticate": 'Bearer error="invalid_request"'},
            )
        return token


class APIKeyHeader:
    """An API key from a request header (``X-API-Key`` by default)."""

    def __init__(self, name: str = "X-API-Key", scheme_name: str = "apiKeyAuth") -> None:
        self.header = name.lower()
        self.openapi_security = (scheme_name, {"type": "apiKey", "in": "header", "name": name})

    async def __call__(self, request: Request) -> str:
        key = request.headers.get(self.header)
        if not key:
            raise HTTPException(
                401,
                f"Send your API key in the {self.header} header.",
                headers={"www-authenticate": "ApiKey"},
            )
        return key
