"""A token sent again (as clients do with every request) is held to every rule, under both
interfaces.

``JWTAuth`` remembers HMAC tokens it has verified, so a repeated token skips the signature
and decoding. These tests pin what must not change with that: a remembered token still
expires, becomes valid at ``nbf`` and is refused once its time is up; a forged variant of a
remembered token is still refused; a handler that changes its claims changes nothing for
the next request; and what is remembered stays bounded in count and token size.
"""

from __future__ import annotations

import time
import types
from typing import Any

import jwt
import pytest

import orionis.security
from orionis import Application, Depends
from orionis.security import JWTAuth
from orionis.testing import TestClient

SECRET = "a-long-shared-secret-for-hs256-tests"
NOW = 1_900_000_000


def token(**claims: Any) -> str:
    base = {"sub": "ada", "iss": "https://id.example", "exp": NOW + 600}
    base.update(claims)
    return jwt.encode(base, SECRET, "HS256")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The wall clock JWTAuth checks exp/nbf/iat against, set by the test."""
    now = [float(NOW)]
    fake = types.SimpleNamespace(time=lambda: now[0], monotonic=time.monotonic)
    monkeypatch.setattr(orionis.security, "time", fake)
    return now


def app_for(auth: JWTAuth) -> Application:
    app = Application()

    @app.get("/me")
    async def me(claims: dict = Depends(auth)) -> dict:
        answer = {"sub": claims["sub"], "roles": list(claims.get("roles", []))}
        claims["sub"] = "mallory"  # a handler changing what it got
        if "roles" in claims:
            claims["roles"].append("admin")
        return answer

    return app


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def test_a_remembered_token_still_expires(interface: str, clock: list[float]) -> None:
    auth = JWTAuth(SECRET, issuer="https://id.example")
    with TestClient(app_for(auth), interface) as client:
        good = token()
        for _ in range(3):
            assert client.get("/me", headers=bearer(good)).status_code == 200
        clock[0] = NOW + 600  # exp reached
        expired = client.get("/me", headers=bearer(good))
        assert expired.status_code == 401
        assert expired.json()["detail"] == "The token has expired."


def test_a_remembered_token_is_checked_against_nbf_each_time(
    interface: str, clock: list[float]
) -> None:
    auth = JWTAuth(SECRET, issuer="https://id.example", leeway=5)
    early = token(nbf=NOW + 10)
    with TestClient(app_for(auth), interface) as client:
        assert client.get("/me", headers=bearer(early)).status_code == 401
        clock[0] = NOW + 5
        assert client.get("/me", headers=bearer(early)).status_code == 200
        assert client.get("/me", headers=bearer(early)).status_code == 200
        clock[0] = NOW + 606  # beyond exp and the leeway
        assert client.get("/me", headers=bearer(early)).status_code == 401


def test_forged_variants_of_a_remembered_token_are_refused(
    interface: str, clock: list[float]
) -> None:
    auth = JWTAuth(SECRET, issuer="https://id.example")
    good = token()
    header, payload, signature = good.split(".")
    other = token(sub="eve").split(".")[1]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    forged = [
        f"{header}.{other}.{signature}",  # someone else's claims, the remembered signature
        f"{header}.{payload}.{flipped}",
        f"{header}.{payload}.{signature}==",  # padding that does not fit
        f"{header}.{payload}.{signature}.",
        f" {good}x",
    ]
    with TestClient(app_for(auth), interface) as client:
        assert client.get("/me", headers=bearer(good)).status_code == 200
        for value in forged:
            refused = client.get("/me", headers=bearer(value))
            assert refused.status_code == 401, value
            assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/me", headers=bearer(good)).json() == {"sub": "ada", "roles": []}


@pytest.mark.parametrize("roles", [None, ["reader"]], ids=["flat", "nested"])
def test_claims_changed_by_a_handler_do_not_reach_the_next_request(
    interface: str, clock: list[float], roles: list[str] | None
) -> None:
    auth = JWTAuth(SECRET, issuer="https://id.example")
    value = token(roles=roles) if roles else token()
    with TestClient(app_for(auth), interface) as client:
        answers = [client.get("/me", headers=bearer(value)).json() for _ in range(3)]
    assert answers == [{"sub": "ada", "roles": roles or []}] * 3


def test_what_is_remembered_is_bounded(clock: list[float]) -> None:
    auth = JWTAuth(SECRET, issuer="https://id.example")
    for n in range(1000):
        assert auth.verify_hmac(token(jti=f"t{n}"))["jti"] == f"t{n}"
        assert len(auth._verified) <= orionis.security._VERIFIED_MAX
    large = token(note="x" * orionis.security._VERIFIED_TOKEN_MAX)
    before = dict(auth._verified)
    assert auth.verify_hmac(large)["sub"] == "ada"
    assert auth._verified == before  # verified, not remembered
    for bad in (token()[:-2] + "xx", "a.b.c", "x" * 10_000):
        with pytest.raises(orionis.security._Invalid):
            auth.verify_hmac(bad)
    assert auth._verified == before  # refused tokens are never remembered
