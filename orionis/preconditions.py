"""Conditional requests on files (RFC 9110 section 13): which of 200, 304 and 412 applies.

Kept apart from ``responses`` so the evaluation order of section 13.2.2 reads in one place:

1. ``If-Match`` (strong comparison, ``*`` matches any current file): no match is 412.
2. Otherwise ``If-Unmodified-Since``: a file modified after that date is 412.
3. ``If-None-Match`` (weak comparison, ``*`` matches): a match is 304 for GET and HEAD,
   412 for other methods.
4. Otherwise, for GET and HEAD only, ``If-Modified-Since``: not modified since is 304.
5. ``Range`` (with ``If-Range``) is only looked at after all of these.

Malformed values never raise: an unparsable date is ignored (RFC 9110 13.1.3, 13.1.4), and
an ``If-Match`` list without a valid entity tag matches nothing.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC
from typing import Any, Literal

__all__ = ["NOT_MODIFIED_HEADERS", "evaluate"]

# What a 304 carries: what a cache needs to update its stored copy (RFC 9110 15.4.5).
NOT_MODIFIED_HEADERS = (
    "etag",
    "last-modified",
    "cache-control",
    "content-location",
    "expires",
    "vary",
)

# An entity tag, weak or strong; what is not one in a list is skipped.
_ETAG = re.compile(r'(W/)?("[^"]*")')

# The longest HTTP-date (obs-date RFC 850 form with a long weekday) is 40 characters.
_MAX_DATE_LENGTH = 64


def _entity_tags(values: list[str]) -> tuple[bool, list[tuple[bool, str]]]:
    """``(is_star, [(weak, tag), ...])`` from every line of an If-(None-)Match header."""
    joined = ",".join(values)
    if joined.strip() == "*":
        return True, []
    return False, [(bool(m.group(1)), m.group(2)) for m in _ETAG.finditer(joined)]


def _date(values: list[str]) -> float | None:
    """The POSIX time of a single valid HTTP-date, else ``None`` (the header is ignored)."""
    if len(values) != 1 or len(values[0]) > _MAX_DATE_LENGTH:
        return None
    try:
        when = email.utils.parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    try:
        return when.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def evaluate(headers: Any, method: str, etag: str, mtime: float) -> Literal[200, 304, 412]:
    """The outcome of the request's preconditions for a file with ``etag`` and ``mtime``.

    ``headers`` is the request's header mapping (``getlist``); ``etag`` is strong.
    """
    modified = int(mtime)  # Last-Modified has one-second resolution
    if_match = headers.getlist("if-match")
    if if_match:
        star, tags = _entity_tags(if_match)
        if not star and not any(not weak and tag == etag for weak, tag in tags):
            return 412
    else:
        since = _date(headers.getlist("if-unmodified-since"))
        if since is not None and modified > since:
            return 412
    safe = method == "GET" or method == "HEAD"
    if_none_match = headers.getlist("if-none-match")
    if if_none_match:
        star, tags = _entity_tags(if_none_match)
        if star or any(tag == etag for _weak, tag in tags):
            return 304 if safe else 412
    elif safe:
        since = _date(headers.getlist("if-modified-since"))
        if since is not None and modified <= since:
            return 304
    return 200
