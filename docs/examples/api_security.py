# ruff: noqa: E402
"""Examples for the API reference page of ``orionis.security``."""

from __future__ import annotations

import warnings
from typing import Annotated

from orionis import Application, Depends

app = Application(title="Security examples")

# --8<-- [start:jwt]
from orionis.security import JWTAuth, Requirement

auth = JWTAuth("change-me-to-32-random-bytes-please", algorithms=["HS256"], issuer="notes")
can_write: Requirement = auth.requires("notes:write")  # 403 when the token lacks the scope


@app.get("/me")
async def me(claims: dict = Depends(auth)) -> dict:
    return {"sub": claims["sub"]}


@app.post("/notes", dependencies=[Depends(can_write)])
async def create_note() -> tuple[dict, int]:
    return {"ok": True}, 201
# --8<-- [end:jwt]

# --8<-- [start:jwks]
from orionis.security import JWKSCache

# One JWKSCache per URL, refreshed on an unknown kid at most once a minute. JWTAuth builds
# one for you from jwks_url=; build it yourself to share it or to warm it at startup.
keys = JWKSCache("https://id.example/.well-known/jwks.json", algorithms=["RS256"])
sso = JWTAuth(jwks_url="https://id.example/.well-known/jwks.json", algorithms=["RS256"])
# --8<-- [end:jwks]

# --8<-- [start:schemes]
from orionis.security import APIKeyHeader, HTTPBearer

api_key = APIKeyHeader("X-API-Key")  # the raw key; check it yourself
bearer = HTTPBearer()  # the raw token from Authorization: Bearer


@app.get("/keyed")
async def keyed(key: Annotated[str, Depends(api_key)], token: str = Depends(bearer)) -> dict:
    return {"key": key, "token": token}
# --8<-- [end:schemes]

# --8<-- [start:weak]
from orionis.security import WeakKeyWarning

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    JWTAuth("short", algorithms=["HS256"])  # 5 bytes for HS256's 32: warned once
assert any(issubclass(w.category, WeakKeyWarning) for w in caught)
# --8<-- [end:weak]


def check(client) -> None:  # type: ignore[no-untyped-def]
    import jwt

    secret = "change-me-to-32-random-bytes-please"
    token = jwt.encode({"iss": "notes", "sub": "ada"}, secret, algorithm="HS256")
    writer = jwt.encode({"iss": "notes", "sub": "ada", "scope": "notes:write"}, secret)
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).json() == {"sub": "ada"}
    assert client.get("/me").headers["www-authenticate"].startswith("Bearer")
    assert client.post("/notes", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.post("/notes", headers={"Authorization": f"Bearer {writer}"}).status_code == 201
    both = {"Authorization": "Bearer t", "X-API-Key": "k"}
    assert client.get("/keyed", headers=both).json() == {"key": "k", "token": "t"}
    assert client.get("/keyed", headers={"Authorization": "Bearer t"}).status_code == 401
