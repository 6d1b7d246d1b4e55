"""Take the client address, scheme and host from a trusted reverse proxy's headers.

    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["10.0.0.0/8", "127.0.0.1"])

Only when the peer (the TCP connection's address) is one of ``trusted_proxies`` (IPs or
CIDR ranges) are ``Forwarded`` (RFC 7239) or ``X-Forwarded-For`` / ``-Proto`` / ``-Host``
applied to ``request.client``, ``request.scheme`` and ``request.host`` / ``request.url``;
from anyone else they are ignored. ``"*"`` trusts every peer: anyone who can reach the app
can then claim any address, so use it only when nothing but the proxy can connect.

- The client is found by walking the address list from the right, skipping trusted
  proxies: the first untrusted hop is the client (if every hop is trusted, the leftmost).
  Entries left of it, which the client itself may have written, are never read.
- ``Forwarded`` wins when present and readable; its chosen element also gives ``proto=``
  and ``host=``. Otherwise ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` give the rightmost
  value (the one the nearest proxy wrote).
- Malformed values (an address that is not an IP, a scheme other than http/https, a host
  ``TrustedHostMiddleware`` would refuse, a header over 4096 characters) are ignored, never
  an error: the server's own values stay. An obfuscated ``for=_hidden`` or ``for=unknown``
  becomes ``request.client.host`` as is (port 0).
- ``headers=`` limits which headers are read: list only those your proxy sets or strips,
  since a proxy that passes a client's ``X-Forwarded-Host`` through lets the client choose it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from orionis.datastructures import Address
from orionis.middleware.base import CallNext, Middleware
from orionis.middleware.trusted_host import parse_host
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["ProxyHeadersMiddleware"]

MAX_HEADER = 4096
HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PAIR = re.compile(rf'\s*({_TOKEN})=({_TOKEN}|"(?:[^"\\]|\\.)*")\s*')
_OBFUSCATED = re.compile(r"_[A-Za-z0-9._-]{1,64}")
_SCHEMES = frozenset({"http", "https"})


def _split_elements(value: str) -> list[str] | None:
    """Split a ``Forwarded`` value on commas outside quoted strings (None if unbalanced)."""
    parts: list[str] = []
    start = 0
    quoted = escaped = False
    for i, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ",":
            parts.append(value[start:i])
            start = i + 1
    if quoted:
        return None
    parts.append(value[start:])
    return parts


def _parse_element(element: str) -> dict[str, str] | None:
    """``for=...;proto=...`` into a dict (lower-case names, unquoted values); None if bad."""
    pairs: dict[str, str] = {}
    pos = 0
    while True:
        match = _PAIR.match(element, pos)
        if match is None:
            return None
        name, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if name in pairs:
            return None  # RFC 7239 4: each parameter at most once per element
        pairs[name] = value
        pos = match.end()
        if pos == len(element):
            return pairs
        if element[pos] != ";":
            return None
        pos += 1


def _node(value: str) -> tuple[str, int, IP | None] | None:
    """A forwarded node (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``, ``_hidden``,
    ``unknown``) as ``(host, port, ip)``; ``ip`` is None for obfuscated ones."""
    value = value.strip()
    if value.lower() == "unknown":
        return "unknown", 0, None
    if _OBFUSCATED.fullmatch(value):
        return value, 0, None
    port = 0
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return None
            port_text = rest[1:]
            if port_text.isdigit() and port_text.isascii() and len(port_text) <= 5:
                port = int(port_text) if int(port_text) <= 65535 else 0
            elif not _OBFUSCATED.fullmatch(port_text):
                return None
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        if port_text.isdigit() and port_text.isascii() and len(port_text) <= 5:
            port = int(port_text) if int(port_text) <= 65535 else 0
        elif not _OBFUSCATED.fullmatch(port_text):
            return None
    else:
        host = value  # IPv4, or a bare IPv6 as X-Forwarded-For often carries
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return str(ip), port, ip


class ProxyHeadersMiddleware(Middleware):
    """See the module docstring. Add it before (outside) middleware that reads the client."""

    def __init__(self, trusted_proxies: Sequence[str], headers: Sequence[str] = HEADERS) -> None:
        if isinstance(trusted_proxies, str) or isinstance(headers, str):
            raise TypeError(
                "trusted_proxies and headers are lists, e.g. trusted_proxies=['127.0.0.1']"
            )
        self.trust_all = False
        networks: list[Network] = []
        for entry in trusted_proxies:
            if entry == "*":
                self.trust_all = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"trusted proxy {entry!r} is not an IP address or CIDR range; write e.g. "
                    "'10.0.0.1', '10.0.0.0/8', '::1' or '*' (trusts everyone: dangerous)"
                ) from None
        self.networks = networks
        unknown = {h.lower() for h in headers} - set(HEADERS)
        if unknown:
            raise ValueError(f"unknown proxy headers {sorted(unknown)}; choose from {HEADERS}")
        self.headers = frozenset(h.lower() for h in headers)

    def trusts(self, ip: IP | None) -> bool:
        if self.trust_all:
            return True
        if ip is None:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def _trusted_peer(self, request: Request) -> bool:
        if self.trust_all:
            return True
        client = request.client
        if client is None:
            return False
        try:
            return self.trusts(ipaddress.ip_address(client.host))
        except ValueError:
            return False

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        if self._trusted_peer(request):
            self.apply(request)
        return await call_next()

    def _joined(self, request: Request, name: str) -> str | None:
        if name not in self.headers:
            return None
        values = request._header_values(name)
        if not values:
            return None
        value = ", ".join(values)
        return value if len(value) <= MAX_HEADER else None

    def apply(self, request: Request) -> None:
        """Apply the forwarded values to ``request`` (its peer is already trusted)."""
        forwarded = self._joined(request, "forwarded")
        if forwarded is not None and self._apply_forwarded(request, forwarded):
            return
        client: Address | None = None
        chain = self._joined(request, "x-forwarded-for")
        if chain is not None:
            client = self._walk([entry for entry in chain.split(",")])
        scheme = self._joined(request, "x-forwarded-proto")
        host = self._joined(request, "x-forwarded-host")
        request._override_peer(
            client=client,
            scheme=_scheme(scheme.rsplit(",", 1)[-1]) if scheme else None,
            host=_host(host.rsplit(",", 1)[-1]) if host else None,
        )

    def _walk(self, entries: list[str]) -> Address | None:
        """The rightmost untrusted node of an address list (None if a bad entry is reached)."""
        chosen: tuple[str, int, IP | None] | None = None
        for entry in reversed(entries):
            node = _node(entry)
            if node is None:
                return None
            chosen = node
            if not self.trusts(node[2]) or node[2] is None:
                break
        return Address(chosen[0], chosen[1]) if chosen is not None else None

    def _apply_forwarded(self, request: Request, value: str) -> bool:
        elements = _split_elements(value)
        if elements is None:
            return False
        chosen: tuple[tuple[str, int, IP | None] | None, dict[str, str]] | None = None
        for element in reversed(elements):
            pairs = _parse_element(element)
            if pairs is None:
                return False
            if "for" not in pairs:  # proto/host only: the client stays the peer
                chosen = None, pairs
                break
            node = _node(pairs["for"])
            if node is None:
                return False
            chosen = node, pairs
            if node[2] is None or not self.trusts(node[2]):
                break
        if chosen is None:
            return False
        found, pairs = chosen
        proto = pairs.get("proto")
        host = pairs.get("host")
        request._override_peer(
            client=Address(found[0], found[1]) if found is not None else None,
            scheme=_scheme(proto) if proto is not None else None,
            host=_host(host) if host is not None else None,
        )
        return True


def _scheme(value: str) -> str | None:
    value = value.strip().lower()
    return value if value in _SCHEMES else None


def _host(value: str) -> str | None:
    value = value.strip()
    return value if parse_host(value) is not None else None
