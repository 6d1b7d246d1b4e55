"""Handler parameters: where each value comes from, how it is checked, and every 422 cause.

Every HTTP test runs under both interfaces. Bad inputs tried:

- path: ``/items/abc`` for ``id: int`` on a ``{id}`` (str) segment; a value below ``Path(ge=1)``
  and above ``Path(le=10)``; ``/int/abc`` on an ``{n:int}`` converter (404, not 422).
- query: ``flag=maybe`` for a bool; non-numeric int/float; an unknown enum member; a malformed
  UUID, datetime, date and Decimal; ``tag=1&tag=x`` for ``list[int]``; a required parameter
  missing; ``ge``/``le``/``max_length``/``pattern`` violations; the non-aliased name instead of
  the alias; five errors from path, query, header, cookie and body in one request.
- header: a required header missing; a non-integer value for an ``int`` header; the dashed
  spelling for a ``convert_underscores=False`` header; the parameter name for an aliased one.
- cookie: a required cookie missing; a non-integer value for an ``int`` cookie.
- JSON body: invalid fields, wrong field types, a list instead of an object, invalid nested
  fields, a bare object for ``Body(embed=True)``, two body params with one missing, a dict of
  ints with a string value, a list of models with one bad item, a dataclass and a TypedDict
  with bad/missing fields, a non-string JSON value for a ``str`` body parameter (whole body and
  embedded), malformed JSON (truncated, single quotes, trailing data, whitespace only, invalid
  UTF-8), JSON bombs (``[`` * 100 000 + ``]`` * 100 000, and deep objects) against a model, a
  dict, ``Any``, a list and an embedded body, JSON as ``text/plain``, as a urlencoded form and
  without a Content-Type, an empty body for a required model, a non-object for embedded
  parameters, malformed / non-object / wrongly typed bodies for two body parameters (one error
  each, not one per parameter), bad JSON through ``request.json()``.
- forms: a too-short password; a missing field; a non-integer ``int`` field; a text value
  where a file is expected (single, ``bytes`` and list); a file part where a text field is
  expected; a missing file; no body at all for a form handler; JSON sent to a form handler; a
  multipart body cut before its closing boundary (and cut mid-part, and empty); a multipart
  Content-Type without boundary (absent and empty); a part without Content-Disposition; a part
  without a name; garbage instead of a multipart body; too many parts / too large a field /
  too large a file (urlencoded and multipart); a 3 MB upload (must arrive intact, spooled to
  disk) and the same upload over the default body limit.
- registration: a JSON body plus form fields; ``Path()`` on a name not in the path; a path
  parameter marked ``Query()``; a pydantic model / dict as a query, header or cookie parameter;
  a positional-only parameter; a type pydantic cannot validate.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import hashlib
import random
import uuid
from decimal import Decimal
from typing import Annotated, Any

import pydantic
import pytest
from typing_extensions import TypedDict

from orionis import (
    Application,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    UploadFile,
)
from orionis.exceptions import LifespanError
from orionis.forms import FormLimits
from orionis.testing import TestClient

PROBLEM = "application/problem+json"
INT_MSG = "Input should be a valid integer, unable to parse string as an integer"


def unsupported_of(response: Any) -> list[dict[str, Any]]:
    """The ``errors`` of a 415 problem document: a JSON body sent as another media type."""
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 415
    return response.json()["errors"]


def errors_of(response: Any) -> list[dict[str, Any]]:
    """The ``errors`` of a 422 problem document (checking status and media type)."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 422
    assert body["title"] in ("Unprocessable Entity", "Unprocessable Content")
    assert body["detail"] == "The request is invalid; see errors."
    return body["errors"]


def strip_msgs(errors: list[dict[str, Any]]) -> list[tuple[list[Any], str]]:
    """Only ``loc`` and ``type`` of each error (for errors whose wording is pydantic's)."""
    return [(e["loc"], e["type"]) for e in errors]


# -- types used by handlers (module level: annotations are postponed) ---------------------
class Color(enum.StrEnum):
    red = "red"
    green = "green"
    blue = "blue"


class Address(pydantic.BaseModel):
    city: str
    zip: str = pydantic.Field(pattern=r"^\d{5}$")


class Item(pydantic.BaseModel):
    name: str
    price: float = pydantic.Field(gt=0)
    tags: list[str] = []


class User(pydantic.BaseModel):
    name: str
    address: Address


@dataclasses.dataclass
class Pair:
    a: int
    b: str


class Point(TypedDict):
    x: int
    y: int


class Opaque:
    """Not something pydantic can validate from a string."""


# -- 1. path ------------------------------------------------------------------------------
def path_app() -> Application:
    app = Application()

    @app.get("/int/{n:int}")
    async def as_int(n: int) -> dict:
        return {"n": n, "type": type(n).__name__}

    @app.get("/float/{x:float}")
    async def as_float(x: float) -> dict:
        return {"x": x, "type": type(x).__name__}

    @app.get("/uuid/{u:uuid}")
    async def as_uuid(u: uuid.UUID) -> dict:
        return {"u": str(u), "type": type(u).__name__}

    @app.get("/files/{rest:path}")
    async def as_path(rest: str) -> dict:
        return {"rest": rest}

    @app.get("/flask/<int:id>")
    async def flask_style(id: int) -> dict:
        return {"id": id, "type": type(id).__name__}

    @app.get("/items/{id}")
    async def item(id: int) -> dict:
        return {"id": id, "type": type(id).__name__}

    @app.get("/names/{name}")
    async def name(name) -> dict:  # type: ignore[no-untyped-def]  # unannotated: str
        return {"name": name, "type": type(name).__name__}

    @app.get("/bounded/{n:int}")
    async def bounded(n: Annotated[int, Path(ge=1, le=10)]) -> dict:
        return {"n": n}

    @app.get("/default-marker/{code}")
    async def default_marker(code: str = Path(min_length=3)) -> dict:
        return {"code": code}

    return app


def test_path_converters_reach_handlers_typed(interface: str) -> None:
    with TestClient(path_app(), interface) as client:
        assert client.get("/int/42").json() == {"n": 42, "type": "int"}
        assert client.get("/float/2.5").json() == {"x": 2.5, "type": "float"}
        u = "12345678-1234-5678-1234-567812345678"
        assert client.get(f"/uuid/{u}").json() == {"u": u, "type": "UUID"}
        assert client.get("/files/a/b/c.txt").json() == {"rest": "a/b/c.txt"}
        assert client.get("/flask/7").json() == {"id": 7, "type": "int"}
        assert client.get("/names/j%C3%B6rg").json() == {"name": "jörg", "type": "str"}
        # a converter that does not match is "no such route", not a validation error
        assert client.get("/int/abc").status_code == 404


