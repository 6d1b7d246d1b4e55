"""Middleware: classes with ``async def handle(self, request, call_next)``.

``CORSMiddleware``, ``CSRFMiddleware``, ``SecurityHeadersMiddleware`` and ``SessionMiddleware``
(with ``RedisSessionBackend``) ship with Orionis; the contract's trusted-host, rate-limit and
GZip middleware are not built yet.
"""

from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.cors import CORSMiddleware
from orionis.middleware.csrf import CSRFMiddleware
from orionis.middleware.security_headers import SecurityHeadersMiddleware
from orionis.middleware.sessions import RedisSessionBackend, SessionMiddleware

__all__ = [
    "CORSMiddleware",
    "CSRFMiddleware",
    "CallNext",
    "Middleware",
    "RedisSessionBackend",
    "SecurityHeadersMiddleware",
    "SessionMiddleware",
]
