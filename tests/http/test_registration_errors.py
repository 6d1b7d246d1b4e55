"""Mistakes reported where they are made (issue 9, items 1-5), in one or two lines that say
what to write instead. Messages are checked on their key words, not whole sentences.

Hostile inputs tried: every verb used as a bare decorator on an app and a router, ``@app.route``
bare, a function passed as the path, a controller class (with and without actions) as an
endpoint or decorated, exception handlers taking 0, 1 or 3 required parameters, a non-callable
handler, statuses "201", 201.0, True and None, plain classes and ``socket.socket`` parameters
(also in a dependency and a list), and every marker class used uncalled (default, Annotated,
annotation).
"""

import functools
import logging
import socket
from http import HTTPStatus
from typing import Annotated, Any

import pytest

from orionis import (
    Application,
    Body,
    Controller,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Router,
)
from orionis.exceptions import LifespanError
from orionis.testing import TestClient

VERBS = ["get", "post", "put", "patch", "delete", "options", "head"]


def short(message: str) -> None:
    assert len(message.splitlines()) <= 2, message
    assert "arbitrary_types_allowed" not in message


# -- 1. a verb decorator without its path ------------------------------------------------
@pytest.mark.parametrize("verb", VERBS)
def test_bare_verb_decorator_raises_at_definition(verb: str) -> None:
    for owner, label in ((Application(), "app"), (Router(prefix="/api"), "router")):
        routes = owner.router.routes if isinstance(owner, Application) else owner.routes
        before = list(routes)
        with pytest.raises(TypeError) as info:

            @getattr(owner, verb)
            async def handler() -> dict:
                return {}

        message = str(info.value)
        short(message)
        assert f'@{label}.{verb}("/path")' in message
        assert "parentheses" in message and "handler" in message
        assert routes == before


def test_bare_route_decorator_and_missing_methods() -> None:
    app = Application()
    with pytest.raises(TypeError) as info:

        @app.route  # type: ignore[call-arg]
        def handler() -> str:
            return ""

    assert '@app.route("/path", methods=["GET"])' in str(info.value)
    with pytest.raises(TypeError, match=r"methods="):
        app.route("/x", lambda: "")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"path is a string like '/items'"):
        app.add_route(lambda: "", lambda: "")  # type: ignore[arg-type]


# -- 2. a controller class without an action --------------------------------------------
class NoteController(Controller):
    async def index(self) -> list:
        return []


class EmptyController(Controller):
    pass


def test_controller_class_without_action_is_refused_at_registration() -> None:
    app = Application()
    with pytest.raises(TypeError) as info:
        app.get("/notes", NoteController)
    message = str(info.value)
    short(message)
    assert '(NoteController, "index")' in message and "controller class" in message
    assert "resource" in message
    with pytest.raises(TypeError, match=r'\(EmptyController, "index"\)'):
        Router().post("/e", EmptyController)
    with pytest.raises(TypeError, match="controller class"):
        app.get("/decorated")(NoteController)
    assert app.router.routes == [r for r in app.router.routes if r.path != "/notes"]


def test_controller_action_pair_still_works(interface: str) -> None:
    app = Application()
    app.get("/notes", (NoteController, "index"))
    with TestClient(app, interface) as client:
        assert client.get("/notes").json() == []


# -- 3. exception handler arity -----------------------------------------------------------
def test_exception_handler_with_wrong_arity_is_refused_at_registration() -> None:
    app = Application()

    def one(exc: Exception) -> str:
        return ""

    async def three(request: Request, exc: Exception, extra: int) -> str:
        return ""

    for bad in (one, three, lambda: ""):
        with pytest.raises(TypeError) as info:
            app.exception_handler(ValueError)(bad)
        message = str(info.value)
        short(message)
        assert "(request, exc)" in message and "ValueError" in message
    with pytest.raises(TypeError, match=r"handler\(request, exc\)"):
        app.exception_handler(404)(42)  # type: ignore[type-var]
    with pytest.raises(TypeError) as info:

        @app.exception_handler  # type: ignore[arg-type]
        def bare(request: Request, exc: Exception) -> str:
            return ""

    assert "@app.exception_handler(ValueError)" in str(info.value) and "bare" in str(info.value)
    assert app.errors.handlers == {}


def test_exception_handlers_of_every_valid_shape_answer(interface: str) -> None:
    app = Application()

    class Boom(Exception):
        pass

    class Callable:
        def __call__(self, request: Request, exc: Exception) -> tuple[dict, int]:
            return {"by": "instance"}, 409

    async def with_default(request: Request, exc: Exception, note: str = "d") -> tuple[str, int]:
        return note, 418

    def star(*args: Any) -> tuple[str, int]:
        return "star", 402

    app.exception_handler(Boom)(Callable())
    app.exception_handler(KeyError)(with_default)
    app.exception_handler(LookupError)(functools.partial(star))
    app.exception_handler(IndexError)(star)

    @app.get("/{kind}")
    async def fail(kind: str) -> None:
        raise {"boom": Boom(), "key": KeyError(), "index": IndexError()}[kind]

    with TestClient(app, interface) as client:
        assert client.get("/boom").status_code == 409
        assert client.get("/key").text == "d"
        assert client.get("/index").status_code == 402


