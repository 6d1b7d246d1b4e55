"""Middleware: classes with ``async def handle(self, request, call_next)``.

``CORSMiddleware`` and ``SecurityHeadersMiddleware`` ship with Orionis; the contract's CSRF,
trusted-host, rate-limit and GZip middleware are not built yet.
"""

from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.cors import CORSMiddleware
from orionis.middleware.gzip import GZipMiddleware
from orionis.middleware.proxy_headers import ProxyHeadersMiddleware
from orionis.middleware.security_headers import SecurityHeadersMiddleware
from orionis.middleware.trusted_host import TrustedHostMiddleware

__all__ = [
    "CORSMiddleware",
    "CallNext",
    "GZipMiddleware",
    "Middleware",
    "ProxyHeadersMiddleware",
    "SecurityHeadersMiddleware",
    "TrustedHostMiddleware",
]
