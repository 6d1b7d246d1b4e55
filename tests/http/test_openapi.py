"""OpenAPI 3.1 output (checked with openapi-spec-validator), /docs, and switching them off."""

from __future__ import annotations

import datetime
import enum
import importlib
import pathlib
import sys
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import pydantic
import pytest
from openapi_spec_validator import validate

from orionis import (
    Application,
    Body,
    Controller,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    HTMLResponse,
    Path,
    Query,
    Router,
    UploadFile,
)
from orionis.security import APIKeyHeader, HTTPBearer
from orionis.testing import TestClient


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Tag(pydantic.BaseModel):
    name: str


class ItemIn(pydantic.BaseModel):
    """An item to create."""

    name: str = pydantic.Field(min_length=1, max_length=50)
    price: float = pydantic.Field(gt=0)
    tags: list[Tag] = []


class ItemOut(pydantic.BaseModel):
    id: uuid.UUID
    name: str
    created: datetime.datetime


bearer = HTTPBearer(bearer_format="JWT")
api_key = APIKeyHeader("X-API-Key")


async def current_user(token: Annotated[str, Depends(bearer)]) -> dict:
    return {"token": token}


async def paging(
    page: Annotated[int, Query(ge=1)] = 1, size: Annotated[int, Query(le=100)] = 20
) -> dict:
    return {"page": page, "size": size}


class ItemController(Controller):
    def __init__(self, user: Annotated[dict, Depends(current_user)]) -> None:
        self.user = user

    async def show(self, item_id: uuid.UUID) -> ItemOut:
        """Show one item.

        Longer description of what showing an item means.
        """
        return ItemOut(id=item_id, name="x", created=datetime.datetime(2026, 1, 1))


def make_app() -> Application:
    app = Application(title="Shop", version="2.1.0", description="A test shop.")
    api = Router(prefix="/api", tags=["shop"])

    @api.get("/items")
    async def list_items(
        pages: Annotated[dict, Depends(paging)],
        color: Color | None = None,
        tag: Annotated[list[str], Query()] = [],  # noqa: B006
        x_trace: Annotated[str | None, Header(description="Trace id")] = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> list[ItemOut]:
        return []

    @api.post("/items", status_code=201, tags=["write"])
    async def create_item(item: ItemIn) -> ItemOut:
        return ItemOut(id=uuid.uuid4(), name=item.name, created=datetime.datetime.now())

    api.get("/items/{item_id:uuid}", (ItemController, "show"), name="items.show")

    @api.post("/uploads")
    async def upload(
        title: Annotated[str, Form()], files: Annotated[list[UploadFile], File()]
    ) -> dict:
        return {}

    @api.post("/login")
    async def login(user: Annotated[str, Form()], password: Annotated[str, Form()]) -> dict:
        return {}

    @api.post("/pair")
    async def pair(
        left: Annotated[Tag, Body()], right: Annotated[Tag, Body()], note: str = "x"
    ) -> None:
        return None

    @api.get("/text")
    async def text() -> str:
        return "plain"

    @api.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse("<p>")

    @api.get("/keyed", dependencies=[Depends(api_key)], deprecated=True)
    async def keyed() -> dict:
        return {}

    @api.get("/n/{n:int}/{ratio:float}", summary="Numbers", description="Typed path values.")
    async def numbers(
        n: Annotated[int, Path(le=1000)], ratio: float, limit: Annotated[int, Query(le=9)] = 0
    ) -> dict:
        return {}

    @api.get("/hidden", include_in_schema=False)
    async def hidden() -> dict:
        return {}

    app.include_router(api)
    return app


@pytest.fixture
def document() -> dict[str, Any]:
    doc = make_app().openapi()
    validate(doc)  # raises if the document is not valid OpenAPI 3.1
    return doc


def test_document_header_and_paths(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Shop", "version": "2.1.0", "description": "A test shop."}
    assert set(document["paths"]) == {
        "/api/items",
        "/api/items/{item_id}",
        "/api/uploads",
        "/api/login",
        "/api/pair",
        "/api/text",
        "/api/page",
        "/api/keyed",
        "/api/n/{n}/{ratio}",
    }
    assert "/openapi.json" not in document["paths"] and "/docs" not in document["paths"]


def test_parameters_from_signatures_and_dependencies(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/items"]["get"]
    assert operation["tags"] == ["shop"]
    params = {(p["in"], p["name"]): p for p in operation["parameters"]}
    assert set(params) == {
        ("query", "page"),
        ("query", "size"),
        ("query", "color"),
        ("query", "tag"),
        ("header", "x-trace"),
        ("cookie", "session"),
    }
    assert params[("query", "page")]["schema"]["minimum"] == 1
    assert params[("query", "size")]["schema"]["maximum"] == 100
    assert params[("query", "tag")]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert params[("query", "tag")]["explode"] is True
    assert params[("header", "x-trace")]["description"] == "Trace id"
    assert all(p["required"] is False for p in params.values())
    color = params[("query", "color")]["schema"]["anyOf"][0]
    assert color == {"$ref": "#/components/schemas/Color"}
    assert document["components"]["schemas"]["Color"]["enum"] == ["red", "blue"]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"type": "array", "items": {"$ref": "#/components/schemas/ItemOut"}}


def test_path_parameters_and_converters(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/n/{n}/{ratio}"]["get"]
    assert operation["summary"] == "Numbers"
    assert operation["description"] == "Typed path values."
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["n"] == {
        "name": "n",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "maximum": 1000, "minimum": 0},
    }
    assert params["ratio"]["schema"] == {"type": "number", "minimum": 0}
    assert params["limit"]["in"] == "query" and params["limit"]["schema"]["maximum"] == 9
    show = document["paths"]["/api/items/{item_id}"]["get"]
    item_id = next(p for p in show["parameters"] if p["name"] == "item_id")
    assert item_id["schema"] == {"type": "string", "format": "uuid"}
    assert show["summary"] == "Show one item."
    assert show["description"] == "Longer description of what showing an item means."
    assert show["operationId"] == "items_show_get"


def test_json_bodies(document: dict[str, Any]) -> None:
    create = document["paths"]["/api/items"]["post"]
    assert create["tags"] == ["shop", "write"]
    body = create["requestBody"]
    assert body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemIn"}}},
    }
    assert "201" in create["responses"] and "200" not in create["responses"]
    schemas = document["components"]["schemas"]
    assert schemas["ItemIn"]["properties"]["name"]["maxLength"] == 50
    assert schemas["ItemIn"]["properties"]["price"]["exclusiveMinimum"] == 0
    assert schemas["ItemIn"]["properties"]["tags"]["items"] == {"$ref": "#/components/schemas/Tag"}
    assert schemas["ItemOut"]["properties"]["created"]["format"] == "date-time"
    pair = document["paths"]["/api/pair"]["post"]
    embedded = pair["requestBody"]["content"]["application/json"]["schema"]
    assert embedded["required"] == ["left", "right"]
    assert embedded["properties"]["left"] == {"$ref": "#/components/schemas/Tag"}
    assert [p["name"] for p in pair["parameters"]] == ["note"]
    assert set(pair["responses"]) == {"204", "422", "default"}
    assert "content" not in pair["responses"]["204"]


def test_form_bodies(document: dict[str, Any]) -> None:
    upload = document["paths"]["/api/uploads"]["post"]["requestBody"]["content"]
    schema = upload["multipart/form-data"]["schema"]
    assert schema["properties"]["files"] == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
    }
    assert schema["required"] == ["title", "files"]
    login = document["paths"]["/api/login"]["post"]["requestBody"]["content"]
    assert set(login) == {"application/x-www-form-urlencoded"}


