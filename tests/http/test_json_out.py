"""Return values orjson refuses (integers beyond 64 bits, deep nesting, lone surrogates) are
still encoded, identically under both interfaces; what cannot be is refused clearly."""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging

import orjson
import pytest
from pydantic import BaseModel

from orionis import Application, Request
from orionis.jsonfallback import MAX_DEPTH
from orionis.responses import json_dumps
from orionis.testing import TestClient

BIG = 2**64


def _nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _nested_dict(depth: int) -> dict:
    value: dict = {"leaf": "end"}
    for i in range(depth - 1):
        value = {"k": value, "i": i}
    return value


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, list | dict):
        depth += 1
        value = (value[0] if value else None) if isinstance(value, list) else value.get("k")
    return depth


class Number(BaseModel):
    n: int


@dataclasses.dataclass
class Stamp:
    n: int
    at: datetime.datetime


def _app() -> Application:
    app = Application()
    app.get("/big", lambda: {"n": BIG})
    app.get("/path/{n:int}", lambda n: {"n": n})

    @app.get("/query")
    async def query(n: int) -> dict[str, int]:
        return {"n": n, "neg": -n}

    @app.post("/echo")
    async def echo(request: Request) -> object:
        return await request.json()

    @app.post("/model")
    async def model(body: Number) -> Number:
        return body

    app.get("/dataclass", lambda: Stamp(BIG, datetime.datetime(2020, 1, 1)))
    app.get("/keys", lambda: {BIG: "big key", 1: "small key"})
    app.get("/surrogate", lambda: {"s": "a\ud800b"})
    app.get("/too-deep", lambda: _nested_list(MAX_DEPTH + 5))
    return app


def test_integers_beyond_64_bits(interface: str) -> None:
    with TestClient(_app(), interface) as client:
        r = client.get("/big")
        assert (r.status_code, r.content) == (200, b'{"n":18446744073709551616}')
        assert r.headers["content-type"] == "application/json"
        r = client.get(f"/path/{BIG}")
        assert (r.status_code, r.content) == (200, b'{"n":18446744073709551616}')
        r = client.get(f"/path/{BIG**2}")
        assert (r.status_code, r.json()) == (200, {"n": BIG**2})
        r = client.get("/query", params={"n": str(BIG)})
        assert (r.status_code, r.json()) == (200, {"n": BIG, "neg": -BIG})
        r = client.get("/dataclass")
        assert r.content == b'{"n":18446744073709551616,"at":"2020-01-01T00:00:00"}'
        assert client.get("/keys").json() == {str(BIG): "big key", "1": "small key"}


def test_a_json_body_holding_2_64_through_a_model(interface: str) -> None:
    with TestClient(_app(), interface) as client:
        r = client.post("/model", json={"n": BIG})
    assert (r.status_code, r.content) == (200, b'{"n":18446744073709551616}')


@pytest.mark.parametrize("depth", [300, 600, 1000])
@pytest.mark.parametrize("build", [_nested_list, _nested_dict])
def test_deeply_nested_bodies_echoed(interface: str, depth: int, build: object) -> None:
    value = build(depth)  # type: ignore[operator]
    with TestClient(_app(), interface) as client:
        r = client.post("/echo", content=json_dumps(value))
    assert r.status_code == 200
    # orjson reads up to 1024 levels (the stdlib's json stops at Python's recursion limit)
    assert _depth(orjson.loads(r.content)) == depth
    assert r.content == json_dumps(value)


def test_the_fallback_matches_the_fast_path_byte_for_byte() -> None:
    value = {
        "when": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        "floats": [1.5, float("nan"), 1e16],
        "text": "caf\u00e9 </script>",
        "set": [1, 2],
        1: None,
    }
    fast = json_dumps(value)
    slow = json_dumps({**value, "big": BIG})
    assert slow == fast[:-1] + b',"big":18446744073709551616}'


def test_lone_surrogates_become_replacement_characters(interface: str) -> None:
    with TestClient(_app(), interface) as client:
        r = client.get("/surrogate")
    assert (r.status_code, r.json()) == (200, {"s": "a\ufffdb"})


def test_beyond_the_depth_limit_is_a_clear_logged_500(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, "orionis"),
        TestClient(_app(), interface, raise_server_exceptions=False) as client,
    ):
        r = client.get("/too-deep")
    assert r.status_code == 500
    assert f"nested more than {MAX_DEPTH} levels deep" in caplog.text
    with pytest.raises(TypeError, match="flatten it"):
        json_dumps(_nested_list(MAX_DEPTH + 1))
    assert json.loads(json_dumps(_nested_list(900))) is not None


def test_unencodable_values_still_fail_as_before() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_dumps({"n": BIG, "x": object()})
    with pytest.raises(TypeError, match="get_int_max_str_digits"):
        json_dumps(10**5000)


def test_non_str_keys_are_encoded_as_strings(interface: str) -> None:
    """orjson is tried without OPT_NON_STR_KEYS first (it is ~1.6x slower with it); a dict
    with int, float, bool, None, UUID or date keys still encodes as before, nested too, and
    alongside values only the fallback can encode."""
    app = Application()
    value = {1: "one", "s": {2.5: [True], None: 0}, "d": {datetime.date(2026, 12, 1): "d"}}

    @app.get("/keys")
    async def keys() -> dict:
        return value

    @app.get("/keys-and-big")
    async def keys_and_big() -> dict:
        return {1: BIG, "nested": {2: [BIG]}}

    expected = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    assert json_dumps(value) == expected
    with TestClient(app, interface=interface) as client:
        response = client.get("/keys")
        assert response.status_code == 200
        assert response.content == expected
        assert response.json() == {
            "1": "one",
            "s": {"2.5": [True], "null": 0},
            "d": {"2026-12-01": "d"},
        }
        both = client.get("/keys-and-big")
        assert both.status_code == 200
        assert json.loads(both.text) == {"1": BIG, "nested": {"2": [BIG]}}


def test_str_keys_encode_the_same_on_the_fast_attempt() -> None:
    """The fast attempt's bytes equal the full options' whenever every key is a str."""
    value = {"a": [1, 2.5, None, "x"], "b": {"c": datetime.datetime(2026, 12, 1, 12, 0)}}
    full = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    assert json_dumps(value) == full