# -- 4. a status that is not an int; a parameter type nothing can fill --------------------
@pytest.mark.parametrize("status", ["201", 201.0, True])
def test_string_status_says_it_must_be_an_int(interface: str, status: object) -> None:
    app = Application(debug=True)
    app.get("/s", lambda: ({"made": True}, status))
    app.get("/m", lambda: ({"made": True}, status), status_code=202)
    with TestClient(app, interface) as client:
        for path in ("/s", "/m"):
            r = client.get(path)
            assert r.status_code == 500
            exception = r.json()["exception"]
            assert "must be an int" in exception and repr(status) in exception


def test_int_and_enum_statuses_still_work(interface: str) -> None:
    app = Application()
    app.get("/i", lambda: ({"made": True}, 201))
    app.get("/e", lambda: ("made", HTTPStatus.ACCEPTED, {"x-a": "1"}))
    app.get("/n", lambda: ("kept", None))
    with TestClient(app, interface) as client:
        assert client.get("/i").status_code == 201
        assert client.get("/e").status_code == 202
        assert client.get("/n").status_code == 200


class Plain:
    pass


def get_sock(sock: socket.socket) -> int:
    return 1


@pytest.mark.parametrize(
    ("annotation", "shown"),
    [(Plain, "Plain"), (socket.socket, "socket.socket"), (list[Plain], "Plain")],
)
def test_unsupported_parameter_type_says_what_it_can_be(annotation: Any, shown: str) -> None:
    app = Application()

    async def handler(thing: annotation) -> dict:  # type: ignore[valid-type]
        return {}

    app.get("/x", handler)
    with pytest.raises(TypeError) as info:
        _ = app.route_table
    message = str(info.value)
    short(message)
    assert "handler" in message and "'thing'" in message and shown in message
    for what in ("Depends", "Request", "pydantic model", "scalar"):
        assert what in message
    assert info.value.__suppress_context__  # pydantic's long advice is not chained


def test_unsupported_type_stops_startup_with_a_short_log(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Application()

    @app.get("/x")
    async def open_socket(sock: socket.socket) -> dict:
        return {}

    with (
        caplog.at_level(logging.ERROR, "orionis"),
        pytest.raises(LifespanError) as info,
        TestClient(app, interface),
    ):
        pass
    assert "open_socket: parameter 'sock'" in str(info.value) and "Depends" in str(info.value)
    assert "socket.socket" in caplog.text and "arbitrary_types_allowed" not in caplog.text


def test_unsupported_type_in_a_dependency_names_the_dependency() -> None:
    app = Application()

    @app.get("/x")
    async def handler(n: Annotated[int, Depends(get_sock)]) -> dict:
        return {}

    with pytest.raises(TypeError) as info:
        _ = app.route_table
    assert "get_sock" in str(info.value) and "'sock'" in str(info.value)
    short(str(info.value))


# -- 5. a marker class used without calling it --------------------------------------------
def make(kind: str, marker: type) -> Any:
    if kind == "default":

        async def handler(v: int = marker) -> dict:  # type: ignore[assignment]
            return {}

    elif kind == "annotated":

        async def handler(v: Annotated[int, marker]) -> dict:  # type: ignore[no-redef]
            return {}

    else:

        async def handler(v: marker) -> dict:  # type: ignore[no-redef, valid-type]
            return {}

    return handler


@pytest.mark.parametrize("kind", ["default", "annotated", "annotation"])
@pytest.mark.parametrize("marker", [Depends, Query, Header, Cookie, Body, Form, File, Path])
def test_uncalled_marker_class_is_refused(kind: str, marker: type) -> None:
    app = Application()
    app.get("/x", make(kind, marker))
    with pytest.raises(TypeError) as info:
        _ = app.route_table
    message = str(info.value)
    short(message)
    assert "handler" in message and "'v'" in message
    assert f"class {marker.__name__}" in message and f"{marker.__name__}(" in message


def test_uncalled_depends_in_a_dependency_is_refused() -> None:
    def dep(v: int = Depends) -> int:  # type: ignore[assignment]
        return v

    app = Application()

    @app.get("/x")
    async def handler(n: Annotated[int, Depends(dep)]) -> dict:
        return {}

    with pytest.raises(TypeError, match=r"dep: parameter 'v' uses the class Depends"):
        _ = app.route_table


def test_called_markers_still_work(interface: str) -> None:
    def get_v() -> int:
        return 7

    app = Application()

    @app.get("/x")
    async def handler(
        v: Annotated[int, Depends(get_v)], q: Annotated[int, Query()] = 1, d: int = Depends(get_v)
    ) -> dict:
        return {"v": v, "q": q, "d": d}

    with TestClient(app, interface) as client:
        assert client.get("/x?q=3").json() == {"v": 7, "q": 3, "d": 7}
