"""Keys from a JWKS document (``JWTAuth(jwks_url=...)``) and scope/role requirements.

The document is fetched with httpx's async client (the event loop never blocks), with a
timeout and a size cap, and cached. A token whose ``kid`` is not in the cache triggers a
refetch, at most once per ``refresh_interval`` (60 s) whatever the tokens say, so forged
``kid`` values cannot make Orionis hammer the identity provider. Keys older than ``max_age``
(an hour) are refetched too, so a key the provider withdrew stops working; if that refetch
fails, the old keys stay in use. A failed fetch is logged
(a warning, at most once per interval) and the token answered 401, never 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import jwt
import orjson

from orionis.exceptions import HTTPException
from orionis.requests import Request  # at run time: dependencies read the annotation

__all__ = ["JWKSCache", "Requirement"]

logger = logging.getLogger("orionis.security")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"www-authenticate": 'Bearer error="invalid_token"'})


class JWKSCache:
    """The keys of one JWKS URL by ``kid``, refreshed on demand, at most once per interval."""

    def __init__(
        self,
        url: str,
        algorithms: Sequence[str],
        *,
        timeout: float = 5.0,
        max_bytes: int = 256 * 1024,
        refresh_interval: float = 60.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"jwks_url must be an http(s) URL, got {url!r}")
        self.url = url
        self.algorithms = list(algorithms)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.refresh_interval = refresh_interval
        self.max_age = max_age
        self.clock = clock
        self.keys: dict[str | None, jwt.PyJWK] = {}
        self.fetches = 0  # attempts, for tests and metrics
        self._last: float | None = None
        self._loaded = 0.0  # when the cached keys were fetched
        self._locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key for ``kid`` (a document with one key serves tokens without ``kid``)."""
        found = self._lookup(kid)
        if found is not None and self.clock() - self._loaded < self.max_age:
            return found
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        async with lock:  # concurrent unknown kids wait for one fetch
            if self._due() and (
                self._lookup(kid) is None or self.clock() - self._loaded >= self.max_age
            ):
                await self._refresh()
            found = self._lookup(kid)
        if found is None:
            raise _unauthorized("The token's signing key (kid) is unknown.")
        return found

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        found = self.keys.get(kid)
        if found is None and kid is None and len(self.keys) == 1:
            found = next(iter(self.keys.values()))
        return found

    def _due(self) -> bool:
        return self._last is None or self.clock() - self._last >= self.refresh_interval

    async def _refresh(self) -> None:
        self._last = self.clock()
        self.fetches += 1
        try:
            document = await self._fetch()
            keys = self._parse(document)
        except Exception as exc:  # network, HTTP status, size, JSON, key material
            logger.warning(
                "JWKS fetch from %s failed (%s: %s); tokens needing new keys get 401 until a "
                "fetch succeeds (next try in %g s at the earliest)",
                self.url,
                type(exc).__name__,
                exc,
                self.refresh_interval,
            )
            return
        self.keys = keys
        self._loaded = self._last

    async def _fetch(self) -> Any:
        # httpx imports its command line (click, rich) when those are installed: 60+ ms that
        # an app pays only once it fetches a JWKS document, not when it imports JWTAuth
        import httpx

        async with (
            httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client,
            client.stream("GET", self.url, headers={"accept": "application/json"}) as response,
        ):
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise ValueError(f"the JWKS document is larger than {self.max_bytes} bytes")
        return orjson.loads(bytes(body))

    def _parse(self, document: Any) -> dict[str | None, jwt.PyJWK]:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError('the JWKS document is not an object with a "keys" list')
        keys: dict[str | None, jwt.PyJWK] = {}
        for data in document["keys"]:
            if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                continue
            kid = data.get("kid")
            if kid is not None and not isinstance(kid, str):
                continue
            for algorithm in [data["alg"]] if "alg" in data else self.algorithms:
                if algorithm not in self.algorithms:
                    continue
                try:
                    keys[kid] = jwt.PyJWK(data, algorithm)
                    break
                except jwt.PyJWTError:
                    continue
        if not keys:
            raise ValueError(f"the JWKS document has no usable key for {self.algorithms}")
        return keys


def _scopes(claims: dict[str, Any]) -> set[str]:
    granted: set[str] = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        granted.update(scope.split())
    for name in ("scp", "scopes"):
        value = claims.get(name)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(v for v in value if isinstance(v, str))
    return granted


class Requirement:
    """``Depends(auth.requires("notes:write"))``: the claims, if every scope and role is there.

    Scopes come from ``scope`` (space-separated) and ``scp``/``scopes`` (a list or a
    space-separated string); roles from ``roles``. A missing one is a 403 problem with
    ``WWW-Authenticate: Bearer error="insufficient_scope"`` (RFC 6750).
    """

    def __init__(self, auth: Any, scopes: Sequence[str], roles: Sequence[str]) -> None:
        for item in [*scopes, *roles]:
            if not isinstance(item, str) or not item or " " in item:
                raise ValueError(f"a scope or role is a non-empty word, got {item!r}")
        self.auth = auth
        self.scopes = frozenset(scopes)
        self.roles = frozenset(roles)
        self.openapi_security = auth.openapi_security

    async def __call__(self, request: Request) -> dict[str, Any]:
        claims: dict[str, Any] = await self.auth(request)
        missing = sorted(self.scopes - _scopes(claims))
        roles = claims.get("roles")
        granted = set(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else set()
        lacking = sorted(self.roles - granted)
        if missing or lacking:
            parts = []
            if missing:
                parts.append(f"scope(s) {' '.join(missing)}")
            if lacking:
                parts.append(f"role(s) {' '.join(lacking)}")
            needed = " ".join(sorted(self.scopes))
            raise HTTPException(
                403,
                f"The token lacks {' and '.join(parts)}.",
                headers={
                    "www-authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'
                },
            )
        return claims
