"""The demo app users run first (bootstrap.py), in-process under both interfaces.

Bad inputs tried: an empty title, a missing body field, a non-object JSON body, malformed
JSON, an over-long title, a 2 MiB body, an unknown note id, a non-integer id.
"""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Iterator

import pytest

from orionis import Application
from orionis.testing import TestClient


@pytest.fixture
def app(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Application]:
    monkeypatch.setenv("ORIONIS_NOTES_DB", str(tmp_path / "notes.db"))
    import bootstrap

    yield importlib.reload(bootstrap).app


def test_notes_crud(app: Application, interface: str) -> None:
    with TestClient(app, interface) as client:
        home = client.get("/").json()
        assert home == {"app": "Orionis demo", "interface": interface, "notes": "/api/notes"}
        assert client.get("/api/notes").json() == []
        r = client.post("/api/notes", json={"title": "Groceries", "body": "milk"})
        assert r.status_code == 201
        note = r.json()
        assert note["title"] == "Groceries" and note["body"] == "milk"
        assert r.headers["location"] == f"/api/notes/{note['id']}"
        assert r.headers["server-timing"].startswith("app;dur=")
        assert client.get(r.headers["location"]).json() == note
        assert client.get("/api/notes").json() == [note]
        r = client.delete(f"/api/notes/{note['id']}")
        assert (r.status_code, r.content) == (204, b"")
        r = client.get(f"/api/notes/{note['id']}")
        assert r.status_code == 404
        assert r.json()["detail"] == f"There is no note {note['id']}."
        assert client.delete(f"/api/notes/{note['id']}").status_code == 404
        assert client.get("/health").json() == {"status": "ok"}


def test_data_survives_a_restart(app: Application, interface: str) -> None:
    with TestClient(app, interface) as client:
        client.post("/api/notes", json={"title": "keep", "body": "me"})
    with TestClient(app, interface) as client:
        assert [n["title"] for n in client.get("/api/notes").json()] == ["keep"]


@pytest.mark.parametrize(
    ("payload", "locations"),
    [
        ({"title": "", "body": "x"}, [["body", "title"]]),
        ({"title": " \t ", "body": "x"}, [["body", "title"]]),
        ({"title": "t"}, [["body", "body"]]),
        ({"title": "t" * 201, "body": "x"}, [["body", "title"]]),
        ([1, 2], [["body"]]),
    ],
)
def test_invalid_notes_are_422(
    app: Application, interface: str, payload: object, locations: list
) -> None:
    with TestClient(app, interface) as client:
        r = client.post("/api/notes", json=payload)
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["errors"]] == locations
        assert client.get("/api/notes").json() == []


def test_malformed_and_oversized_bodies(app: Application, interface: str) -> None:
    with TestClient(app, interface) as client:
        r = client.post(
            "/api/notes", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert (r.status_code, r.json()["errors"][0]["type"]) == (422, "json_invalid")
        r = client.post("/api/notes", content=b"x" * (2 * 1024 * 1024))
        assert r.status_code == 413
        assert client.get("/api/notes/abc").status_code == 404
        r = client.get(f"/api/notes/{2**64}")  # beyond SQLite's integers: 422, not 500
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["path", "id"])
        r = client.get(f"/api/notes?offset={2**64}")
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["query", "offset"])
        assert client.put("/api/notes/1").status_code == 405
