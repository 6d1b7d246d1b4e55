"""What a handler may return and how it is called, under both interfaces."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import uuid
from decimal import Decimal

import pydantic

from orionis import Application, JSONResponse, PlainTextResponse, Request, Response
from orionis.testing import TestClient


class Item(pydantic.BaseModel):
    name: str
    price: Decimal
    at: datetime.date


@dataclasses.dataclass
class Point:
    x: int
    y: int


def make_app() -> Application:
    app = Application()
    app.get("/dict", lambda: {"a": 1, 2: "int key"})
    app.get("/list", lambda: [1, "two", None])
    app.get("/str", lambda: "héllo")
    app.get("/bytes", lambda: b"\x00\x01")
    app.get("/none", lambda: None)
    app.get("/response", lambda: Response(b"raw", 202, {"x-kind": "raw"}, "text/x-raw"))
    app.get("/tuple2", lambda: ({"created": True}, 201))
    app.get("/tuple3", lambda: ("moved", 200, {"x-one": "1", "X-Two": "2"}))
    app.get("/tuple-none", lambda: (None, 202))
    app.get("/tuple-response", lambda: (PlainTextResponse("p"), 203))
    app.get("/model", lambda: Item(name="pen", price=Decimal("1.50"), at=datetime.date(2026, 1, 2)))
    app.get(
        "/models",
        lambda: {"items": [Item(name="a", price=Decimal(1), at=datetime.date(2026, 1, 1))]},
    )
    app.get("/dataclass", lambda: Point(1, 2))
    fixed = uuid.UUID("12345678-1234-5678-1234-567812345678")
    app.get("/native", lambda: {"when": datetime.datetime(2026, 1, 2, 3, 4, 5), "id": fixed})
    app.get("/unsupported", lambda: object())
    app.get("/bad-tuple", lambda: ("a", 200, {}, "extra"))
    return app


def test_return_values_are_converted(interface: str) -> None:
    with TestClient(make_app(), interface) as client:
        r = client.get("/dict")
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"a": 1, "2": "int key"}
        assert client.get("/list").json() == [1, "two", None]
        r = client.get("/str")
        assert (r.text, r.headers["content-type"]) == ("héllo", "text/plain; charset=utf-8")
        r = client.get("/bytes")
        assert (r.content, r.headers["content-type"]) == (b"\x00\x01", "application/octet-stream")
        r = client.get("/none")
        assert (r.status_code, r.content) == (204, b"")
        assert "content-length" not in r.headers
        r = client.get("/response")
        assert (r.status_code, r.content, r.headers["x-kind"]) == (202, b"raw", "raw")
        assert r.headers["content-type"] == "text/x-raw; charset=utf-8"
        r = client.get("/tuple2")
        assert (r.status_code, r.json()) == (201, {"created": True})
        r = client.get("/tuple3")
        assert (r.text, r.headers["x-one"], r.headers["x-two"]) == ("moved", "1", "2")
        r = client.get("/tuple-none")
        assert (r.status_code, r.content) == (202, b"")
        assert client.get("/tuple-response").status_code == 203
        assert client.get("/model").json() == {"name": "pen", "price": "1.50", "at": "2026-01-02"}
        assert client.get("/models").json()["items"][0]["price"] == "1"
        assert client.get("/dataclass").json() == {"x": 1, "y": 2}
        assert client.get("/native").json() == {
            "when": "2026-01-02T03:04:05",
            "id": "12345678-1234-5678-1234-567812345678",
        }


def test_unconvertible_returns_are_500_without_details(interface: str) -> None:
    with TestClient(make_app(), interface) as client:
        for path in ("/unsupported", "/bad-tuple"):
            r = client.get(path)
            assert r.status_code == 500
            assert r.headers["content-type"] == "application/problem+json"
            assert "object" not in r.text and "tuple" not in r.text


def test_sync_handlers_run_in_thread_pool_async_on_loop(interface: str) -> None:
    app = Application()
    threads: dict[str, str] = {}

    @app.get("/sync")
    def sync() -> str:
        threads["sync"] = threading.current_thread().name
        return "s"

    @app.get("/async")
    async def run_async() -> str:
        threads["async"] = threading.current_thread().name
        return "a"

    with TestClient(app, interface) as client:
        client.get("/sync")
        client.get("/async")
    assert threads["async"] == "orionis-testclient"  # the event loop's thread
    assert threads["sync"] not in ("orionis-testclient", "MainThread")


def test_request_injected_by_annotation_or_name(interface: str) -> None:
    app = Application()

    @app.get("/annotated/{id:int}")
    async def annotated(req: Request, id: int) -> dict:
        return {"path": req.path, "id": id}

    @app.get("/named")
    async def named(request) -> dict:  # type: ignore[no-untyped-def]
        return {"method": request.method}

    @app.get("/defaults")
    async def defaults(limit: int = 10, *args: object) -> dict:
        return {"limit": limit}

    @app.get("/kwargs/{a}/{b}")
    async def kwargs(**params: str) -> dict:
        return params

    with TestClient(app, interface) as client:
        assert client.get("/annotated/3").json() == {"path": "/annotated/3", "id": 3}
        assert client.get("/named").json() == {"method": "GET"}
        assert client.get("/defaults").json() == {"limit": 10}
        assert client.get("/kwargs/x/y").json() == {"a": "x", "b": "y"}


def test_callable_instances_and_json_response_headers(interface: str) -> None:
    app = Application()

    class Greeter:
        async def __call__(self, name: str) -> JSONResponse:
            return JSONResponse({"hi": name}, headers={"x-greeter": "yes"})

    app.get("/hi/{name}", Greeter())
    with TestClient(app, interface) as client:
        r = client.get("/hi/ann")
    assert r.json() == {"hi": "ann"}
    assert r.headers["x-greeter"] == "yes"
    assert r.headers["content-type"] == "application/json"
