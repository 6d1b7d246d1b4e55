"""Refuse requests for host names this application does not serve (Host header attacks).

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com"])

Patterns are exact names (``example.com``), wildcard subdomains (``*.example.com`` matches
``api.example.com`` and ``a.b.example.com`` but neither ``example.com`` nor
``evilexample.com``), IP literals (``127.0.0.1``, ``[::1]``) or ``"*"`` (any well-formed
host). A pattern without a port matches every port; one with a port (``example.com:8443``)
only that port. Names compare case-insensitively, and one trailing dot is ignored.

A missing, duplicated or malformed ``Host`` (``x/public?``, ``user@evil.com``, a bad port)
and a host that no pattern allows are a 400 problem, as in Starlette. With
``www_redirect=True`` (the default, as in Starlette) a request for ``example.com`` when only
``www.example.com`` is allowed is redirected there (307). Behind a proxy, add
``ProxyHeadersMiddleware`` first: the forwarded host is then the one checked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from orionis.exceptions import problem
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import RedirectResponse, Response

__all__ = ["TrustedHostMiddleware", "parse_host"]

MAX_HOST_LENGTH = 262  # a 253-character name, ':' and a five-digit port, with some slack
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def parse_host(value: str) -> tuple[str, int | None] | None:
    """``(host, port)`` from a ``Host``-style value, or ``None`` if it is malformed.

    The host is lower-cased, without brackets for IPv6 and without a trailing dot; the port
    is ``None`` when absent. Only DNS names and IP literals pass: no userinfo, path,
    query, spaces or empty port.
    """
    if not value or len(value) > MAX_HOST_LENGTH or not value.isascii():
        return None
    port: int | None = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
        if rest:
            if not rest.startswith(":"):
                return None
            port = _port(rest[1:])
            if port is None:
                return None
        return host.lower(), port
    host, sep, digits = value.partition(":")
    if sep:
        port = _port(digits)
        if port is None:
            return None
    if not _NAME.fullmatch(host):
        return None
    host = host.lower().removesuffix(".")
    if host.replace(".", "").isdigit():  # looks like IPv4: must be one
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None
    return host, port


def _port(digits: str) -> int | None:
    if not (1 <= len(digits) <= 5 and digits.isdigit() and digits.isascii()):
        return None
    port = int(digits)
    return port if port <= 65535 else None


class TrustedHostMiddleware(Middleware):
    """See the module docstring."""

    def __init__(self, allowed_hosts: Sequence[str], www_redirect: bool = True) -> None:
        if isinstance(allowed_hosts, str) or not allowed_hosts:
            raise TypeError(
                "allowed_hosts is a non-empty list, e.g. ['example.com', '*.example.com']"
            )
        self.allow_any = False
        self.exact: set[tuple[str, int | None]] = set()
        self.suffixes: list[tuple[str, int | None]] = []
        for pattern in allowed_hosts:
            if pattern == "*":
                self.allow_any = True
                continue
            wildcard = pattern.startswith("*.")
            parsed = parse_host(pattern[2:] if wildcard else pattern)
            if parsed is None and not wildcard and ":" in pattern and "[" not in pattern:
                parsed = parse_host(f"[{pattern}]")  # a bare IPv6 address
            if parsed is None or "*" in pattern[1:]:
                raise ValueError(
                    f"allowed host {pattern!r} is not a host name, IP literal, '*.' followed "
                    "by a name, or '*'; write e.g. 'example.com' or '*.example.com'"
                )
            if wildcard:
                self.suffixes.append(("." + parsed[0], parsed[1]))
            else:
                self.exact.add(parsed)
        self.www_redirect = www_redirect

    def allows(self, host: str, port: int | None) -> bool:
        if self.allow_any or (host, None) in self.exact or (host, port) in self.exact:
            return True
        return any(
            host.endswith(suffix) and (wanted is None or wanted == port)
            for suffix, wanted in self.suffixes
        )

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        value = request._host_override  # set by ProxyHeadersMiddleware from a trusted proxy
        if value is None:
            value = request._authority()
        if value is None:
            values = request._header_values("host")
            if not values:
                return problem(400, "The request has no Host header; send Host: <name>.")
            if len(values) > 1:
                return problem(400, "The request has more than one Host header; send one.")
            value = values[0]
        parsed = parse_host(value)
        if parsed is None:
            return problem(
                400,
                f"The Host header {value[:100]!r} is malformed; send a host name or IP "
                "literal with an optional port, e.g. Host: example.com:8080.",
            )
        host, port = parsed
        if self.allows(host, port):
            return await call_next()
        if self.www_redirect and not host.startswith("www.") and self.allows("www." + host, port):
            url = request.url
            netloc = f"www.{value}"
            query = f"?{url.query}" if url.query else ""
            root = getattr(request, "root_path", "")
            return RedirectResponse(f"{url.scheme}://{netloc}{root}{url.path}{query}")
        return problem(400, f"The host {host[:100]!r} is not served here.")
