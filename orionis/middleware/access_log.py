"""An opt-in access log through the standard ``logging`` module: one record per request.

    app.add_middleware(RequestIDMiddleware)     # first: the access line carries its id
    app.add_middleware(AccessLogMiddleware)     # logger "orionis.access", level INFO

Each record's message is a text line (``127.0.0.1 "GET /users/7" 200 /users/{id:int}
0.84ms 57B id=...``) and ``record.access`` holds the fields (``method path route status
duration_ms bytes client request_id``), which ``orionis.logging.JSONFormatter`` writes as
one JSON object: pick the output with the formatter of your handler. The path is logged
without its query string unless ``include_query=True`` (queries carry tokens), control
characters are escaped, and long paths are cut at ``max_path`` characters. No header is
ever logged (so no ``Authorization``, ``Cookie`` or ``Set-Cookie``). ``bytes`` is the
body size sent. The line is written when the response leaves the middleware, except for a
``StreamingResponse`` (SSE included): its line is written when the stream ends or the
client leaves, with the bytes actually sent and the whole duration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from orionis.logging import current_request_id
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response, ResponseKind

__all__ = ["AccessLogMiddleware"]

# Control characters (CR/LF above all: forged log lines) and backslashes are escaped.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(32), 127)}
_ESCAPES[ord("\\")] = "\\\\"
_ESCAPES[ord('"')] = '\\"'


def _clean(text: str, limit: int) -> str:
    if len(text) > limit:
        text = text[:limit] + "..."
    return (
        text
        if text.isprintable() and "\\" not in text and '"' not in text
        else (text.translate(_ESCAPES))
    )


def _bytes_out(request: Request, response: Response) -> int | None:
    if request.method == "HEAD":
        return 0
    kind = response.kind
    if kind == ResponseKind.BODY:
        return len(response.body)
    if kind == ResponseKind.PREPARED_FILE:
        return response.end - response.start if response.path is not None else 0  # type: ignore[attr-defined]
    for name, value in response.raw_headers:
        if name == "content-length" and value.isdigit():
            return int(value)
    return None


class AccessLogMiddleware(Middleware):
    """See the module docstring."""

    def __init__(
        self,
        *,
        logger: str | logging.Logger = "orionis.access",
        level: int = logging.INFO,
        include_query: bool = False,
        max_path: int = 2048,
    ) -> None:
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.level = level
        self.include_query = include_query
        self.max_path = max_path

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        start = time.perf_counter()
        response = await call_next()
        if self.logger.isEnabledFor(self.level):
            request_id = current_request_id()  # the stream is sent after the id is reset
            if response.kind == ResponseKind.STREAM and request.method != "HEAD":
                self._count_stream(request, response, start, request_id)
            else:
                duration = time.perf_counter() - start
                self._log(request, response, duration, _bytes_out(request, response), request_id)
        return response

    def _count_stream(
        self, request: Request, response: Response, start: float, request_id: str | None
    ) -> None:
        chunks = response.iter_chunks  # type: ignore[attr-defined]

        async def counted() -> AsyncIterator[bytes]:
            sent = 0
            try:
                async for chunk in chunks():
                    sent += len(chunk)
                    yield chunk
            finally:
                self._log(request, response, time.perf_counter() - start, sent, request_id)

        response.iter_chunks = counted  # type: ignore[attr-defined]

    def _log(
        self,
        request: Request,
        response: Response,
        duration: float,
        sent: int | None,
        request_id: str | None,
    ) -> None:
        path = request.path
        if self.include_query and request.query_string:
            path = f"{path}?{request.query_string}"
        path = _clean(path, self.max_path)
        method = _clean(request.method, 32)
        client = request.client
        fields = {
            "method": method,
            "path": path,
            "route": request.route_template,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 3),
            "bytes": sent,
            "client": client.host if client is not None else None,
            "request_id": request_id,
            "http_version": request.http_version,
        }
        self.logger.log(
            self.level,
            '%s "%s %s" %s %s %.2fms %sB id=%s',
            fields["client"] or "-",
            method,
            path,
            fields["status"],
            fields["route"] or "-",
            fields["duration_ms"],
            "-" if fields["bytes"] is None else fields["bytes"],
            fields["request_id"] or "-",
            extra={"access": fields},
        )
