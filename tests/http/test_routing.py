"""Routing through the whole pipeline: syntaxes, converters, 404/405, HEAD/OPTIONS, routers,
controllers and url_path_for. Every test runs under ASGI and RSGI (``interface`` fixture)."""

from __future__ import annotations

import threading
import uuid

import pytest

from orionis import Application, Controller, NoMatchFound, Request, Router
from orionis.exceptions import LifespanError
from orionis.testing import TestClient


def test_converters_deliver_typed_values(interface: str) -> None:
    app = Application()
    seen: list[object] = []

    @app.get("/i/{v:int}")
    async def as_int(v: int) -> dict:
        seen.append(v)
        return {"type": type(v).__name__}

    @app.get("/f/<float:v>")
    async def as_float(v: float) -> dict:
        seen.append(v)
        return {"type": type(v).__name__}

    @app.get("/u/{v:uuid}")
    async def as_uuid(v: uuid.UUID) -> dict:
        seen.append(v)
        return {"type": type(v).__name__}

    @app.get("/p/{v:path}")
    async def as_path(v: str) -> dict:
        seen.append(v)
        return {"type": type(v).__name__}

    @app.get("/s/<v>")
    async def as_str(v: str) -> dict:
        seen.append(v)
        return {"type": type(v).__name__}

    value = uuid.uuid4()
    with TestClient(app, interface) as client:
        assert client.get("/i/42").json() == {"type": "int"}
        assert client.get("/f/2.5").json() == {"type": "float"}
        assert client.get(f"/u/{value}").json() == {"type": "UUID"}
        assert client.get("/p/a/b/c.txt").json() == {"type": "str"}
        assert client.get("/s/h%C3%A9llo").json() == {"type": "str"}
        for bad in ("/i/-1", "/i/4x", "/f/1.", "/f/nan", "/u/not-a-uuid", "/s/"):
            assert client.get(bad).status_code == 404, bad
    assert seen == [42, 2.5, value, "a/b/c.txt", "héllo"]


def test_unknown_path_is_404_problem(interface: str) -> None:
    app = Application()
    app.get("/here", lambda: "x")
    with TestClient(app, interface) as client:
        response = client.get("/there")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert "/there" in body["detail"]


def test_wrong_method_is_405_with_allow(interface: str) -> None:
    app = Application()
    app.get("/items/{id:int}", lambda id: {"id": id})
    app.delete("/items/{id:int}", lambda id: None)
    with TestClient(app, interface) as client:
        response = client.post("/items/3")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
    assert response.json()["status"] == 405


def test_static_segment_wins_over_parameter_registered_first(interface: str) -> None:
    app = Application()
    app.get("/users/{name}", lambda name: {"route": "param", "name": name})
    app.get("/users/me", lambda: {"route": "static"})
    with TestClient(app, interface) as client:
        assert client.get("/users/me").json() == {"route": "static"}
        assert client.get("/users/bob").json() == {"route": "param", "name": "bob"}


def test_method_mismatch_on_static_falls_back_to_parameter_route(interface: str) -> None:
    app = Application()
    app.get("/users/me", lambda: "me")
    app.post("/users/{name}", lambda name: {"created": name})
    with TestClient(app, interface) as client:
        assert client.post("/users/me").json() == {"created": "me"}


def test_parameters_match_in_registration_order(interface: str) -> None:
    app = Application()
    app.get("/v/{n:int}", lambda n: {"int": n})
    app.get("/v/{s}", lambda s: {"str": s})
    with TestClient(app, interface) as client:
        assert client.get("/v/7").json() == {"int": 7}
        assert client.get("/v/seven").json() == {"str": "seven"}


def test_head_is_answered_for_get_without_body(interface: str) -> None:
    app = Application()
    calls = []

    @app.get("/doc")
    async def doc(request: Request) -> str:
        calls.append(request.method)
        return "hello world"

    with TestClient(app, interface) as client:
        response = client.head("/doc")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "11"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert calls == ["HEAD"]


def test_explicit_head_route_wins_over_automatic(interface: str) -> None:
    app = Application()
    app.get("/x", lambda: "from get")
    app.head("/x", lambda: ("", 200, {"x-head": "explicit"}))
    with TestClient(app, interface) as client:
        assert client.head("/x").headers["x-head"] == "explicit"


