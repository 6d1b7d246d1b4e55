"""Byte ranges of a file response (RFC 9110 14): ``Range`` and ``If-Range``."""

from __future__ import annotations

from typing import Literal

__all__ = ["if_range_ok", "parse_range"]


def if_range_ok(if_range: str | None, etag: str, last_modified: str) -> bool:
    return if_range is None or if_range.strip() in (etag, last_modified)


def parse_range(header: str, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """One ``bytes=`` range as ``(start, end_exclusive)``; ``None`` means send everything."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first or last):
        return None
    if (first and not (first.isdigit() and first.isascii())) or (
        last and not (last.isdigit() and last.isascii())
    ):
        return None
    if not first:  # suffix: the last N bytes
        length = _byte_number(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size
    start = _byte_number(first)
    if start >= size:
        return "unsatisfiable"
    end = min(_byte_number(last) + 1, size) if last else size
    if end <= start:
        return None
    return start, end


def _byte_number(digits: str) -> int:
    """A Range position. No file has 10**20 bytes, so longer numbers are just "huge"
    (and ``int()`` refuses more than 4300 digits); leading zeros do not count."""
    digits = digits.lstrip("0")
    return int(digits or "0") if len(digits) <= 20 else 10**20
