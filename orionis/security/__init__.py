"""Credential extraction as dependencies, described in OpenAPI.

    auth = JWTAuth(key, algorithms=["HS256"], issuer="https://id.example")

    @app.get("/me")
    async def me(claims: Annotated[dict, Depends(auth)]) -> dict: ...

    api = Router(prefix="/api", dependencies=[Depends(auth)])   # protect a whole router

    auth = JWTAuth(jwks_url="https://id.example/.well-known/jwks.json", algorithms=["RS256"])
    @app.post("/notes", dependencies=[Depends(auth.requires("notes:write"))])

A dependency becomes an OpenAPI security requirement by having an ``openapi_security``
attribute: ``(scheme_name, security_scheme_object)``. Missing or malformed credentials are a
401 problem with ``WWW-Authenticate``, never a 500.
"""

from __future__ import annotations

import binascii
import datetime
import hashlib
import hmac
import string
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jwt
import orjson

from orionis.exceptions import HTTPException
from orionis.requests import Request
from orionis.security.jwks import JWKSCache, Requirement

__all__ = ["APIKeyHeader", "HTTPBearer", "JWKSCache", "JWTAuth", "Requirement", "WeakKeyWarning"]

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


_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
# base64url -> standard base64 for binascii's strict decoder; '+' and '/' (not base64url)
# become '!', which the strict decoder refuses.
_TO_STANDARD = bytes.maketrans(b"-_+/", b"+/!!")
_PADDING = (b"", b"", b"==", b"=")
# Tokens whose signature and encoding were verified (per JWTAuth): a client sends the same
# token with every request until it expires. Bounded in count and token size; only tokens
# that passed every check get in, so a forger cannot fill it.
_VERIFIED_MAX = 256
_VERIFIED_TOKEN_MAX = 4096
_SCALARS = frozenset({str, int, float, bool, type(None)})
_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}


class WeakKeyWarning(jwt.InsecureKeyLengthWarning):
    """``JWTAuth`` got an HMAC secret shorter than its hash output (RFC 7518 section 3.2).

    A ``UserWarning`` (through PyJWT's ``InsecureKeyLengthWarning``, so a filter for that
    one covers this one too), raised once per ``JWTAuth``, when it is constructed.
    """


class _Invalid(Exception):
    """Raised inside the fast HMAC verifier; answered as a 401."""


class _Expired(_Invalid):
    pass


def _segment(text: str) -> bytes:
    """A base64url segment, decoded with PyJWT's rules: at most two '=' of padding (only
    when the length is a multiple of four), the URL-safe alphabet only, canonical encoding
    (no stray bits in the last character)."""
    stripped = text.rstrip("=")
    size = len(stripped)
    rest = size % 4
    padding = len(text) - size
    if padding > 2 or (padding and len(text) % 4) or rest == 1:
        raise _Invalid("not base64url")
    try:
        data = stripped.encode("ascii").translate(_TO_STANDARD) + _PADDING[rest]
        decoded = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _Invalid("not base64url") from None
    # Canonical: the bits of the last character beyond the decoded bytes are zero.
    if rest and _VALUE[stripped[-1]] & (0x0F if rest == 2 else 0x03):
        raise _Invalid("not canonical base64url")
    return decoded


def _int(value: Any) -> int:
    # PyJWT's rule for exp/nbf/iat: whatever int() accepts.
    try:
        return int(value)
    except (ValueError, TypeError, OverflowError):
        raise _Invalid("time claim is not a number") from None


def _missing() -> HTTPException:
    return HTTPException(401, "Authentication required.", headers={"www-authenticate": "Bearer"})


