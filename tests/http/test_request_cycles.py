"""A served request leaves no reference cycle behind, under both interfaces.

A request that holds garbage only the cycle collector can free (its headers, body, parsed
inputs, the solver) makes that collector run more often and longer, which every request
then pays for. Each test captures a weak reference to the request inside the handler and
checks, with the collector switched off, that it is gone once the response is in.
"""

import gc
import weakref
from collections.abc import Iterator
from typing import Annotated

import pydantic
import pytest

from orionis import Application, Depends, Request, Response
from orionis.middleware import CallNext, Middleware
from orionis.testing import TestClient


class Order(pydantic.BaseModel):
    item: str
    quantity: int


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def who(request: Request) -> str:
    return request.headers.get("x-user", "anonymous")


def test_a_request_with_dependencies_is_freed_by_reference_counting(
    interface: str, no_collector: None
) -> None:
    refs: list[weakref.ref[Request]] = []

    async def handler(
        request: Request, order: Order, include: str, user: Annotated[str, Depends(who)]
    ) -> dict[str, object]:
        refs.append(weakref.ref(request))
        return {"user": user, "include": include, "order": order}

    app = Application()
    app.post("/orders")(handler)
    with TestClient(app, interface=interface) as client:
        response = client.post(
            "/orders?include=all", json={"item": "pen", "quantity": 2}, headers={"x-user": "ada"}
        )
        assert response.status_code == 200
        assert response.json() == {
            "user": "ada",
            "include": "all",
            "order": {"item": "pen", "quantity": 2},
        }
        assert len(refs) == 1
        assert refs[0]() is None, "the request is only freed by the cycle collector"


class Capture(Middleware):
    """Keeps a weak reference to every request it sees."""

    def __init__(self, refs: list[weakref.ref[Request]]) -> None:
        self.refs = refs

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        self.refs.append(weakref.ref(request))
        return await call_next()


def test_a_refused_request_is_freed_too(interface: str, no_collector: None) -> None:
    async def handler(order: Order, user: Annotated[str, Depends(who)]) -> str:
        return user

    refs: list[weakref.ref[Request]] = []
    app = Application()
    app.add_middleware(Capture, refs=refs)
    app.post("/orders")(handler)
    with TestClient(app, interface=interface) as client:
        response = client.post("/orders", json={"item": "pen", "quantity": "many"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert len(refs) == 1
        assert refs[0]() is None, "the request is only freed by the cycle collector"