def test_str_segment_with_int_annotation_is_validated(interface: str) -> None:
    with TestClient(path_app(), interface) as client:
        assert client.get("/items/12").json() == {"id": 12, "type": "int"}
        assert errors_of(client.get("/items/abc")) == [
            {"loc": ["path", "id"], "type": "int_parsing", "msg": INT_MSG}
        ]


def test_path_constraints(interface: str) -> None:
    with TestClient(path_app(), interface) as client:
        assert client.get("/bounded/1").json() == {"n": 1}
        assert client.get("/bounded/10").json() == {"n": 10}
        assert errors_of(client.get("/bounded/0")) == [
            {
                "loc": ["path", "n"],
                "type": "greater_than_equal",
                "msg": "Input should be greater than or equal to 1",
                "ctx": {"ge": 1},
            }
        ]
        assert errors_of(client.get("/bounded/11")) == [
            {
                "loc": ["path", "n"],
                "type": "less_than_equal",
                "msg": "Input should be less than or equal to 10",
                "ctx": {"le": 10},
            }
        ]
        assert client.get("/default-marker/abc").json() == {"code": "abc"}
        assert strip_msgs(errors_of(client.get("/default-marker/ab"))) == [
            (["path", "code"], "string_too_short")
        ]


# -- 2. query -----------------------------------------------------------------------------
def query_app() -> Application:
    app = Application()

    @app.get("/bool")
    async def as_bool(flag: bool) -> dict:
        return {"flag": flag}

    @app.get("/typed")
    async def typed(
        i: int,
        f: float,
        s: str,
        color: Color,
        uid: uuid.UUID,
        when: datetime.datetime,
        day: datetime.date,
        price: Decimal,
    ) -> dict:
        return {
            "i": i,
            "f": f,
            "s": s,
            "color": color.name,
            "uid": str(uid),
            "when": when.isoformat(),
            "day": day.isoformat(),
            "price": str(price),
            "types": [type(v).__name__ for v in (i, f, s, color, uid, when, day, price)],
        }

    @app.get("/tags")
    async def tags(tag: list[int] | None = None) -> dict:
        return {"tag": tag}

    @app.get("/required-list")
    async def required_list(ids: list[int]) -> dict:
        return {"ids": ids}

    @app.get("/optional")
    async def optional(q: str | None = None, n: int | None = None) -> dict:
        return {"q": q, "n": n}

    @app.get("/defaults")
    async def defaults(page: int = 1, q: int = Query(3), sort: Annotated[str, Query()] = "name"):
        return {"page": page, "q": q, "sort": sort}

    @app.get("/alias")
    async def alias(size: Annotated[int, Query(alias="page-size")] = 10) -> dict:
        return {"size": size}

    @app.get("/constrained")
    async def constrained(
        n: Annotated[int, Query(ge=1, le=100)] = 1,
        name: Annotated[str, Query(max_length=5)] = "x",
        code: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "ABC",
    ) -> dict:
        return {"n": n, "name": name, "code": code}

    @app.get("/required")
    async def required(q: str) -> dict:
        return {"q": q}

    @app.post("/many/{id}")
    async def many(
        id: int,
        *,
        q: Annotated[str, Query(max_length=5)],
        page: Annotated[int, Query(ge=1)] = 1,
        x_token: Annotated[str, Header()],
        session: Annotated[str, Cookie()],
        item: Item,
    ) -> dict:
        return {"never": True}

    return app


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("no", False),
        ("off", False),
    ],
)
def test_query_bool_spellings(interface: str, raw: str, expected: bool) -> None:
    with TestClient(query_app(), interface) as client:
        assert client.get("/bool", params={"flag": raw}).json() == {"flag": expected}


