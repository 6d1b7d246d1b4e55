"""Middleware: classes with ``async def handle(self, request, call_next)``.

``CORSMiddleware``, ``RateLimitMiddleware`` and ``SecurityHeadersMiddleware`` ship with
Orionis; the contract's CSRF, trusted-host and GZip middleware are not built yet.
"""

from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.cors import CORSMiddleware
from orionis.middleware.rate_limit import RateLimitMiddleware
from orionis.middleware.security_headers import SecurityHeadersMiddleware

__all__ = [
    "CORSMiddleware",
    "CallNext",
    "Middleware",
    "RateLimitMiddleware",
    "SecurityHeadersMiddleware",
]