def _bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without the header; a 401 for
    any other form of it."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized(
            "Use an Authorization header of the form 'Bearer <token>'.", "invalid_request"
        )
    return token


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
        token = _bearer(request)
        if token is None:
            raise _missing()
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
    ``cookie`` when the header is absent, or else from the query parameter named ``query``
    (off by default: URLs end up in logs; meant for WebSocket handshakes, where browsers
    cannot set headers). ``key`` is the shared secret for HS* algorithms or
    a PEM public key for RS*, PS*, ES* and EdDSA; it is parsed once, here. All algorithms
    must belong to one family: accepting HS256 and RS256 with one key would let anyone sign
    with the public key (algorithm confusion). ``exp``, ``nbf`` and ``iat`` are checked when
    present (with ``leeway`` seconds; ``require_exp=True`` refuses tokens without ``exp``),
    ``iss`` and ``aud`` when configured. A missing token is a 401 with
    ``WWW-Authenticate: Bearer``; a malformed, expired or forged one adds
    ``error="invalid_token"``; never a 500.

    ``jwks_url=`` instead of ``key`` takes public keys from a JWKS document by the token's
    ``kid`` (see ``orionis.security.jwks``: cached, refetched for an unknown ``kid`` at most
    once per ``jwks_refresh_interval`` seconds of ``clock``, bounded in time and size).
    """

    def __init__(
        self,
        key: str | bytes | None = None,
        algorithms: Sequence[str] = ("HS256",),
        issuer: str | Sequence[str] | None = None,
        audience: str | Sequence[str] | None = None,
        leeway: float | datetime.timedelta = 0,
        cookie: str | None = None,
        scheme_name: str = "bearerAuth",
        query: str | None = None,
        *,
        jwks_url: str | None = None,
        jwks_timeout: float = 5.0,
        jwks_max_bytes: int = 256 * 1024,
        jwks_refresh_interval: float = 60.0,
        jwks_max_age: float = 3600.0,
        require_exp: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(algorithms, str) or not algorithms:
            raise ValueError("algorithms must be a non-empty list such as ['HS256']")
        algorithms = list(algorithms)
        unknown = [a for a in algorithms if a not in _FAMILIES]
        if unknown:
            raise ValueError(f"unsupported JWT algorithm(s): {', '.join(unknown)}")
        families = {_FAMILIES[a] for a in algorithms}
        if len(families) != 1:
            raise ValueError(
                "JWTAuth algorithms must share one key type (mixing HMAC and public-key "
                f"algorithms enables algorithm confusion): {algorithms}"
            )
        self._jwks: JWKSCache | None = None
        if jwks_url is not None:
            if key is not None:
                raise ValueError("JWTAuth takes a key or a jwks_url, not both")
            if families == {"hmac"}:
                raise ValueError(
                    "jwks_url serves public keys: use algorithms such as ['RS256'] or "
                    "['ES256'], not HMAC ones"
                )
            self._jwks = JWKSCache(
                jwks_url,
                algorithms,
                timeout=jwks_timeout,
                max_bytes=jwks_max_bytes,
                refresh_interval=jwks_refresh_interval,
                max_age=jwks_max_age,
                clock=clock,
            )
            self._key = None
        elif not key:
            raise ValueError("JWTAuth needs a key (or jwks_url=...)")
        else:
            try:
                self._key = jwt.get_algorithm_by_name(algorithms[0]).prepare_key(key)
            except Exception as exc:  # a PEM where a secret belongs, a broken PEM...
                raise ValueError(f"invalid key for {algorithms[0]}: {exc}") from exc
        if families == {"hmac"}:
            needed = max(_HASHES[a]().digest_size for a in algorithms)
            if len(self._key) < needed:
                warnings.warn(
                    f"JWTAuth: the HMAC secret is {len(self._key)} bytes; {'/'.join(algorithms)} "
                    f"needs at least {needed} random bytes (e.g. secrets.token_bytes({needed}))",
                    WeakKeyWarning,
                    stacklevel=2,
                )
        if isinstance(leeway, datetime.timedelta):
            leeway = leeway.total_seconds()
        if not isinstance(leeway, int | float) or leeway < 0:
            raise ValueError("leeway is a number of seconds (or a timedelta), at least 0")
        if issuer is not None and not isinstance(issuer, str):
            issuer = list(issuer)
            if not issuer or not all(isinstance(i, str) for i in issuer):
                raise ValueError("issuer is a string or a non-empty list of strings")
        self.algorithms = algorithms
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cookie = cookie
        self.query = query
        required = ["iss"] if issuer is not None else []
        if audience is not None:
            required.append("aud")
        if require_exp:
            required.append("exp")
        self._options = {"require": required}
        # Per-request forms of the same settings, for the fast HMAC path.
        self._required = tuple(required)
        self._issuers: frozenset[str] | None = (
            None if issuer is None else frozenset([issuer] if isinstance(issuer, str) else issuer)
        )
        self._audiences = [audience] if isinstance(audience, str) else audience
        # HMAC tokens are verified here: PyJWT spends most of a request validating base64
        # in Python and re-preparing the key. Same checks, same answers (the test suite
        # compares both on generated tokens); public-key algorithms still go through PyJWT.
        self._fast = families == {"hmac"}
        self._header_algorithms: dict[str, str] = {}
        # token -> (claims, whether every claim is a scalar, the payload JSON); see verify_hmac
        self._verified: dict[str, tuple[dict[str, Any], bool, bytes]] = {}
        # One keyed HMAC per allowed algorithm, copied per token: copying a keyed context
        # costs half of keying a new one (hmac.digest re-derives the key pads every time).
        self._macs = (
            {a: hmac.new(self._key, digestmod=_HASHES[a]) for a in algorithms} if self._fast else {}
        )
        self.openapi_security = (
            scheme_name,
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        )

    def _token(self, request: Request) -> str:
        token = _bearer(request)
        if token is not None:
            return token
        if self.cookie is not None:
            token = request.cookies.get(self.cookie)
            if token:
                return token
        if self.query is not None:
            token = request.query_params.get(self.query)
            if token:
                return token
        raise _missing()

    async def __call__(self, request: Request) -> dict[str, Any]:
        token = self._token(request)
        try:
            if self._fast:
                return self.verify_hmac(token)
            key = self._key
            if self._jwks is not None:
                kid = jwt.get_unverified_header(token).get("kid")
                if kid is not None and not isinstance(kid, str):
                    raise _Invalid("kid is not a string")
                key = await self._jwks.key(kid)
            claims = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options=self._options,
            )
        except HTTPException:
            raise
        except (_Expired, jwt.ExpiredSignatureError):
            raise _unauthorized("The token has expired.") from None
        except Exception:  # any other defect: bad signature, claims, encoding, algorithm
            raise _unauthorized("The token is not valid.") from None
        if not isinstance(claims, dict):
            raise _unauthorized("The token is not valid.")
        return claims

    def requires(self, *scopes: str, roles: Sequence[str] = ()) -> Requirement:
        """A dependency returning the claims when every scope (and role) is granted; else 403."""
        return Requirement(self, scopes, roles)

    def verify_hmac(self, token: str) -> dict[str, Any]:
        """Verify an HS256/384/512 token with PyJWT's rules; raise on any defect.

        A token verified before (the same string: the same signature) skips the signature
        and decoding, not the time, issuer and audience checks; the claims are a fresh
        object each time, so a handler changing them changes nothing for the next request.
        """
        verified = self._verified.get(token)
        if verified is not None:
            cached, flat, payload = verified
            claims = dict(cached) if flat else orjson.loads(payload)
            self._check_claims(claims)
            return claims
        if not token.isascii():
            raise _Invalid("not ASCII")
        parts = token.split(".")
        if len(parts) != 3:
            raise _Invalid("not three segments")
        header_text, payload_text, signature_text = parts
        # A client sends the same header with every token: its verdict is remembered (only
        # for valid headers, at most 64 of them).
        algorithm = self._header_algorithms.get(header_text)
        if algorithm is None:
            algorithm = self._header_algorithm(header_text)
            if len(self._header_algorithms) >= 64:
                self._header_algorithms.clear()
            self._header_algorithms[header_text] = algorithm
        mac = self._macs[algorithm].copy()
        mac.update(f"{header_text}.{payload_text}".encode("ascii"))
        expected = mac.digest()
        if not hmac.compare_digest(expected, _segment(signature_text)):
            raise _Invalid("bad signature")
        payload = _segment(payload_text)
        claims = orjson.loads(payload)
        if type(claims) is not dict:
            raise _Invalid("payload is not an object")
        self._check_claims(claims)
        if len(token) <= _VERIFIED_TOKEN_MAX:
            if len(self._verified) >= _VERIFIED_MAX:
                self._verified.clear()
            flat = all(type(v) in _SCALARS for v in claims.values())
            self._verified[token] = (dict(claims) if flat else {}, flat, payload)
        return claims

    def _header_algorithm(self, header_text: str) -> str:
        header = orjson.loads(_segment(header_text))
        if type(header) is not dict:
            raise _Invalid("header is not an object")
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise _Invalid("algorithm not allowed")
        if "crit" in header or "b64" in header:  # no extensions are supported
            raise _Invalid("critical header")
        if "kid" in header and not isinstance(header["kid"], str):
            raise _Invalid("kid is not a string")
        return algorithm  # type: ignore[no-any-return]

    def _check_claims(self, claims: dict[str, Any]) -> None:
        for name in self._required:
            if claims.get(name) is None:
                raise _Invalid(f"missing {name}")
        now = time.time()
        leeway = self.leeway
        if "iat" in claims and _int(claims["iat"]) > now + leeway:
            raise _Invalid("issued in the future")
        if "nbf" in claims and _int(claims["nbf"]) > now + leeway:
            raise _Invalid("not yet valid")
        if "exp" in claims and _int(claims["exp"]) <= now - leeway:
            raise _Expired("expired")
        issuers = self._issuers
        if issuers is not None:
            issuer = claims["iss"]
            if not isinstance(issuer, str) or issuer not in issuers:
                raise _Invalid("wrong issuer")
        audience_claim = claims.get("aud")
        if self._audiences is None:
            if audience_claim:
                raise _Invalid("unexpected audience")
        else:
            if isinstance(audience_claim, str):
                audience_claim = [audience_claim]
            if not isinstance(audience_claim, list) or any(
                not isinstance(a, str) for a in audience_claim
            ):
                raise _Invalid("audience format")
            if all(a not in audience_claim for a in self._audiences):
                raise _Invalid("wrong audience")
        if "sub" in claims and not isinstance(claims["sub"], str):
            raise _Invalid("sub is not a string")
        if "jti" in claims and not isinstance(claims["jti"], str):
            raise _Invalid("jti is not a string")
