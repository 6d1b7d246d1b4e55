"""Logging helpers: the current request's id on every record, and one-line JSON output.

``RequestIDMiddleware`` puts the request's id in a context variable while the request is
handled (sync handlers in the thread pool see it too: their context is copied). Install
``RequestIDFilter`` on your handlers to copy it onto every record as ``record.request_id``
(``"-"`` outside a request). Orionis does not touch the global logging configuration (no
record factory, no handlers), so nothing changes until you install it:

    handler = logging.StreamHandler()
    handler.addFilter(RequestIDFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s [%(request_id)s] %(message)s"))
    logging.getLogger().addHandler(handler)

A filter on a handler (not on a logger) sees every record the handler writes, whichever
logger emitted it. ``JSONFormatter`` writes each record as one JSON object per line,
with the access-log fields of ``AccessLogMiddleware`` records at the top level.
"""

from __future__ import annotations

import datetime
import logging
from contextvars import ContextVar
from typing import Any

import orjson

__all__ = ["JSONFormatter", "RequestIDFilter", "current_request_id"]

_request_id: ContextVar[str | None] = ContextVar("orionis_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this context, or ``None`` outside one."""
    return _request_id.get()


class RequestIDFilter(logging.Filter):
    """Sets ``record.request_id`` (``default`` outside a request); never drops a record."""

    def __init__(self, name: str = "", default: str = "-") -> None:
        super().__init__(name)
        self.default = default

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = _request_id.get()
            record.request_id = self.default if request_id is None else request_id
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the
    request id when known, the access fields of access-log records, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id is not None and request_id != "-":
            data["request_id"] = request_id
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            data.update(access)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()
