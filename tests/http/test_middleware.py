"""Middleware order (global, router, route; first added outermost), construction and errors."""

from __future__ import annotations

from typing import Any

import pytest

from orionis import Application, Depends, HTTPException, Request, Response, Router
from orionis.exceptions import LifespanError
from orionis.middleware import Middleware
from orionis.testing import TestClient


class Tag(Middleware):
    """Records entry/exit in request.state.trail and the response header x-trail."""

    created = 0

    def __init__(self, name: str = "tag") -> None:
        Tag.created += 1
        self.name = name

    async def handle(self, request: Request, call_next: Any) -> Response:
        trail = getattr(request.state, "trail", None) if "trail" in request.state else None
        if trail is None:
            request.state.trail = trail = []
        trail.append(f">{self.name}")
        response = await call_next()
        trail.append(f"<{self.name}")
        response.headers["x-trail"] = ",".join(trail)
        return response


class Outer(Tag):
    def __init__(self) -> None:
        super().__init__("outer")


class RouterMW(Tag):
    def __init__(self) -> None:
        super().__init__("router")


def test_order_global_router_route(interface: str) -> None:
    app = Application()
    app.add_middleware(Tag, name="first")
    app.add_middleware(Tag, name="second")
    api = Router(prefix="/api", middleware=[RouterMW])

    @api.get("/x", middleware=[Tag("route")])
    async def x(request: Request) -> str:
        request.state.trail.append("handler")
        return "x"

    app.include_router(api)
    with TestClient(app, interface) as client:
        r = client.get("/api/x")
    assert r.headers["x-trail"] == (
        ">first,>second,>router,>route,handler,<route,<router,<second,<first"
    )


def test_global_middleware_sees_404_and_router_middleware_sees_auto_options(
    interface: str,
) -> None:
    app = Application()
    app.add_middleware(Outer)
    api = Router(prefix="/api", middleware=[RouterMW])
    api.get("/x", lambda: "x")
    app.include_router(api)
    with TestClient(app, interface) as client:
        assert client.get("/nowhere").headers["x-trail"] == ">outer,<outer"
        r = client.options("/api/x")
        assert r.status_code == 204
        assert r.headers["x-trail"] == ">outer,>router,<router,<outer"


def test_middleware_is_built_once_with_options(interface: str) -> None:
    Tag.created = 0
    app = Application()
    app.add_middleware(Tag, name="once")
    app.get("/", lambda: "ok")
    assert Tag.created == 0  # built before serving, not at registration
    with TestClient(app, interface) as client:
        for _ in range(3):
            assert client.get("/").headers["x-trail"] == ">once,<once"
    assert Tag.created == 1


def test_handler_errors_reach_middleware_as_responses(interface: str) -> None:
    app = Application()
    seen: list[int] = []

    class Observe(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Response:
            response = await call_next()
            seen.append(response.status_code)
            return response

    app.add_middleware(Observe)

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise HTTPException(403, "nope")

    with TestClient(app, interface) as client:
        assert client.get("/forbidden").status_code == 403
        assert client.get("/missing").status_code == 404
    assert seen == [403, 404]


def test_unhandled_errors_reach_middleware_as_a_500(interface: str) -> None:
    """An endpoint's unhandled exception is answered where it happened: middleware gets the
    500 from call_next (issue 8 item 21); rolling back belongs in a generator dependency,
    which still sees the exception."""
    app = Application()
    caught: list[Any] = []

    class Rollback(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Response:
            try:
                response = await call_next()
            except RuntimeError as exc:
                caught.append(str(exc))
                raise
            caught.append(response.status_code)
            return response

    app.add_middleware(Rollback)

    async def transaction() -> Any:
        try:
            yield "tx"
        except RuntimeError as exc:
            caught.append(f"rollback: {exc}")
            raise

    @app.get("/fail")
    async def fail(tx: str = Depends(transaction)) -> None:
        raise RuntimeError("db error")

    with TestClient(app, interface) as client:
        assert client.get("/fail").status_code == 500
    assert caught == [500, "rollback: db error"]


def test_middleware_can_short_circuit_and_raise_http_errors(interface: str) -> None:
    app = Application()

    class Auth(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Response:
            if request.headers.get("authorization") != "Bearer ok":
                raise HTTPException(401, "login first", headers={"www-authenticate": "Bearer"})
            return await call_next()

    app.add_middleware(Auth)
    app.get("/secret", lambda: "secret")
    with TestClient(app, interface) as client:
        r = client.get("/secret")
        assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
        assert client.get("/secret", headers={"authorization": "Bearer ok"}).text == "secret"


def test_middleware_returning_non_response_is_500(interface: str) -> None:
    app = Application()

    class Broken(Middleware):
        async def handle(self, request: Request, call_next: Any) -> Any:
            await call_next()
            return {"not": "a response"}

    app.add_middleware(Broken)
    app.get("/", lambda: "ok")
    with TestClient(app, interface) as client:
        assert client.get("/").status_code == 500


def test_add_middleware_checks() -> None:
    app = Application()
    with pytest.raises(TypeError, match="middleware class"):
        app.add_middleware(Tag())  # type: ignore[arg-type]

    class NoHandle:
        pass

    app.add_middleware(NoHandle)
    with pytest.raises(LifespanError, match="async def handle"), TestClient(app, "asgi"):
        pass


def test_add_middleware_after_start_is_refused(interface: str) -> None:
    app = Application()
    app.get("/", lambda: "ok")
    with (
        TestClient(app, interface),
        pytest.raises(RuntimeError, match="before the application starts"),
    ):
        app.add_middleware(Tag)
