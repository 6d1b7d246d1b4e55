"""Credential extraction as dependencies, described in OpenAPI.

    auth = JWTAuth(key, algorithms=["HS256"], issuer="https://id.example")

    @app.get("/me")
    async def me(claims: Annotated[dict, Depends(auth)]) -> dict: ...

    api = Router(prefix="/api", dependencies=[Depends(auth)])   # protect a whole router

A dependency becomes an OpenAPI security requirement by having an ``openapi_security``
attribute: ``(scheme_name, security_scheme_object)``. Missing or malformed credentials are a
401 problem with ``WWW-Authenticate``, never a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from orionis.exceptions import HTTPException
from orionis.requests import Request

__all__ = ["APIKeyHeader", "HTTPBearer", "JWTAuth"]

_FAMILIES = {
    "HS256": "hmac",
    "HS384": "hmac",
    "HS512": "hmac",
    "RS256": "rsa",
    "RS384": "rsa",
    "RS512": "rsa",
    "PS256": "rsa",
    "PS384": "rsa",
    "PS512": "rsa",
    "ES256": "ec",
    "ES256K": "ec",
    "ES384": "ec",
    "ES512": "ec",
    "EdDSA": "okp",
}


def _unauthorized(detail: str, error: str = "invalid_token") -> HTTPException:
    return HTTPException(401, detail, headers={"www-authenticate": f'Bearer error="{error}"'})


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


class JWTAuth:
    """Verify a JSON Web Token and return its claims, as a dependency.

    The token comes from ``Authorization: Bearer <token>``, or from the cookie named
    ``cookie`` when the header is absent. ``key`` is the shared secret for HS* algorithms or
    a PEM public key for RS*, PS*, ES* and EdDSA; it is parsed once, here. All algorithms
    must belong to one family: accepting HS256 and RS256 with one key would let anyone sign
    with the public key (algorithm confusion). ``exp``, ``nbf`` and ``iat`` are checked when
    present (with ``leeway`` seconds), ``iss`` and ``aud`` when configured. A missing,
    malformed, expired or forged token is a 401 with ``WWW-Authenticate: Bearer``, never a
    500.
    """

    def __init__(
        self,
        key: str | bytes,
        algorithms: Sequence[str] = ("HS256",),
        issuer: str | None = None,
        audience: str | Sequence[str] | None = None,
        leeway: float = 0,
        cookie: str | None = None,
        scheme_name: str = "bearerAuth",
    ) -> None:
        algorithms = list(algorithms)
        if isinstance(algorithms, str) or not algorithms:
            raise ValueError("algorithms must be a non-empty list such as ['HS256']")
        unknown = [a for a in algorithms if a not in _FAMILIES]
        if unknown:
            raise ValueError(f"unsupported JWT algorithm(s): {', '.join(unknown)}")
        families = {_FAMILIES[a] for a in algorithms}
        if len(families) != 1:
            raise ValueError(
                "JWTAuth algorithms must share one key type (mixing HMAC and public-key "
                f"algorithms enables algorithm confusion): {algorithms}"
            )
        if not key:
            raise ValueError("JWTAuth needs a key")
        try:
            self._key = jwt.get_algorithm_by_name(algorithms[0]).prepare_key(key)
        except Exception as exc:  # a PEM where a secret belongs, a broken PEM...
            raise ValueError(f"invalid key for {algorithms[0]}: {exc}") from exc
        self.algorithms = algorithms
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cookie = cookie
        required = ["iss"] if issuer is not None else []
        if audience is not None:
            required.append("aud")
        self._options = {"require": required}
        self.openapi_security = (
            scheme_name,
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        )

    def _token(self, request: Request) -> str:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise _unauthorized(
                    "Use an Authorization header of the form 'Bearer <token>'.",
                    "invalid_request",
                )
            return token
        if self.cookie is not None:
            token = request.cookies.get(self.cookie)
            if token:
                return token
        raise HTTPException(401, "Authentication required.", headers={"www-authenticate": "Bearer"})

    async def __call__(self, request: Request) -> dict[str, Any]:
        token = self._token(request)
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options=self._options,
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The token has expired.") from None
        except Exception:  # any other defect: bad signature, claims, encoding, algorithm
            raise _unauthorized("The token is not valid.") from None
        if not isinstance(claims, dict):
            raise _unauthorized("The token is not valid.")
        return claims