def test_options_is_automatic_unless_defined(interface: str) -> None:
    app = Application()
    app.get("/a", lambda: "a")
    app.put("/a", lambda: "a")
    app.options("/b", lambda: ("custom", 200))
    with TestClient(app, interface) as client:
        auto = client.options("/a")
        assert auto.status_code == 204
        assert auto.headers["allow"] == "GET, HEAD, OPTIONS, PUT"
        assert auto.content == b""
        assert client.options("/b").text == "custom"


def test_route_with_several_methods(interface: str) -> None:
    app = Application()

    @app.route("/both", methods=["get", "POST"])
    async def both(request: Request) -> str:
        return request.method

    with TestClient(app, interface) as client:
        assert client.get("/both").text == "GET"
        assert client.post("/both").text == "POST"
        assert client.put("/both").status_code == 405


def test_router_prefix_and_nesting(interface: str) -> None:
    app = Application()
    api = Router(prefix="/api")
    v1 = Router(prefix="/v1")
    v1.get("/items/{id:int}", lambda id: {"id": id}, name="item")
    api.include_router(v1)
    app.include_router(api, prefix="/outer")
    # Registered after inclusion: still served, because the table is compiled lazily.
    v1.get("/late", lambda: "late", name="late")
    with TestClient(app, interface) as client:
        assert client.get("/outer/api/v1/items/5").json() == {"id": 5}
        assert client.get("/outer/api/v1/late").text == "late"
        assert client.get("/api/v1/items/5").status_code == 404
    assert app.url_path_for("item", id=5) == "/outer/api/v1/items/5"


def test_prefix_parameters_reach_the_handler(interface: str) -> None:
    app = Application()
    org = Router(prefix="/orgs/{org}")
    org.get("/repos/{repo}", lambda org, repo: {"org": org, "repo": repo})
    app.include_router(org)
    with TestClient(app, interface) as client:
        assert client.get("/orgs/acme/repos/site").json() == {"org": "acme", "repo": "site"}


def test_routes_added_while_serving_are_served(interface: str) -> None:
    app = Application()
    app.get("/one", lambda: "1")
    with TestClient(app, interface) as client:
        assert client.get("/two").status_code == 404
        app.get("/two", lambda: "2")
        assert client.get("/two").text == "2"


class UserController(Controller):
    instances: list[Controller] = []  # the objects, not id()s: a freed object's id is reused

    def __init__(self) -> None:
        UserController.instances.append(self)
        self.thread = threading.current_thread().name

    async def index(self, request: Request) -> list:
        return [request.path]

    def show(self, id: int) -> dict:
        return {"id": id, "sync_thread": threading.current_thread().name != "MainThread"}


def test_controller_actions_and_instance_per_request(interface: str) -> None:
    UserController.instances.clear()
    app = Application()
    app.get("/users", (UserController, "index"), name="users.index")
    app.get("/users/{id:int}", [UserController, "show"], name="users.show")
    with TestClient(app, interface) as client:
        assert client.get("/users").json() == ["/users"]
        assert client.get("/users/9").json() == {"id": 9, "sync_thread": True}
        client.get("/users")
    assert len({id(c) for c in UserController.instances}) == 3  # all alive: distinct ids
    assert app.url_path_for("users.index") == "/users"
    assert app.url_path_for("users.show", id=9) == "/users/9"


