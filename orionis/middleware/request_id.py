"""Request ids: one per request, in ``request.state.request_id``, the response and the logs.

    app.add_middleware(RequestIDMiddleware)                       # add it first: outermost
    app.add_middleware(RequestIDMiddleware, trust_incoming=True)  # behind a proxy that sets it

Every request gets a fresh id (32 hex digits, ``uuid4().hex``) unless ``trust_incoming`` is
set and the request carries a well-formed one in ``header`` (1 to 128 characters from
``A-Z a-z 0-9 . _ -``; anything else, or several values, is replaced, so a client cannot
inject log lines or huge values). The id is echoed in the response header, error answers
included, and is the current id (``orionis.logging.current_request_id()``) while the
request is handled, so ``RequestIDFilter`` puts it on log records, sync handlers included.
"""

from __future__ import annotations

import re
import uuid

from orionis._hot import headers as _headers
from orionis.logging import _request_id
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["RequestIDMiddleware"]

_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestIDMiddleware(Middleware):
    """See the module docstring."""

    def __init__(self, *, header: str = "X-Request-ID", trust_incoming: bool = False) -> None:
        if not isinstance(header, str) or not header:
            raise ValueError(f"header must be a header name such as 'X-Request-ID', not {header!r}")
        _headers.clean_headers([(header.lower(), "x")], True)  # a bad name fails here
        self.header = header.lower()
        self.trust_incoming = trust_incoming

    def _incoming(self, request: Request) -> str | None:
        values = request._header_values(self.header)
        if len(values) == 1 and _WELL_FORMED.fullmatch(values[0]):
            return values[0]
        return None

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        request_id = (self._incoming(request) if self.trust_incoming else None) or (
            uuid.uuid4().hex
        )
        request.state.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = await call_next()
        finally:
            _request_id.reset(token)
        header = self.header
        raw = response.raw_headers
        if any(name == header for name, _ in raw):  # the handler's own value is replaced
            raw = response.raw_headers = [(n, v) for n, v in raw if n != header]
        raw.append((header, request_id))
        return response
