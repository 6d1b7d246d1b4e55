"""Middleware: classes with ``async def handle(self, request, call_next)``.

Shipped: CORS, security headers, sessions (signed cookie or Redis), CSRF, trusted hosts,
proxy headers, rate limits and compression (gzip, brotli, zstd). See docs/middleware.md and
docs/security.md.
"""

from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.cors import CORSMiddleware
from orionis.middleware.csrf import CSRFMiddleware
from orionis.middleware.gzip import GZipMiddleware
from orionis.middleware.proxy_headers import ProxyHeadersMiddleware
from orionis.middleware.rate_limit import RateLimitMiddleware
from orionis.middleware.security_headers import SecurityHeadersMiddleware
from orionis.middleware.sessions import RedisSessionBackend, SessionMiddleware
from orionis.middleware.trusted_host import TrustedHostMiddleware

__all__ = [
    "CORSMiddleware",
    "CSRFMiddleware",
    "CallNext",
    "GZipMiddleware",
    "Middleware",
    "ProxyHeadersMiddleware",
    "RateLimitMiddleware",
    "RedisSessionBackend",
    "SecurityHeadersMiddleware",
    "SessionMiddleware",
    "TrustedHostMiddleware",
]
