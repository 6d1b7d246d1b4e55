"""Middleware: classes with ``async def handle(self, request, call_next)``.

``CORSMiddleware`` and ``SecurityHeadersMiddleware`` ship with Orionis; CSRF, trusted-host,
rate-limit and GZip middleware are not built yet.
"""

from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.cors import CORSMiddleware
from orionis.middleware.security_headers import SecurityHeadersMiddleware

__all__ = ["CORSMiddleware", "CallNext", "Middleware", "SecurityHeadersMiddleware"]
