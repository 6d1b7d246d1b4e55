"""Orionis demo: a small notes API kept in SQLite.

    granian --interface rsgi bootstrap:app      # or --interface asgi, or: uvicorn bootstrap:app

    curl -s localhost:8000/api/notes
    curl -s -X POST localhost:8000/api/notes -H 'content-type: application/json' \\
         -d '{"title": "hello", "body": "first note"}'
    curl -s localhost:8000/api/notes/1
    curl -s -X DELETE localhost:8000/api/notes/1

The database file comes from ORIONIS_NOTES_DB (default: notes.db in the working directory).
Each worker opens its own connection at startup and closes it at shutdown.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any

from orionis import Application, Controller, HTTPException, Request, Router
from orionis.exceptions import RequestValidationError
from orionis.foundation.enums.lifespan import Lifespan
from orionis.middleware import Middleware

app = Application(title="Orionis demo", version="0.1.0")

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


class NotesDB:
    """One SQLite connection per worker. Handlers are sync and run in the thread pool, so
    access is serialised with a lock (SQLite connections are not thread-safe)."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, check_same_thread=False)
        self.connection.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock, self.connection:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute(SCHEMA)

    def query(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(row) for row in self.connection.execute(sql, args)]

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        with self.lock, self.connection:
            return self.connection.execute(sql, args)

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def open_db(app: Application) -> None:
    app.state.db = NotesDB(os.environ.get("ORIONIS_NOTES_DB", "notes.db"))


def close_db(app: Application) -> None:
    app.state.db.close()


app.on(Lifespan.STARTUP, open_db).on(Lifespan.SHUTDOWN, close_db)


class ResponseTime(Middleware):
    """Adds ``Server-Timing`` so clients can see how long the application took."""

    async def handle(self, request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next()
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["server-timing"] = f"app;dur={elapsed_ms:.2f}"
        return response


def _note_input(data: Any) -> tuple[str, str]:
    errors = []
    if not isinstance(data, dict):
        raise RequestValidationError(
            [{"loc": ["body"], "type": "dict_type", "msg": "Expected a JSON object"}]
        )
    for field, limit in (("title", 200), ("body", 10_000)):
        value = data.get(field)
        if not isinstance(value, str) or not value.strip():
            errors.append(
                {"loc": ["body", field], "type": "missing", "msg": "A non-empty string is required"}
            )
        elif len(value) > limit:
            errors.append(
                {
                    "loc": ["body", field],
                    "type": "string_too_long",
                    "msg": f"At most {limit} characters",
                }
            )
    if errors:
        raise RequestValidationError(errors)
    return data["title"].strip(), data["body"]


class NotesController(Controller):
    def index(self, request: Request) -> list[dict[str, Any]]:
        return request.app.state.db.query("SELECT * FROM notes ORDER BY id")

    def show(self, request: Request, id: int) -> dict[str, Any]:
        rows = request.app.state.db.query("SELECT * FROM notes WHERE id = ?", id)
        if not rows:
            raise HTTPException(404, f"There is no note {id}.")
        return rows[0]

    async def store(self, request: Request) -> Any:
        title, body = _note_input(await request.json())
        created = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = request.app.state.db.execute(
            "INSERT INTO notes (title, body, created_at) VALUES (?, ?, ?)", title, body, created
        )
        note = {"id": cursor.lastrowid, "title": title, "body": body, "created_at": created}
        location = request.app.url_path_for("notes.show", id=cursor.lastrowid)
        return note, 201, {"location": location}

    def destroy(self, request: Request, id: int) -> None:
        cursor = request.app.state.db.execute("DELETE FROM notes WHERE id = ?", id)
        if cursor.rowcount == 0:
            raise HTTPException(404, f"There is no note {id}.")


api = Router(prefix="/api", middleware=[ResponseTime], tags=["notes"])
api.get("/notes", (NotesController, "index"), name="notes.index")
api.post("/notes", (NotesController, "store"), name="notes.store")
api.get("/notes/{id:int}", (NotesController, "show"), name="notes.show")
api.delete("/notes/{id:int}", (NotesController, "destroy"), name="notes.destroy")
app.include_router(api)


@app.get("/")
async def home(request: Request) -> dict[str, Any]:
    return {
        "app": request.app.title,
        "interface": request.interface,
        "notes": request.app.url_path_for("notes.index"),
    }


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
