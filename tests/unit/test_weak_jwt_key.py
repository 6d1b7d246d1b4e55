"""``JWTAuth`` warns once, at construction, about an HMAC secret shorter than its hash output
(issue 9, item 7): 32 bytes for HS256, 48 for HS384, 64 for HS512 (RFC 7518 section 3.2).

Keys tried: 5, 31, 32, 47, 48, 63, 64 bytes, str and bytes, several HS algorithms together
(the longest hash counts), a multi-byte UTF-8 str (bytes count, not characters), a PEM key.
"""

from __future__ import annotations

import warnings

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from orionis.security import JWTAuth, WeakKeyWarning


@pytest.mark.parametrize(
    ("size", "algorithm", "needed"),
    [(5, "HS256", 32), (31, "HS256", 32), (47, "HS384", 48), (63, "HS512", 64), (32, "HS512", 64)],
)
def test_short_secret_warns_once_at_construction(size: int, algorithm: str, needed: int) -> None:
    for key in ("k" * size, b"k" * size):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            auth = JWTAuth(key, algorithms=[algorithm])
            token = jwt.encode({"sub": "a"}, key, algorithm=algorithm)
            assert auth.verify_hmac(token) == {"sub": "a"}  # a warning, not a refusal
        ours = [w for w in caught if issubclass(w.category, WeakKeyWarning)]
        assert len(ours) == 1
        message = str(ours[0].message)
        assert f"{size} bytes" in message and f"at least {needed}" in message
        assert algorithm in message and ours[0].filename == __file__  # points at the caller


def test_warning_is_a_user_warning_and_pyjwts_category() -> None:
    assert issubclass(WeakKeyWarning, UserWarning)
    assert issubclass(WeakKeyWarning, jwt.InsecureKeyLengthWarning)


def test_longest_hash_of_the_algorithms_counts() -> None:
    with pytest.warns(WeakKeyWarning, match="at least 64"):
        JWTAuth("k" * 48, algorithms=["HS256", "HS512"])


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [("k" * 32, "HS256"), (b"k" * 48, "HS384"), ("k" * 64, "HS512"), ("é" * 16, "HS256")],
)
def test_long_enough_secret_does_not_warn(key: str | bytes, algorithm: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeakKeyWarning)
        JWTAuth(key, algorithms=[algorithm])


def test_public_keys_do_not_warn() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeakKeyWarning)
        JWTAuth(pem, algorithms=["ES256"])