def test_query_bool_invalid(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        assert errors_of(client.get("/bool?flag=maybe")) == [
            {
                "loc": ["query", "flag"],
                "type": "bool_parsing",
                "msg": "Input should be a valid boolean, unable to interpret input",
            }
        ]
        assert errors_of(client.get("/bool")) == [
            {"loc": ["query", "flag"], "type": "missing", "msg": "Field required"}
        ]


TYPED_OK = {
    "i": "-7",
    "f": "2.5",
    "s": "two words & more",
    "color": "green",
    "uid": "12345678-1234-5678-1234-567812345678",
    "when": "2024-05-06T07:08:09+02:00",
    "day": "2024-05-06",
    "price": "19.90",
}


def test_query_scalar_types(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        r = client.get("/typed", params=TYPED_OK)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "i": -7,
            "f": 2.5,
            "s": "two words & more",
            "color": "green",
            "uid": "12345678-1234-5678-1234-567812345678",
            "when": "2024-05-06T07:08:09+02:00",
            "day": "2024-05-06",
            "price": "19.90",
            "types": ["int", "float", "str", "Color", "UUID", "datetime", "date", "Decimal"],
        }


@pytest.mark.parametrize(
    ("name", "bad", "kind"),
    [
        ("i", "1.5", "int_parsing"),
        ("f", "abc", "float_parsing"),
        ("color", "purple", "enum"),
        ("uid", "not-a-uuid", "uuid_parsing"),
        ("when", "yesterday", "datetime_from_date_parsing"),
        ("day", "2024-13-45", "date_from_datetime_parsing"),
        ("price", "12,5", "decimal_parsing"),
    ],
)
def test_query_scalar_types_invalid(interface: str, name: str, bad: str, kind: str) -> None:
    with TestClient(query_app(), interface) as client:
        errors = errors_of(client.get("/typed", params={**TYPED_OK, name: bad}))
        assert strip_msgs(errors) == [(["query", name], kind)]


def test_query_enum_error_names_the_choices(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        assert errors_of(client.get("/typed", params={**TYPED_OK, "color": "purple"})) == [
            {
                "loc": ["query", "color"],
                "type": "enum",
                "msg": "Input should be 'red', 'green' or 'blue'",
                "ctx": {"expected": "'red', 'green' or 'blue'"},
            }
        ]


def test_query_list_collects_repeats(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        assert client.get("/tags?tag=1&tag=2&tag=3").json() == {"tag": [1, 2, 3]}
        assert client.get("/tags?tag=5").json() == {"tag": [5]}
        assert client.get("/tags").json() == {"tag": None}
        assert errors_of(client.get("/tags?tag=1&tag=x")) == [
            {"loc": ["query", "tag", 1], "type": "int_parsing", "msg": INT_MSG}
        ]
        assert client.get("/required-list?ids=4&ids=2").json() == {"ids": [4, 2]}
        assert errors_of(client.get("/required-list")) == [
            {"loc": ["query", "ids"], "type": "missing", "msg": "Field required"}
        ]


def test_query_optional_and_defaults(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        assert client.get("/optional").json() == {"q": None, "n": None}
        assert client.get("/optional?q=hi&n=3").json() == {"q": "hi", "n": 3}
        assert client.get("/optional?q=").json() == {"q": "", "n": None}
        assert strip_msgs(errors_of(client.get("/optional?n=x"))) == [
            (["query", "n"], "int_parsing")
        ]
        assert client.get("/defaults").json() == {"page": 1, "q": 3, "sort": "name"}
        assert client.get("/defaults?page=4&q=9&sort=date").json() == {
            "page": 4,
            "q": 9,
            "sort": "date",
        }
        assert strip_msgs(errors_of(client.get("/defaults?q=nine"))) == [
            (["query", "q"], "int_parsing")
        ]


def test_query_alias(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        assert client.get("/alias?page-size=25").json() == {"size": 25}
        assert client.get("/alias?size=25").json() == {"size": 10}  # the Python name is ignored
        assert errors_of(client.get("/alias?page-size=big")) == [
            {"loc": ["query", "page-size"], "type": "int_parsing", "msg": INT_MSG}
        ]


def test_query_constraints(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        ok = client.get("/constrained?n=100&name=abcde&code=XYZ")
        assert ok.json() == {"n": 100, "name": "abcde", "code": "XYZ"}
        assert errors_of(client.get("/constrained?n=0")) == [
            {
                "loc": ["query", "n"],
                "type": "greater_than_equal",
                "msg": "Input should be greater than or equal to 1",
                "ctx": {"ge": 1},
            }
        ]
        assert errors_of(client.get("/constrained?n=101")) == [
            {
                "loc": ["query", "n"],
                "type": "less_than_equal",
                "msg": "Input should be less than or equal to 100",
                "ctx": {"le": 100},
            }
        ]
        assert errors_of(client.get("/constrained?name=abcdef")) == [
            {
                "loc": ["query", "name"],
                "type": "string_too_long",
                "msg": "String should have at most 5 characters",
                "ctx": {"max_length": 5},
            }
        ]
        assert errors_of(client.get("/constrained?code=xyz")) == [
            {
                "loc": ["query", "code"],
                "type": "string_pattern_mismatch",
                "msg": "String should match pattern '^[A-Z]{3}$'",
                "ctx": {"pattern": "^[A-Z]{3}$"},
            }
        ]


def test_query_required_missing(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        assert client.get("/required?q=x").json() == {"q": "x"}
        assert errors_of(client.get("/required")) == [
            {"loc": ["query", "q"], "type": "missing", "msg": "Field required"}
        ]


def test_all_errors_reported_in_one_422(interface: str) -> None:
    with TestClient(query_app(), interface) as client:
        r = client.post("/many/abc?q=toolong&page=0", json={"name": "pen", "price": -1})
        assert r.json()["detail"] == "The request is invalid; see errors."
        assert errors_of(r) == [
            {"loc": ["path", "id"], "type": "int_parsing", "msg": INT_MSG},
            {
                "loc": ["query", "q"],
                "type": "string_too_long",
                "msg": "String should have at most 5 characters",
                "ctx": {"max_length": 5},
            },
            {
                "loc": ["query", "page"],
                "type": "greater_than_equal",
                "msg": "Input should be greater than or equal to 1",
                "ctx": {"ge": 1},
            },
            {"loc": ["header", "x-token"], "type": "missing", "msg": "Field required"},
            {"loc": ["cookie", "session"], "type": "missing", "msg": "Field required"},
            {
                "loc": ["body", "price"],
                "type": "greater_than",
                "msg": "Input should be greater than 0",
                "ctx": {"gt": 0},
            },
        ]


# -- 3. header ----------------------------------------------------------------------------
def header_app() -> Application:
    app = Application()

    @app.get("/headers")
    async def headers(
        x_token: Annotated[str, Header()],
        x_request_id: Annotated[str | None, Header()] = None,
        key: Annotated[str | None, Header(alias="X-Api-Key")] = None,
        x_raw_name: Annotated[str | None, Header(convert_underscores=False)] = None,
        x_tag: Annotated[list[str] | None, Header()] = None,
        x_count: Annotated[int | None, Header()] = None,
        accept_language: str | None = Header(None),
    ) -> dict:
        return {
            "x_token": x_token,
            "x_request_id": x_request_id,
            "key": key,
            "x_raw_name": x_raw_name,
            "x_tag": x_tag,
            "x_count": x_count,
            "accept_language": accept_language,
        }

    return app


NO_HEADERS = {
    "x_request_id": None,
    "key": None,
    "x_raw_name": None,
    "x_tag": None,
    "x_count": None,
    "accept_language": None,
}


def test_headers_underscores_alias_and_multi_values(interface: str) -> None:
    with TestClient(header_app(), interface) as client:
        r = client.get(
            "/headers",
            headers=[
                ("X-Token", "secret"),
                ("X-Request-Id", "req-1"),
                ("x-api-key", "k-123"),
                ("x_raw_name", "raw"),
                ("X-Tag", "a"),
                ("x-tag", "b"),
                ("X-Count", "3"),
                ("Accept-Language", "fr"),
            ],
        )
        assert r.json() == {
            "x_token": "secret",
            "x_request_id": "req-1",
            "key": "k-123",
            "x_raw_name": "raw",
            "x_tag": ["a", "b"],
            "x_count": 3,
            "accept_language": "fr",
        }


def test_headers_absent_wrong_spelling_and_invalid(interface: str) -> None:
    with TestClient(header_app(), interface) as client:
        # the dashed spelling does not fill a convert_underscores=False parameter, and the
        # Python name does not fill an aliased one
        r = client.get(
            "/headers", headers={"x-token": "t", "x-raw-name": "dashed", "key": "not-alias"}
        )
        assert r.json() == {"x_token": "t", **NO_HEADERS}
        assert errors_of(client.get("/headers", headers={"x-token": "t", "x-count": "many"})) == [
            {"loc": ["header", "x-count"], "type": "int_parsing", "msg": INT_MSG}
        ]


def test_header_required_missing(interface: str) -> None:
    with TestClient(header_app(), interface) as client:
        assert errors_of(client.get("/headers", headers={"x-request-id": "r"})) == [
            {"loc": ["header", "x-token"], "type": "missing", "msg": "Field required"}
        ]


# -- 4. cookie ----------------------------------------------------------------------------
def cookie_app() -> Application:
    app = Application()

    @app.get("/cookies")
    async def cookies(
        session: Annotated[str, Cookie()],
        theme: Annotated[str, Cookie()] = "light",
        visits: Annotated[int | None, Cookie()] = None,
        tracking: str | None = Cookie(None, alias="tracking-id"),
    ) -> dict:
        return {"session": session, "theme": theme, "visits": visits, "tracking": tracking}

    @app.get("/optional-cookie")
    async def optional_cookie(session: Annotated[str | None, Cookie()] = None) -> dict:
        return {"session": session}

    return app


def test_cookies_present_absent_and_default(interface: str) -> None:
    with TestClient(cookie_app(), interface) as client:
        r = client.get(
            "/cookies",
            headers={"Cookie": 'session=abc; theme="dark"; visits=3; tracking-id=t1'},
        )
        assert r.json() == {"session": "abc", "theme": "dark", "visits": 3, "tracking": "t1"}
        r = client.get("/cookies", headers={"Cookie": "session=abc"})
        assert r.json() == {"session": "abc", "theme": "light", "visits": None, "tracking": None}
        assert client.get("/optional-cookie").json() == {"session": None}
        r = client.get("/optional-cookie", headers={"Cookie": "other=1; session=s2"})
        assert r.json() == {"session": "s2"}


def test_cookies_required_and_invalid(interface: str) -> None:
    with TestClient(cookie_app(), interface) as client:
        assert errors_of(client.get("/cookies", headers={"Cookie": "theme=dark"})) == [
            {"loc": ["cookie", "session"], "type": "missing", "msg": "Field required"}
        ]
        assert errors_of(client.get("/cookies", headers={"Cookie": "session=a; visits=x"})) == [
            {"loc": ["cookie", "visits"], "type": "int_parsing", "msg": INT_MSG}
        ]


# -- special parameters -------------------------------------------------------------------
def special_app(done: list[str]) -> Application:
    app = Application()

    @app.get("/special/{name}")
    async def special(
        name: str,
        req: Request,
        request,  # type: ignore[no-untyped-def]  # unannotated and named "request"
        tasks: BackgroundTasks,
        other=None,  # type: ignore[no-untyped-def]  # unannotated, any other name: query
    ) -> dict:
        tasks.add_task(done.append, f"task:{name}")
        return {
            "same_request": req is request,
            "path": request.path,
            "other": other,
            "pending": len(tasks.tasks),
        }

    return app


def test_request_and_background_tasks(interface: str) -> None:
    done: list[str] = []
    with TestClient(special_app(done), interface) as client:
        r = client.get("/special/bob?other=value")
        assert r.json() == {
            "same_request": True,
            "path": "/special/bob",
            "other": "value",
            "pending": 1,
        }
        assert done == ["task:bob"]
        assert client.get("/special/amy").json()["other"] is None
        assert done == ["task:bob", "task:amy"]


# -- 5. JSON body -------------------------------------------------------------------------
def body_app() -> Application:
    app = Application()

    @app.post("/items")
    async def create_item(item: Item) -> dict:
        return {"type": type(item).__name__, **item.model_dump()}

    @app.post("/users")
    async def create_user(user: User) -> dict:
        return {"type": type(user.address).__name__, **user.model_dump()}

    @app.post("/embedded")
    async def embedded(item: Annotated[Item, Body(embed=True)]) -> dict:
        return {"item": item.model_dump()}

    @app.post("/two")
    async def two(item: Item, user: User) -> dict:
        return {"item": item.name, "user": user.name, "city": user.address.city}

    @app.post("/dict")
    async def as_dict(data: dict) -> dict:
        return {"data": data}

    @app.post("/counts")
    async def counts(data: dict[str, int]) -> dict:
        return {"total": sum(data.values())}

    @app.post("/list")
    async def as_list(items: Annotated[list[Item], Body()]) -> dict:
        return {"names": [i.name for i in items], "types": [type(i).__name__ for i in items]}

    @app.post("/optional")
    async def optional(item: Item | None = None) -> dict:
        return {"item": item.model_dump() if item is not None else None}

    @app.post("/any")
    async def any_body(data: Annotated[Any, Body()]) -> dict:
        return {"data": data}

    @app.post("/dataclass")
    async def as_dataclass(pair: Pair) -> dict:
        return {"type": type(pair).__name__, "a": pair.a, "b": pair.b}

    @app.post("/typeddict")
    async def as_typeddict(point: Point) -> dict:
        return {"sum": point["x"] + point["y"]}

    @app.post("/scalars")
    async def scalars(
        count: Annotated[int, Body(ge=0)], label: Annotated[str, Body()] = "none"
    ) -> dict:
        return {"count": count, "label": label}

    @app.post("/text-body")
    async def text_body(text: Annotated[str, Body()]) -> dict:
        return {"text": text, "type": type(text).__name__}

    @app.post("/raw-json")
    async def raw_json(request: Request) -> dict:
        return {"data": await request.json()}

    return app


def test_body_model(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        r = client.post("/items", json={"name": "pen", "price": 1.5, "tags": ["a"]})
        assert r.json() == {"type": "Item", "name": "pen", "price": 1.5, "tags": ["a"]}
        r = client.post("/items", json={"name": "pen", "price": "2"})  # lax: "2" -> 2.0
        assert r.json() == {"type": "Item", "name": "pen", "price": 2.0, "tags": []}


def test_body_model_invalid_fields(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        assert errors_of(client.post("/items", json={"name": "pen", "price": 0})) == [
            {
                "loc": ["body", "price"],
                "type": "greater_than",
                "msg": "Input should be greater than 0",
                "ctx": {"gt": 0},
            }
        ]
        errors = errors_of(client.post("/items", json={"name": 1, "price": "cheap", "tags": "x"}))
        assert strip_msgs(errors) == [
            (["body", "name"], "string_type"),
            (["body", "price"], "float_parsing"),
            (["body", "tags"], "list_type"),
        ]
        assert errors_of(client.post("/items", json={"price": 1})) == [
            {"loc": ["body", "name"], "type": "missing", "msg": "Field required"}
        ]
        errors = errors_of(client.post("/items", json=[1, 2]))
        assert strip_msgs(errors) == [(["body"], "model_type")]


def test_body_nested_models(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        user = {"name": "ann", "address": {"city": "Lyon", "zip": "69001"}}
        assert client.post("/users", json=user).json() == {"type": "Address", **user}
        bad = {"name": "ann", "address": {"zip": "abc"}}
        errors = errors_of(client.post("/users", json=bad))
        assert strip_msgs(errors) == [
            (["body", "address", "city"], "missing"),
            (["body", "address", "zip"], "string_pattern_mismatch"),
        ]


def test_body_embed(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        item = {"name": "pen", "price": 1.0, "tags": []}
        assert client.post("/embedded", json={"item": item}).json() == {"item": item}
        # the bare object is not accepted: the model is expected under its name
        assert errors_of(client.post("/embedded", json=item)) == [
            {"loc": ["body", "item"], "type": "missing", "msg": "Field required"}
        ]
        errors = errors_of(client.post("/embedded", json={"item": {"name": "pen", "price": -2}}))
        assert strip_msgs(errors) == [(["body", "item", "price"], "greater_than")]
        assert errors_of(client.post("/embedded", json=[item])) == [
            {"loc": ["body"], "type": "dict_type", "msg": "Input should be a JSON object"}
        ]


def test_body_two_params_are_keyed_by_name(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        payload = {
            "item": {"name": "pen", "price": 1},
            "user": {"name": "ann", "address": {"city": "Lyon", "zip": "69001"}},
        }
        assert client.post("/two", json=payload).json() == {
            "item": "pen",
            "user": "ann",
            "city": "Lyon",
        }
        errors = errors_of(client.post("/two", json={"item": {"name": "pen", "price": "x"}}))
        assert strip_msgs(errors) == [
            (["body", "item", "price"], "float_parsing"),
            (["body", "user"], "missing"),
        ]


def test_body_scalars_from_one_object(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        assert client.post("/scalars", json={"count": 2, "label": "x"}).json() == {
            "count": 2,
            "label": "x",
        }
        assert client.post("/scalars", json={"count": 0}).json() == {"count": 0, "label": "none"}
        assert errors_of(client.post("/scalars", json={"count": -1, "label": "ok"})) == [
            {
                "loc": ["body", "count"],
                "type": "greater_than_equal",
                "msg": "Input should be greater than or equal to 0",
                "ctx": {"ge": 0},
            }
        ]
        errors = errors_of(client.post("/scalars", json={"label": "ok"}))
        assert strip_msgs(errors) == [(["body", "count"], "missing")]


def test_body_str_values_are_validated(interface: str) -> None:
    """A JSON value is not always a string: ``str`` body parameters must be checked too."""
    with TestClient(body_app(), interface, raise_server_exceptions=False) as client:
        assert client.post("/text-body", json="hi").json() == {"text": "hi", "type": "str"}
        assert errors_of(client.post("/text-body", json={"a": 1})) == [
            {"loc": ["body"], "type": "string_type", "msg": "Input should be a valid string"}
        ]
        assert errors_of(client.post("/scalars", json={"count": 1, "label": 5})) == [
            {
                "loc": ["body", "label"],
                "type": "string_type",
                "msg": "Input should be a valid string",
            }
        ]


def test_body_errors_reported_once_for_several_body_params(interface: str) -> None:
    """One bad body is one error, however many parameters read from it."""
    with TestClient(body_app(), interface) as client:
        errors = errors_of(
            client.post("/two", content=b"{bad", headers={"content-type": "application/json"})
        )
        assert strip_msgs(errors) == [(["body"], "json_invalid")]
        assert errors_of(client.post("/two", json=[1, 2])) == [
            {"loc": ["body"], "type": "dict_type", "msg": "Input should be a JSON object"}
        ]
        r = client.post("/two", content=b"{}", headers={"content-type": "text/plain"})
        assert unsupported_of(r) == [
            {
                "loc": ["body"],
                "type": "content_type",
                "msg": "Expected a JSON body (application/json), got text/plain",
            }
        ]


def test_body_dict_list_dataclass_typeddict(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        payload = {"a": [1, {"b": None}], "c": "d"}
        assert client.post("/dict", json=payload).json() == {"data": payload}
        assert strip_msgs(errors_of(client.post("/dict", json=[1]))) == [(["body"], "dict_type")]
        assert client.post("/counts", json={"a": 1, "b": 2}).json() == {"total": 3}
        assert errors_of(client.post("/counts", json={"a": 1, "b": "x"})) == [
            {"loc": ["body", "b"], "type": "int_parsing", "msg": INT_MSG}
        ]
        items = [{"name": "a", "price": 1}, {"name": "b", "price": 2}]
        assert client.post("/list", json=items).json() == {
            "names": ["a", "b"],
            "types": ["Item", "Item"],
        }
        bad = [{"name": "a", "price": 1}, {"name": "b", "price": 0}]
        assert strip_msgs(errors_of(client.post("/list", json=bad))) == [
            (["body", 1, "price"], "greater_than")
        ]
        assert client.post("/dataclass", json={"a": "3", "b": "x"}).json() == {
            "type": "Pair",
            "a": 3,
            "b": "x",
        }
        assert strip_msgs(errors_of(client.post("/dataclass", json={"a": "x"}))) == [
            (["body", "a"], "int_parsing"),
            (["body", "b"], "missing"),
        ]
        assert client.post("/typeddict", json={"x": 1, "y": 2}).json() == {"sum": 3}
        assert strip_msgs(errors_of(client.post("/typeddict", json={"x": 1}))) == [
            (["body", "y"], "missing")
        ]


def test_body_optional_absent_and_required_empty(interface: str) -> None:
    with TestClient(body_app(), interface) as client:
        assert client.post("/optional").json() == {"item": None}
        r = client.post("/optional", json={"name": "pen", "price": 3})
        assert r.json() == {"item": {"name": "pen", "price": 3.0, "tags": []}}
        for headers in ({}, {"content-type": "application/json"}):
            assert errors_of(client.post("/items", content=b"", headers=headers)) == [
                {"loc": ["body"], "type": "missing", "msg": "Field required"}
            ]
        assert errors_of(client.post("/embedded")) == [
            {"loc": ["body", "item"], "type": "missing", "msg": "Field required"}
        ]


@pytest.mark.parametrize("route", ["/items", "/dict", "/any", "/embedded", "/raw-json"])
@pytest.mark.parametrize(
    "payload",
    [
        b'{"name": "pen",',
        b"{'name': 'pen'}",
        b"nul",
        b'{"a": 1} trailing',
        b"   ",
        b'{"name": "\xff"}',
    ],
)
def test_body_malformed_json(interface: str, route: str, payload: bytes) -> None:
    with TestClient(body_app(), interface) as client:
        r = client.post(route, content=payload, headers={"content-type": "application/json"})
        errors = errors_of(r)
        assert strip_msgs(errors) == [(["body"], "json_invalid")]
        assert errors[0]["msg"].startswith("Invalid JSON")


@pytest.mark.parametrize("route", ["/items", "/dict", "/any", "/embedded", "/list", "/raw-json"])
@pytest.mark.parametrize(
    "bomb",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"item":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
)
def test_body_json_bomb_is_422_never_500(interface: str, route: str, bomb: bytes) -> None:
    assert len(bomb) < 1_048_576  # within the default body limit: the parser must cope
    with TestClient(body_app(), interface, raise_server_exceptions=False) as client:
        r = client.post(route, content=bomb, headers={"content-type": "application/json"})
        errors = errors_of(r)
        assert len(errors) == 1
        assert errors[0]["type"] == "json_invalid"
        assert errors[0]["loc"] == ["body"]


def test_body_content_type(interface: str) -> None:
    payload = b'{"name": "pen", "price": 1}'
    expected = {"type": "Item", "name": "pen", "price": 1.0, "tags": []}
    with TestClient(body_app(), interface) as client:
        for media in (
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
            "application/vnd.api+json",
        ):
            r = client.post("/items", content=payload, headers={"content-type": media})
            assert r.json() == expected, media
        assert unsupported_of(
            client.post("/items", content=payload, headers={"content-type": "text/plain"})
        ) == [
            {
                "loc": ["body"],
                "type": "content_type",
                "msg": "Expected a JSON body (application/json), got text/plain",
            }
        ]
        assert unsupported_of(client.post("/items", content=payload)) == [
            {
                "loc": ["body"],
                "type": "content_type",
                "msg": "Expected a JSON body (application/json), got no Content-Type",
            }
        ]
        r = client.post("/embedded", data={"item": "x"})  # a form where JSON is expected
        assert unsupported_of(r) == [
            {
                "loc": ["body"],
                "type": "content_type",
                "msg": "Expected a JSON body (application/json), "
                "got application/x-www-form-urlencoded",
            }
        ]


# -- 6. forms and files -------------------------------------------------------------------
async def describe(upload: UploadFile) -> dict:
    return {
        "filename": upload.filename,
        "content_type": upload.content_type,
        "content": (await upload.read()).decode(),
        "size": upload.size,
        "class": type(upload).__name__,
    }


def form_app(seen: list[UploadFile] | None = None, **options: Any) -> Application:
    app = Application(**options)

    @app.post("/login")
    async def login(
        username: Annotated[str, Form()],
        password: Annotated[str, Form(min_length=8)],
        remember: Annotated[bool, Form()] = False,
        tags: Annotated[list[str] | None, Form()] = None,
        age: int | None = Form(None),
    ) -> dict:
        return {
            "username": username,
            "password": password,
            "remember": remember,
            "tags": tags,
            "age": age,
        }

    @app.post("/upload")
    async def upload(title: Annotated[str, Form()], doc: UploadFile) -> dict:
        if seen is not None:
            seen.append(doc)
        return {"title": title, "doc": await describe(doc)}

    @app.post("/bytes")
    async def as_bytes(data: Annotated[bytes, File()]) -> dict:
        return {"type": type(data).__name__, "data": data.decode()}

    @app.post("/many")
    async def many(files: list[UploadFile], note: Annotated[str, Form()] = "") -> dict:
        return {"note": note, "files": [await describe(f) for f in files]}

    @app.post("/optional-file")
    async def optional_file(
        note: Annotated[str, Form()] = "-", doc: UploadFile | None = None
    ) -> dict:
        return {"note": note, "doc": None if doc is None else await describe(doc)}

    @app.post("/marked-file")
    async def marked_file(doc: Annotated[UploadFile, File()]) -> dict:
        return {"doc": await describe(doc)}

    @app.post("/raw-form")
    async def raw_form(request: Request) -> dict:
        form = await request.form()
        items = []
        for key, value in form.multi_items():
            if isinstance(value, str):
                items.append([key, value])
            else:
                items.append([key, await describe(value)])
        return {
            "get": form.get("a"),
            "getlist": form.getlist("a"),
            "get_default": form.get("zzz", "dflt"),
            "keys": list(form.keys()),
            "len": len(form),
            "contains": ["a" in form, "zzz" in form],
            "items": items,
            "same": form is await request.form(),
        }

    @app.post("/form-and-request")
    async def form_and_request(name: Annotated[str, Form()], request: Request) -> dict:
        form = await request.form()
        return {"name": name, "form": form.multi_items()}

    @app.post("/big", max_body_size=None)
    async def big(doc: UploadFile) -> dict:
        digest = hashlib.sha256()
        while chunk := await doc.read(65_536):
            digest.update(chunk)
        return {
            "sha256": digest.hexdigest(),
            "size": doc.size,
            "rolled": doc.file._rolled,  # type: ignore[attr-defined]
        }

    return app


def test_form_urlencoded_fields(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post(
            "/login",
            content=b"username=ann+lee&password=p%40ssw0rd!&remember=on&tags=a&tags=b&age=30",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.json() == {
            "username": "ann lee",
            "password": "p@ssw0rd!",
            "remember": True,
            "tags": ["a", "b"],
            "age": 30,
        }
        r = client.post("/login", data={"username": "ann", "password": "12345678"})
        assert r.json() == {
            "username": "ann",
            "password": "12345678",
            "remember": False,
            "tags": None,
            "age": None,
        }


def test_form_field_errors(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        errors = errors_of(client.post("/login", data={"password": "short", "age": "old"}))
        assert errors == [
            {"loc": ["body", "username"], "type": "missing", "msg": "Field required"},
            {
                "loc": ["body", "password"],
                "type": "string_too_short",
                "msg": "String should have at least 8 characters",
                "ctx": {"min_length": 8},
            },
            {"loc": ["body", "age"], "type": "int_parsing", "msg": INT_MSG},
        ]
        # multipart carries the same fields the same way
        r = client.post(
            "/login",
            data={"username": "ann", "password": "x"},
            files={"unused": ("u.txt", b"u")},
        )
        assert strip_msgs(errors_of(r)) == [(["body", "password"], "string_too_short")]


def test_form_file_where_text_expected(interface: str) -> None:
    """A file part under a text field's name is invalid input, not an UploadFile in a str."""
    with TestClient(form_app(), interface, raise_server_exceptions=False) as client:
        r = client.post("/login", data={"password": "12345678"}, files={"username": ("u", b"a")})
        assert strip_msgs(errors_of(r)) == [(["body", "username"], "string_type")]
        r = client.post(
            "/login",
            data={"username": "ann", "password": "12345678"},
            files={"tags": ("t", b"a"), "age": ("a", b"3")},
        )
        assert strip_msgs(errors_of(r)) == [
            (["body", "tags", 0], "string_type"),
            (["body", "age"], "int_type"),
        ]


def test_form_multipart_fields_and_file(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post(
            "/upload",
            data={"title": "Report"},
            files={"doc": ("report.txt", b"hello\r\nworld", "text/plain")},
        )
        assert r.json() == {
            "title": "Report",
            "doc": {
                "filename": "report.txt",
                "content_type": "text/plain",
                "content": "hello\r\nworld",
                "size": 12,
                "class": "UploadFile",
            },
        }
        r = client.post("/marked-file", files={"doc": ("d.csv", b"a,b", "text/csv")})
        assert r.json()["doc"]["filename"] == "d.csv"
        assert r.json()["doc"]["content_type"] == "text/csv"
        assert r.json()["doc"]["content"] == "a,b"


def test_form_uploads_are_closed_after_the_response(interface: str) -> None:
    seen: list[UploadFile] = []
    with TestClient(form_app(seen), interface) as client:
        r = client.post("/upload", data={"title": "t"}, files={"doc": ("a.txt", b"abc")})
        assert r.json()["doc"]["content"] == "abc"
    assert len(seen) == 1
    assert seen[0].file.closed


def test_form_bytes_file(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post("/bytes", files={"data": ("blob.bin", b"raw bytes")})
        assert r.json() == {"type": "bytes", "data": "raw bytes"}


def test_form_list_of_uploads(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post(
            "/many",
            data={"note": "two"},
            files=[
                ("files", ("a.txt", b"first", "text/plain")),
                ("files", ("b.json", b"{}", "application/json")),
            ],
        )
        assert r.json() == {
            "note": "two",
            "files": [
                {
                    "filename": "a.txt",
                    "content_type": "text/plain",
                    "content": "first",
                    "size": 5,
                    "class": "UploadFile",
                },
                {
                    "filename": "b.json",
                    "content_type": "application/json",
                    "content": "{}",
                    "size": 2,
                    "class": "UploadFile",
                },
            ],
        }
        r = client.post("/many", files=[("files", ("only.txt", b"1"))])
        assert [f["filename"] for f in r.json()["files"]] == ["only.txt"]


def test_form_optional_file_absent(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post("/optional-file", data={"note": "n"}, files={"other": ("o.txt", b"o")})
        assert r.json() == {"note": "n", "doc": None}
        r = client.post("/optional-file", data={"note": "urlencoded"})
        assert r.json() == {"note": "urlencoded", "doc": None}
        r = client.post("/optional-file", files={"doc": ("d.txt", b"d", "text/plain")})
        assert r.json()["doc"]["content"] == "d"


def test_form_only_optional_fields_and_no_body(interface: str) -> None:
    """Like an absent optional JSON body: no body at all means every form field is absent."""
    with TestClient(form_app(), interface) as client:
        r = client.post("/optional-file")
        assert r.status_code == 200, r.text
        assert r.json() == {"note": "-", "doc": None}
        assert strip_msgs(errors_of(client.post("/upload"))) == [
            (["body", "title"], "missing"),
            (["body", "doc"], "missing"),
        ]


def test_form_text_where_file_expected(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post(
            "/upload", data={"title": "t", "doc": "just text"}, files={"x": ("x", b"x")}
        )
        assert errors_of(r) == [
            {"loc": ["body", "doc"], "type": "file_type", "msg": "Expected an uploaded file"}
        ]
        r = client.post("/upload", data={"title": "t", "doc": "urlencoded text"})
        assert strip_msgs(errors_of(r)) == [(["body", "doc"], "file_type")]
        r = client.post("/bytes", data={"data": "text"}, files={"x": ("x", b"x")})
        assert strip_msgs(errors_of(r)) == [(["body", "data"], "file_type")]
        # a list where one entry is text
        r = client.post("/many", data={"files": "text"}, files=[("files", ("a", b"a"))])
        assert strip_msgs(errors_of(r)) == [(["body", "files"], "file_type")]


def test_form_missing_file(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post("/upload", data={"title": "t"}, files={"other": ("o.txt", b"o")})
        assert errors_of(r) == [
            {"loc": ["body", "doc"], "type": "missing", "msg": "Field required"}
        ]
        r = client.post("/many", data={"note": "none"}, files={"other": ("o", b"o")})
        assert strip_msgs(errors_of(r)) == [(["body", "files"], "missing")]


def test_form_handler_refuses_json(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post("/login", json={"username": "ann", "password": "12345678"})
        assert errors_of(r) == [
            {
                "loc": ["body"],
                "type": "content_type",
                "msg": "Expected a form body (application/x-www-form-urlencoded or "
                "multipart/form-data), got application/json",
            }
        ]


FIELD_A = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n'


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("multipart/form-data; boundary=B", FIELD_A, "ended before its closing boundary"),
        ("multipart/form-data; boundary=B", FIELD_A[:30], "ended before its closing boundary"),
        ("multipart/form-data", FIELD_A + b"--B--\r\n", "has no boundary"),
        ("multipart/form-data; boundary=", FIELD_A + b"--B--\r\n", "has no boundary"),
        (
            "multipart/form-data; boundary=B",
            b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n",
            "no Content-Disposition",
        ),
        (
            "multipart/form-data; boundary=B",
            b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n",
            "no field name",
        ),
        ("multipart/form-data; boundary=B", b"this is not multipart at all", "Malformed"),
        ("multipart/form-data; boundary=B", b"", "ended before its closing boundary"),
    ],
)
def test_form_malformed_multipart(
    interface: str, content_type: str, body: bytes, message: str
) -> None:
    with TestClient(form_app(), interface, raise_server_exceptions=False) as client:
        for route in ("/raw-form", "/optional-file"):
            r = client.post(route, content=body, headers={"content-type": content_type})
            errors = errors_of(r)
            assert strip_msgs(errors) == [(["body"], "form_invalid")]
            assert message in errors[0]["msg"]


def test_form_limits_are_413(interface: str) -> None:
    limits = FormLimits(max_parts=3, max_field_size=10, max_file_size=100)
    with TestClient(form_app(form_limits=limits), interface) as client:
        # at the limits: accepted
        r = client.post("/raw-form", data={"a": "x" * 10, "b": "2", "c": "3"})
        assert r.json()["keys"] == ["a", "b", "c"]
        r = client.post("/raw-form", data={"a": "x" * 10}, files={"f": ("f", b"y" * 100)})
        assert r.json()["items"][1][1]["size"] == 100
        # beyond them
        cases = [
            ({"data": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "more than 3"),
            ({"data": {"a": "x" * 11}}, "'a' is too large"),
            ({"data": {"a": "1", "b": "2", "c": "3"}, "files": {"f": ("f", b"1")}}, "more than 3"),
            ({"data": {"a": "x" * 11}, "files": {"f": ("f", b"1")}}, "'a' is too large"),
            ({"files": {"f": ("big.bin", b"y" * 101)}}, "'big.bin' is larger than 100 bytes"),
        ]
        for kwargs, detail in cases:
            r = client.post("/raw-form", **kwargs)  # type: ignore[arg-type]
            assert r.status_code == 413, (kwargs, r.text)
            assert r.headers["content-type"] == PROBLEM
            assert detail in r.json()["detail"]


def test_urlencoded_forms_are_bounded_even_without_a_body_limit(interface: str) -> None:
    """An urlencoded body is read into memory whole, so it has its own cap."""
    app = Application(max_body_size=None, form_limits=FormLimits(max_urlencoded_size=100))

    @app.post("/form")
    async def form(a: Annotated[str, Form()]) -> dict:
        return {"len": len(a)}

    with TestClient(app, interface) as client:
        assert client.post("/form", data={"a": "x" * 98}).json() == {"len": 98}  # 100 bytes
        r = client.post("/form", data={"a": "x" * 99})
        assert (r.status_code, r.headers["content-type"]) == (413, PROBLEM)
        assert "larger than 100 bytes" in r.json()["detail"]


def test_bytes_file_parameter_leaves_the_upload_readable(interface: str) -> None:
    """A ``bytes`` File parameter reads the upload; whoever reads it next starts at 0."""
    app = Application()

    async def head(doc: Annotated[UploadFile, File()]) -> bytes:
        return await doc.read(3)

    @app.post("/both")
    async def both(data: Annotated[bytes, File(alias="doc")], first: bytes = Depends(head)) -> dict:
        return {"data": data.decode(), "first": first.decode()}

    with TestClient(app, interface) as client:
        r = client.post("/both", files={"doc": ("d.txt", b"abcdef")})
        assert r.json() == {"data": "abcdef", "first": "abc"}


def test_malformed_form_is_reported_with_the_other_errors(interface: str) -> None:
    app = Application()

    @app.post("/search")
    async def search(q: int, name: Annotated[str, Form()]) -> dict:
        return {"q": q, "name": name}

    with TestClient(app, interface) as client:
        r = client.post(
            "/search?q=abc",
            content=b"this is not multipart at all",
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
        assert strip_msgs(errors_of(r)) == [
            (["query", "q"], "int_parsing"),
            (["body"], "form_invalid"),
        ]
        assert client.post("/search?q=1", data={"name": "n"}).json() == {"q": 1, "name": "n"}


def test_large_upload_is_received_intact_and_spooled_to_disk(interface: str) -> None:
    payload = random.Random(1234).randbytes(3 * 1024 * 1024)
    app = form_app(form_limits=FormLimits(spool_size=64 * 1024))
    with TestClient(app, interface) as client:
        r = client.post("/big", files={"doc": ("big.bin", payload, "application/octet-stream")})
        assert r.json() == {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "size": len(payload),
            "rolled": True,
        }
        r = client.post("/big", files={"doc": ("small.bin", b"tiny")})
        assert r.json()["rolled"] is False
        # the default body limit still applies to other routes
        r = client.post("/upload", data={"title": "t"}, files={"doc": ("big.bin", payload)})
        assert r.status_code == 413


# -- 7. request.form() --------------------------------------------------------------------
def test_request_form_urlencoded(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post(
            "/raw-form",
            content=b"a=1&b=two+words&a=3&c=%26",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.json() == {
            "get": "3",
            "getlist": ["1", "3"],
            "get_default": "dflt",
            "keys": ["a", "b", "c"],
            "len": 3,
            "contains": [True, False],
            "items": [["a", "1"], ["b", "two words"], ["a", "3"], ["c", "&"]],
            "same": True,
        }


def test_request_form_multipart(interface: str) -> None:
    body = (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"first\r\n"
        b"--B\r\n"
        b'Content-Disposition: form-data; name="f"; filename="n.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
        b"file body\r\n"
        b"--B\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"s\xc3\xa9cond\r\n"
        b"--B--\r\n"
    )
    with TestClient(form_app(), interface) as client:
        r = client.post(
            "/raw-form", content=body, headers={"content-type": "multipart/form-data; boundary=B"}
        )
        assert r.json() == {
            "get": "sécond",
            "getlist": ["first", "sécond"],
            "get_default": "dflt",
            "keys": ["a", "f"],
            "len": 2,
            "contains": [True, False],
            "items": [
                ["a", "first"],
                [
                    "f",
                    {
                        "filename": "n.txt",
                        "content_type": "text/plain",
                        "content": "file body",
                        "size": 9,
                        "class": "UploadFile",
                    },
                ],
                ["a", "sécond"],
            ],
            "same": True,
        }


def test_request_form_alongside_form_parameters(interface: str) -> None:
    with TestClient(form_app(), interface) as client:
        r = client.post("/form-and-request", data={"name": "ann", "x": "1"})
        assert r.json() == {"name": "ann", "form": [["name", "ann"], ["x", "1"]]}


# -- 8. registration-time errors ----------------------------------------------------------
async def body_and_form(item: Item, name: Annotated[str, Form()]) -> None: ...


async def path_marker_without_segment(x: Annotated[int, Path()]) -> None: ...


async def path_param_marked_query(id: Annotated[int, Query()]) -> None: ...


async def model_as_query(item: Annotated[Item, Query()]) -> None: ...


async def dict_as_header(meta: Annotated[dict, Header()]) -> None: ...


async def model_as_cookie(user: Annotated[User, Cookie()]) -> None: ...


async def positional_only(token: str, /) -> None: ...


async def unvalidatable(thing: Opaque) -> None: ...


@pytest.mark.parametrize(
    ("handler", "patterns"),
    [
        (body_and_form, ["body_and_form", "JSON body and form fields", "'item'", "'name'"]),
        (path_marker_without_segment, ["'x' is marked Path() but the route path has no {x}"]),
        (path_param_marked_query, ["'id' is a path parameter but is marked Query()"]),
        (model_as_query, ["parameter 'item'", "cannot come from the query"]),
        (dict_as_header, ["parameter 'meta'", "cannot come from the header"]),
        (model_as_cookie, ["parameter 'user'", "cannot come from the cookie"]),
        (positional_only, ["positional-only parameter 'token'"]),
        (unvalidatable, ["unvalidatable: parameter 'thing'"]),
    ],
)
def test_registration_errors_stop_startup(
    interface: str, handler: Any, patterns: list[str]
) -> None:
    app = Application()
    app.post("/things/{id}", handler)
    with pytest.raises(LifespanError) as info, TestClient(app, interface):
        pass
    message = str(info.value)
    for pattern in patterns:
        assert pattern in message, (pattern, message)


def test_typed_path_segment_read_as_text(interface: str) -> None:
    """``{n:int}`` matched as a number, but a handler asking for ``str`` gets text."""
    app = Application()

    @app.get("/n/{n:int}")
    async def as_text(n: str) -> dict:
        return {"n": n, "type": type(n).__name__}

    with TestClient(app, interface) as client:
        assert client.get("/n/42").json() == {"n": "42", "type": "str"}
        assert client.get("/n/x").status_code == 404