def test_bad_endpoints_are_rejected_at_registration() -> None:
    app = Application()

    class NotAController:
        def index(self) -> str:
            return "x"

    with pytest.raises(TypeError, match=r"subclass orionis\.Controller"):
        app.get("/a", (NotAController, "index"))
    with pytest.raises(ValueError, match="no public action 'missing'"):
        app.get("/a", (UserController, "missing"))
    with pytest.raises(ValueError, match="no public action '_private'"):
        app.get("/a", (UserController, "_private"))
    with pytest.raises(TypeError, match="callable or a"):
        app.get("/a", 42)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no-slash", "must be a string starting with '/'"),
        ("/a/{x:bogus}", "unknown converter 'bogus'"),
        ("/a/{x}/{x}", "appears twice"),
        ("/a/{rest:path}/b", "must be the last segment"),
        ("/a/file.{ext}", "mixes text and a parameter"),
    ],
)
def test_bad_paths_are_rejected_at_registration(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Application().get(path, lambda: "x")


def test_bad_methods_and_prefixes_are_rejected() -> None:
    app = Application()
    with pytest.raises(ValueError, match="unknown HTTP method"):
        app.route("/a", lambda: "x", methods=["FETCH"])
    with pytest.raises(ValueError, match="non-empty list"):
        app.route("/a", lambda: "x", methods=[])
    with pytest.raises(ValueError, match="must start with '/'"):
        Router(prefix="api")
    with pytest.raises(ValueError, match="not end with '/'"):
        Router(prefix="/api/")
    router = Router()
    with pytest.raises(ValueError, match="cannot include itself"):
        router.include_router(router)


def test_duplicate_route_stops_startup(interface: str) -> None:
    app = Application()
    app.get("/users/{id:int}", lambda id: "first")
    app.get("/users/{uid:int}", lambda uid: "second")
    with pytest.raises(LifespanError, match="registered twice"), TestClient(app, interface):
        pass


def test_handler_parameter_that_cannot_be_filled_stops_startup(interface: str) -> None:
    app = Application()

    class Unknown:
        """Not a type pydantic can validate from a query string."""

    @app.get("/x")
    async def needs(thing: Unknown) -> str:
        return "never"

    with (
        pytest.raises(LifespanError, match="needs: parameter 'thing'"),
        TestClient(app, interface),
    ):
        pass


def test_url_path_for_quotes_and_checks_parameters() -> None:
    app = Application()
    app.get("/files/{p:path}", lambda p: p, name="file")
    app.get("/users/{name}", lambda name: name, name="user")
    app.get("/n/{n:int}", lambda n: n, name="number")
    app.get("/n2/{n:int}", lambda n: n)  # implicit name: "<lambda>"
    assert app.url_path_for("file", p="a b/c") == "/files/a%20b/c"
    assert app.url_path_for("user", name="a/b?c") == "/users/a%2Fb%3Fc"
    assert app.url_path_for("number", n=5) == "/n/5"
    with pytest.raises(NoMatchFound, match="no route named"):
        app.url_path_for("nope")
    with pytest.raises(NoMatchFound, match="takes parameters"):
        app.url_path_for("number")
    with pytest.raises(NoMatchFound, match="takes parameters"):
        app.url_path_for("number", n=1, extra=2)
    with pytest.raises(NoMatchFound, match="not a valid int"):
        app.url_path_for("number", n="five")
    with pytest.raises(NoMatchFound, match="must not be empty"):
        app.url_path_for("user", name="")


def test_explicit_names_are_unique_and_beat_implicit_ones() -> None:
    app = Application()

    def index() -> str:
        return "implicit"

    app.get("/implicit", index)
    app.get("/explicit", lambda: "explicit", name="index")
    assert app.url_path_for("index") == "/explicit"
    app.get("/again", lambda: "x", name="index")
    with pytest.raises(ValueError, match="used twice"):
        app.url_path_for("index")


def test_percent_encoded_path_is_matched_decoded(interface: str) -> None:
    app = Application()
    app.get("/caf\u00e9/{item}", lambda item: {"item": item})
    with TestClient(app, interface) as client:
        assert client.get("/caf%C3%A9/cr%C3%A8me%20br%C3%BBl%C3%A9e").json() == {
            "item": "crème brûlée"
        }


def test_same_shape_with_different_parameter_names(interface: str) -> None:
    """Each handler gets its own parameter name; Allow covers both routes."""
    app = Application()
    app.get("/users/{id:int}", lambda id: {"show": id})
    app.post("/users/{uid:int}", lambda uid: {"update": uid})
    with TestClient(app, interface) as client:
        assert client.get("/users/1").json() == {"show": 1}
        assert client.post("/users/2").json() == {"update": 2}
        assert client.options("/users/3").headers["allow"] == "GET, HEAD, OPTIONS, POST"
        r = client.put("/users/4")
        assert (r.status_code, r.headers["allow"]) == (405, "GET, HEAD, OPTIONS, POST")


def test_methods_given_as_a_string_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        Application().route("/a", lambda: "x", methods="GET")  # type: ignore[arg-type]
