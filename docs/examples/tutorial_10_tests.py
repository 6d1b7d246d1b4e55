"""Tutorial step 10: tests under both protocols. Put this in tests/ and run pytest."""

import pytest
from tutorial_03_database import app

from orionis.testing import TestClient


@pytest.fixture(params=["asgi", "rsgi"])
def client(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    with TestClient(app, interface=request.param) as client:  # runs startup and shutdown
        yield client


def test_create_then_list(client: TestClient) -> None:
    created = client.post("/notes", json={"title": "hello", "body": "first"})
    assert created.status_code == 201
    assert [n["title"] for n in client.get("/notes").json()] == ["hello"]


def test_empty_title_is_422(client: TestClient) -> None:
    response = client.post("/notes", json={"title": ""})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
