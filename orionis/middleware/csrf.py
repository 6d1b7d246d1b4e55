"""Cross-site request forgery protection for browser forms and cookie-authenticated APIs.

    app.add_middleware(SessionMiddleware, secret_key=SECRET)     # first: CSRF binds to it
    app.add_middleware(CSRFMiddleware, secret_key=SECRET, trusted_origins=["https://app.example"])

Unsafe methods (POST, PUT, PATCH, DELETE: all but GET, HEAD, OPTIONS, TRACE) must pass two
checks, else 403 problem+json naming the failed one:

1. Where the request comes from: ``Sec-Fetch-Site`` (``cross-site`` refused, ``same-site``
   refused unless ``allow_same_site=True``), ``Origin`` (the request's own origin or one of
   ``trusted_origins``; ``null`` refused), and over HTTPS, when neither header is present,
   ``Referer`` (required, same rule as ``Origin``).
2. A double-submit token: the cookie ``csrftoken`` holds ``nonce.HMAC(secret, binding|nonce)``
   and the request must send the same value in ``X-CSRF-Token`` or a ``csrf_token`` form field.
   A cookie that is not signed with the secret (planted by a sibling subdomain, made up) fails;
   with ``SessionMiddleware`` outside this one, the token is bound to the session once it holds
   data (a random key kept in ``request.session["_csrf"]``), so a token from another signed-in
   session fails too.

Handlers read the token as ``request.state.csrf_token`` (render it into forms). Requests with
``Authorization: Bearer`` and no cookies are let through: a browser cannot be tricked into
sending them. ``exempt=[...]`` lists route names or paths (``/hooks/*`` for a prefix).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from orionis.exceptions import problem
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["CSRFMiddleware"]

SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # every other method is checked
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SESSION_KEY = "_csrf"
MAX_TOKEN = 256  # a real token is 87 characters


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute URL, lower-cased; ``None`` if it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}".lower()


class CSRFMiddleware(Middleware):
    """See the module docstring."""

    def __init__(
        self,
        secret_key: str | bytes,
        *,
        trusted_origins: Sequence[str] = (),
        allow_same_site: bool = False,
        exempt: Sequence[str] = (),
        token_exempt: Sequence[str] = (),
        cookie_name: str = "csrftoken",
        header_name: str = "X-CSRF-Token",
        field_name: str = "csrf_token",
        https_only: bool = False,
        same_site: Literal["lax", "strict", "none"] = "lax",
        cookie_httponly: bool = False,
    ) -> None:
        if not isinstance(secret_key, (str, bytes)) or len(secret_key) < 16:
            raise ValueError(
                "CSRFMiddleware needs a secret_key of at least 16 characters; "
                "generate one with secrets.token_urlsafe(32)"
            )
        if any(isinstance(v, str) for v in (trusted_origins, exempt, token_exempt)):
            raise TypeError(
                "trusted_origins, exempt and token_exempt are lists, e.g. ['https://app.example']"
            )
        if any(not (p.startswith("/") and "*" not in p) for p in token_exempt):
            raise ValueError("token_exempt takes exact paths such as '/login'")
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        # Derived, so the same secret used for sessions never signs a CSRF token directly.
        self._key = hmac.new(secret, b"orionis.csrf", hashlib.sha256).digest()
        trusted = set()
        for origin in trusted_origins:
            parsed = _origin_of(origin)
            if parsed is None or parsed != origin.lower().rstrip("/"):
                raise ValueError(
                    f"trusted origin {origin!r} must look like 'https://app.example' "
                    "(scheme, host, optional port; no path)"
                )
            trusted.add(parsed)
        self.trusted_origins = frozenset(trusted)
        self.allow_same_site = allow_same_site
        self.exempt_paths = frozenset(e for e in exempt if e.startswith("/") and e[-1] != "*")
        self.exempt_prefixes = tuple(e[:-1] for e in exempt if e.startswith("/") and e[-1] == "*")
        self.exempt_names = frozenset(e for e in exempt if not e.startswith("/"))
        # Sign-in paths a client without any cookie (a script: no token yet) may call with
        # the origin checks alone: a browser's cross-site attempt still says where it is from.
        self.token_exempt = frozenset(token_exempt)
        self.cookie_name = cookie_name
        self.header_name = header_name.lower()
        self.field_name = field_name
        self.cookie_options: dict[str, Any] = {
            "path": "/",
            "secure": https_only,
            "httponly": cookie_httponly,
            "samesite": same_site,
        }
        Response().set_cookie(cookie_name, "x", **self.cookie_options)  # bad options fail here

    # -- tokens ----------------------------------------------------------------------------
    def _sign(self, binding: str, nonce: str) -> str:
        mac = hmac.new(self._key, f"{binding}|{nonce}".encode(), hashlib.sha256).digest()
        return f"{nonce}.{_b64(mac)}"

    def _valid(self, token: str | None, binding: str) -> bool:
        if token is None or len(token) > MAX_TOKEN or "." not in token:
            return False
        nonce = token.partition(".")[0]
        return hmac.compare_digest(self._sign(binding, nonce).encode(), token.encode("utf-8"))

    @staticmethod
    def _binding(request: Request) -> str:
        # Bound once the session holds something (a signed-in user): anonymous visitors
        # get no session written just for CSRF (no Redis key per drive-by request).
        session = getattr(request, "_session", None)
        if not session:
            return ""
        key = session.get(SESSION_KEY)
        if not isinstance(key, str):
            key = session[SESSION_KEY] = secrets.token_urlsafe(16)
        return key

    # -- the checks ------------------------------------------------------------------------
    async def handle(self, request: Request, call_next: CallNext) -> Response:
        cookies = request.cookies
        if request.method not in SAFE and not self._exempt(request):
            bearer = request.headers.get("authorization", "")[:7].lower() == "bearer "
            if bearer and not cookies:  # an API call: the browser sends nothing ambient
                return await call_next()
            refusal = self._refuse_origin(request)
            if refusal is None and not cookies and request.path in self.token_exempt:
                return await call_next()  # a script signing in: no token to check or to issue
            if refusal is None:
                refusal = await self._refuse_token(request)
            if refusal is not None:
                return problem(403, f"CSRF check failed: {refusal}", title="Forbidden")
        binding = self._binding(request)
        token = cookies.get(self.cookie_name)
        fresh = None
        if not self._valid(token, binding):
            token = fresh = self._sign(binding, secrets.token_urlsafe(32))
        request.state.csrf_token = token
        response = await call_next()
        if fresh is not None:
            response.set_cookie(self.cookie_name, fresh, **self.cookie_options)
        return response

    def _exempt(self, request: Request) -> bool:
        path = request.path
        if path in self.exempt_paths or (
            self.exempt_prefixes and path.startswith(self.exempt_prefixes)
        ):
            return True
        if not self.exempt_names:
            return False
        route = _route_of(request)
        return route is not None and route.name in self.exempt_names

    def _own_origin(self, request: Request) -> str:
        own = f"{request.scheme}://{request.host}".lower()
        return _origin_of(own) or own  # "http://host:80" is "http://host"

    def _allowed_origin(self, request: Request, origin: str | None) -> bool:
        return origin is not None and (
            origin == self._own_origin(request) or origin in self.trusted_origins
        )

    def _refuse_origin(self, request: Request) -> str | None:
        headers = request.headers
        site = headers.get("sec-fetch-site")
        if site is not None:
            site = site.strip().lower()
            if site == "cross-site":
                return "the browser reports a cross-site request (Sec-Fetch-Site: cross-site)."
            if site == "same-site" and not self.allow_same_site:
                return (
                    "the request comes from another site of the same domain "
                    "(Sec-Fetch-Site: same-site); set allow_same_site=True to accept it."
                )
        origin = headers.get("origin")
        if origin is not None:
            if origin.strip().lower() == "null":
                return "the Origin header is 'null' (a sandboxed or privacy-redirected page)."
            parsed = _origin_of(origin)
            if parsed != origin.strip().lower() or not self._allowed_origin(request, parsed):
                return "the Origin header is not this site's origin nor in trusted_origins."
        elif site is None and request.scheme == "https":
            referer = headers.get("referer")
            if referer is None:
                return "an HTTPS request without Origin or Sec-Fetch-Site needs a Referer."
            if not self._allowed_origin(request, _origin_of(referer)):
                return "the Referer is not this site's origin nor in trusted_origins."
        return None

    async def _refuse_token(self, request: Request) -> str | None:
        binding = self._binding(request)
        cookie = request.cookies.get(self.cookie_name)
        if cookie is None:
            return f"the {self.cookie_name} cookie is missing; load a page of this site first."
        if not self._valid(cookie, binding):
            return (
                f"the {self.cookie_name} cookie is not a token this site issued for this session."
            )
        sent = request.headers.get(self.header_name)
        if sent is None:
            content_type = (request.headers.get("content-type") or "").lower()
            # Read within the route's body limit (cached for the handler); a route that
            # streams its body without a limit must send the header instead.
            if content_type.startswith(FORM_TYPES) and (
                _route_of(request) is None or request.max_body_size is not None
            ):
                await request.body()
                value = (await request.form()).get(self.field_name)
                sent = value if isinstance(value, str) else None
        if sent is None:
            return (
                f"no token was sent; send request.state.csrf_token as the {self.header_name} "
                f"header or the {self.field_name} field of a form body."
            )
        if not hmac.compare_digest(sent.encode("utf-8"), cookie.encode("utf-8")):
            return f"the token sent does not match the {self.cookie_name} cookie."
        return None


def _route_of(request: Request) -> Any:
    """The matched route, matching it here when this runs as global middleware (before
    routing); that also applies the route's ``max_body_size`` to the request."""
    route = request.route
    if route is None:
        request.app.route_table.resolve(request)
        route = request.route
    return route
