"""``router.resource(path, Controller)`` and ``app.resource``: the five usual actions, named
after the last static segment (issue 9, item 10). Every request test runs under ASGI and RSGI.

Hostile inputs tried: a class defining none of the actions, a plain class, an instance, a
param that is text or two segments, a converter that does not exist, a param name already in
the path, a path with no static segment and no name=, only=/except_= with a string, unknown
names, or leaving nothing; a second resource reusing the names.
"""

from typing import Any

import pytest

from orionis import Application, Controller, Request, Router
from orionis.testing import TestClient


class NoteController(Controller):
    async def index(self) -> list:
        return ["all"]

    async def store(self, request: Request) -> tuple[dict, int]:
        return await request.json(), 201

    async def show(self, id: int) -> dict:
        return {"show": id}

    async def update(self, id: int, request: Request) -> dict:
        return {"update": id, "method": request.method}

    async def destroy(self, id: int) -> None:
        return None

    async def helper(self) -> str:  # not a resource action: not routed
        return "no"


class ReadOnly(Controller):
    def index(self) -> list:
        return []

    def show(self, slug: str) -> dict:
        return {"slug": slug}


def test_resource_maps_every_action(interface: str) -> None:
    app = Application()
    api = Router(prefix="/api")
    routes = api.resource("/notes", NoteController, param="{id:int}")
    app.include_router(api)
    assert [(r.path, r.methods, r.name) for r in routes] == [
        ("/notes", ("GET",), "notes.index"),
        ("/notes", ("POST",), "notes.store"),
        ("/notes/{id:int}", ("GET",), "notes.show"),
        ("/notes/{id:int}", ("PUT", "PATCH"), "notes.update"),
        ("/notes/{id:int}", ("DELETE",), "notes.destroy"),
    ]
    assert app.url_path_for("notes.show", id=3) == "/api/notes/3"
    with TestClient(app, interface) as client:
        assert client.get("/api/notes").json() == ["all"]
        created = client.post("/api/notes", json={"t": 1})
        assert (created.status_code, created.json()) == (201, {"t": 1})
        assert client.get("/api/notes/5").json() == {"show": 5}
        assert client.put("/api/notes/5").json() == {"update": 5, "method": "PUT"}
        assert client.patch("/api/notes/5").json() == {"update": 5, "method": "PATCH"}
        assert client.delete("/api/notes/5").status_code == 204
        assert client.get("/api/notes/x").status_code == 404  # the int converter
        assert client.get("/api/notes/helper").status_code == 404
        refused = client.post("/api/notes/5")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"


def test_app_resource_only_what_the_class_defines(interface: str) -> None:
    app = Application()
    routes = app.resource("/shops/{shop}/articles", ReadOnly, param="<slug>")
    assert [r.name for r in routes] == ["articles.index", "articles.show"]
    assert app.url_path_for("articles.show", shop="s", slug="hi") == "/shops/s/articles/hi"
    with TestClient(app, interface) as client:
        assert client.get("/shops/s/articles/hi").json() == {"slug": "hi"}
        assert client.post("/shops/s/articles").status_code == 405


def test_default_param_name_filters_and_options(interface: str) -> None:
    app = Application()
    only = app.resource("/notes", NoteController, only=["index", "show"], tags=["notes"])
    assert [r.name for r in only] == ["notes.index", "notes.show"]
    assert only[1].path == "/notes/{id}" and all(r.tags == ["notes"] for r in only)
    kept = app.resource("/memos/", NoteController, name="memo", except_=["destroy", "store"])
    assert [(r.name, r.path) for r in kept] == [
        ("memo.index", "/memos/"),
        ("memo.show", "/memos/{id}"),
        ("memo.update", "/memos/{id}"),
    ]
    with TestClient(app, interface) as client:
        assert client.get("/notes/7").json() == {"show": 7}  # {id}: text, typed by the handler
        assert client.delete("/notes/7").status_code == 405
        assert client.patch("/memos/2").json() == {"update": 2, "method": "PATCH"}
        assert client.get("/openapi.json").json()["paths"]["/notes"]["get"]["tags"] == ["notes"]


class Nothing(Controller):
    def helper(self) -> None: ...


class NotAController:
    def index(self) -> list:
        return []


@pytest.mark.parametrize(
    ("args", "options", "error", "words"),
    [
        (("/n", Nothing), {}, ValueError, ["Nothing", "none of", "index", "destroy"]),
        (("/n", NotAController), {}, TypeError, ["Controller subclass"]),
        (("/n", NoteController()), {}, TypeError, ["Controller subclass"]),
        (("/n", NoteController), {"param": "id"}, ValueError, ["param=", "{id:int}"]),
        (("/n", NoteController), {"param": "{a}/{b}"}, ValueError, ["one path parameter"]),
        (("/n", NoteController), {"param": "{id:hex}"}, ValueError, ["unknown converter"]),
        (("/n/{id}", NoteController), {}, ValueError, ["'id' appears twice"]),
        (("/{tenant}", NoteController), {}, ValueError, ["name="]),
        (("/n", NoteController), {"only": "index"}, TypeError, ["only=", "list"]),
        (("/n", NoteController), {"except_": ["delete"]}, ValueError, ["delete", "destroy"]),
        (("/n", ReadOnly), {"only": ["store"]}, ValueError, ["leave none"]),
    ],
)
def test_resource_mistakes_are_explained(
    args: tuple[Any, ...], options: dict[str, Any], error: type, words: list[str]
) -> None:
    router = Router()
    with pytest.raises(error) as info:
        router.resource(*args, **options)
    message = str(info.value)
    assert len(message.splitlines()) <= 2
    for word in words:
        assert word in message
    assert router.routes == []  # nothing half-registered


def test_resource_names_are_unique_like_any_explicit_name() -> None:
    app = Application()
    app.resource("/notes", ReadOnly)
    app.resource("/v2/notes", ReadOnly)
    with pytest.raises(ValueError, match=r"'notes\.index' is used twice"):
        _ = app.route_table
