"""Middleware: classes with ``async def handle(self, request, call_next)``."""

from orionis.middleware.base import CallNext, Middleware

__all__ = ["CallNext", "Middleware"]
