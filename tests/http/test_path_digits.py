"""Digit strings in the path are bounded by the router (issue 8, item 12): a path ``int`` or
``float`` segment longer than ``MAX_DIGITS`` (4,300, CPython's default int-string limit) does
not match, so the answer is a 404, never a 500, whatever the interpreter's own limit is."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from orionis import Application
from orionis.testing import TestClient


@pytest.fixture(params=[4300, 0], ids=["default-limit", "no-limit"])
def int_limit(request: pytest.FixtureRequest) -> Iterator[int]:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(request.param)
    yield request.param
    sys.set_int_max_str_digits(old)


def digits_app() -> Application:
    app = Application()

    @app.get("/n/{n:int}")
    def n(n: int) -> dict:
        return {"digits": len(str(n))}

    @app.get("/f/{x:float}")
    def f(x: float) -> dict:
        return {"x": x}

    return app


def test_huge_path_numbers_are_404_not_500(interface: str, int_limit: int) -> None:
    with TestClient(digits_app(), interface) as client:
        assert client.get("/n/" + "7" * 4300).json() == {"digits": 4300}
        for path in ("/n/" + "7" * 5000, "/n/" + "0" * 20_000, "/f/" + "0" * 5000 + ".5"):
            r = client.get(path)
            assert r.status_code == 404, (len(path), r.status_code, r.text[:200])
            assert r.headers["content-type"] == "application/problem+json"
        assert client.get("/f/0.5").json() == {"x": 0.5}