def test_responses_media_types_and_errors(document: dict[str, Any]) -> None:
    text = document["paths"]["/api/text"]["get"]["responses"]
    assert text["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert "422" not in text  # no input that can be invalid
    assert text["default"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    page = document["paths"]["/api/page"]["get"]["responses"]
    assert set(page["200"]["content"]) == {"text/html"}
    items = document["paths"]["/api/items"]["get"]["responses"]
    assert items["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail"]


def test_security_schemes_from_dependencies(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    assert document["paths"]["/api/items/{item_id}"]["get"]["security"] == [{"bearerAuth": []}]
    keyed = document["paths"]["/api/keyed"]["get"]
    assert keyed["security"] == [{"apiKeyAuth": []}]
    assert keyed["deprecated"] is True
    assert "security" not in document["paths"]["/api/text"]["get"]


def test_served_document_and_docs_page(interface: str) -> None:
    app = make_app()
    with TestClient(app, interface) as client:
        r = client.get("/openapi.json")
        assert r.headers["content-type"] == "application/json"
        assert r.json() == app.openapi()
        docs = client.get("/docs")
        assert docs.headers["content-type"] == "text/html; charset=utf-8"
        assert '"url":"/openapi.json"' in docs.text
        assert "swagger-ui-bundle.js" in docs.text
        # Routes added later show up (the cached document follows the route table).
        app.get("/later", lambda: {"late": True})
        assert "/later" in client.get("/openapi.json").json()["paths"]


def test_docs_assets_and_switches(interface: str) -> None:
    app = Application(
        title="</title><script>alert(1)</script>",
        openapi_url="/spec.json",
        docs_url="/reference",
        docs_js_url="/static/swagger.js",
        docs_css_url="/static/swagger.css",
    )
    with TestClient(app, interface) as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/spec.json").json()["info"]["title"].startswith("</title>")
        page = client.get("/reference").text
        assert 'src="/static/swagger.js"' in page and 'href="/static/swagger.css"' in page
        assert "<script>alert(1)</script>" not in page
    quiet = Application(openapi_url=None)
    no_docs = Application(docs_url=None)
    with TestClient(quiet, interface) as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/docs").status_code == 404
    with TestClient(no_docs, interface) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 404


def test_operation_ids_are_unique() -> None:
    app = Application()
    a, b = Router(prefix="/a"), Router(prefix="/b")

    def index() -> dict:
        return {}

    a.get("/", index)
    b.get("/", index)
    app.include_router(a)
    app.include_router(b)
    doc = app.openapi()
    validate(doc)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert ids == ["index_get", "index_get_2"]


@pytest.fixture
def bootstrap_app(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORIONIS_NOTES_DB", str(tmp_path / "notes.db"))
    import bootstrap

    yield importlib.reload(bootstrap).app


def test_bootstrap_document(bootstrap_app: Application) -> None:
    doc = bootstrap_app.openapi()
    validate(doc)
    notes = doc["paths"]["/api/notes"]
    params = {p["name"]: p["schema"] for p in notes["get"]["parameters"]}
    assert params["limit"]["maximum"] == 100 and params["offset"]["minimum"] == 0
    assert notes["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoteIn"
    }
    assert set(notes["post"]["responses"]) == {"201", "422", "default"}
    show = doc["paths"]["/api/notes/{id}"]["get"]
    assert show["parameters"][0]["schema"]["maximum"] == 2**63 - 1
    assert doc["components"]["schemas"]["NoteIn"]["properties"]["title"]["pattern"] == (
        sys.modules["bootstrap"].NON_SPACE  # a non-space character, spaces listed
    )
