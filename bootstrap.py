"""Orionis demo: a small notes API kept in SQLite.

    granian --interface rsgi bootstrap:app      # or --interface asgi, or: uvicorn bootstrap:app

    curl -s localhost:8000/api/notes
    curl -s -X POST localhost:8000/api/notes -H 'content-type: application/json' \\
         -d '{"title": "hello", "body": "first note"}'
    curl -s 'localhost:8000/api/notes?q=hel&limit=10'
    curl -s localhost:8000/api/notes/1
    curl -s -X DELETE localhost:8000/api/notes/1

The database file comes from ORIONIS_NOTES_DB (default: notes.db in the working directory).
Each worker opens its own connection at startup and closes it at shutdown. The API is
described at /openapi.json and browsable at /docs.

Live page: open http://localhost:8000/live/ (public/ next to this file, served by
app.mount_static). Note changes arrive over server-sent events (GET /events/notes, fed by an
orionis.broadcast.Broadcast that create and delete publish to) and a chat room runs over a
WebSocket (/ws/chat/{room}). The broadcast is "memory://" (one worker); set
ORIONIS_BROADCAST_URL=redis://127.0.0.1:6379 to share it between several workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pathlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from orionis import (
    Application,
    Controller,
    Depends,
    HTTPException,
    Path,
    Query,
    Request,
    Router,
    WebSocket,
    WebSocketDisconnect,
)
from orionis.background import BackgroundTasks
from orionis.broadcast import Broadcast, Subscription
from orionis.foundation.enums.lifespan import Lifespan
from orionis.middleware import Middleware
from orionis.sse import EventSourceResponse, ServerSentEvent

app = Application(
    title="Orionis demo",
    version="0.1.0",
    description="A notes API kept in SQLite, served over RSGI or ASGI.",
)

SQLITE_MAX_INT = 2**63 - 1  # larger ids and offsets cannot reach SQLite (422 instead of 500)
NoteId = Annotated[int, Path(ge=1, le=SQLITE_MAX_INT, description="The note's id")]

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


class NotesDB:
    """One SQLite connection per worker. Controller actions are sync and run in the thread
    pool, so access is serialised with a lock (SQLite connections are not thread-safe)."""

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

# Note changes and chat messages, fanned out to every open page of this worker (or of every
# worker, with a redis:// URL).
broadcast = Broadcast(os.environ.get("ORIONIS_BROADCAST_URL", "memory://"))
app.on(Lifespan.STARTUP, broadcast.connect).on(Lifespan.SHUTDOWN, broadcast.disconnect)
NOTES_CHANNEL = "notes"


async def publish_change(change: dict[str, Any]) -> None:
    """Tell the live pages (a background task: runs once the answer has been sent)."""
    await broadcast.publish(NOTES_CHANNEL, json.dumps(change))


async def get_db(request: Request) -> NotesDB:
    """The worker's database connection (a dependency: swap it in tests with
    ``app.dependency_overrides[get_db] = ...``)."""
    return request.app.state.db


class ResponseTime(Middleware):
    """Adds ``Server-Timing`` so clients can see how long the application took."""

    async def handle(self, request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next()
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["server-timing"] = f"app;dur={elapsed_ms:.2f}"
        return response


NON_SPACE = "[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


class NoteIn(BaseModel):
    """What a client sends to create a note."""

    # "Some non-space character" as a pattern, which JSON Schema can state, rather than
    # stripping, which it cannot: clients (and schemathesis) see the same rule we apply.
    # The space characters are listed: ``\S`` means different sets in pydantic's regex
    # engine (Unicode White_Space, with U+0085) and in JSON Schema's (ECMA-262, with U+FEFF).
    title: Annotated[str, Field(min_length=1, max_length=200, pattern=NON_SPACE)]
    body: Annotated[str, Field(min_length=1, max_length=10_000)]


class Note(NoteIn):
    """A stored note."""

    id: int
    created_at: datetime


class NotesController(Controller):
    def __init__(self, db: Annotated[NotesDB, Depends(get_db)]) -> None:
        self.db = db

    def index(
        self,
        limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 50,
        offset: Annotated[int, Query(ge=0, le=SQLITE_MAX_INT, description="Notes to skip")] = 0,
        q: Annotated[str | None, Query(max_length=100, description="Text in the title")] = None,
    ) -> list[Note]:
        """List notes, oldest first, optionally only those whose title contains ``q``."""
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            return self.db.query(  # type: ignore[return-value]
                "SELECT * FROM notes WHERE title LIKE ? ESCAPE '\\' ORDER BY id LIMIT ? OFFSET ?",
                pattern,
                limit,
                offset,
            )
        return self.db.query(  # type: ignore[return-value]
            "SELECT * FROM notes ORDER BY id LIMIT ? OFFSET ?", limit, offset
        )

    def show(self, id: NoteId) -> Note:
        """One note by id."""
        rows = self.db.query("SELECT * FROM notes WHERE id = ?", id)
        if not rows:
            raise HTTPException(404, f"There is no note {id}.")
        return rows[0]  # type: ignore[return-value]

    def store(
        self, request: Request, note: NoteIn, tasks: BackgroundTasks
    ) -> tuple[Note, int, dict[str, str]]:
        """Create a note; its URL is in the Location header."""
        created = datetime.now(UTC).replace(microsecond=0)
        cursor = self.db.execute(
            "INSERT INTO notes (title, body, created_at) VALUES (?, ?, ?)",
            note.title,
            note.body,
            created.isoformat(),
        )
        stored = Note(id=cursor.lastrowid, created_at=created, **note.model_dump())
        location = request.app.url_path_for("notes.show", id=stored.id)
        change = {"action": "created", "note": stored.model_dump(mode="json")}
        tasks.add_task(publish_change, change)
        return stored, 201, {"location": location}

    def destroy(self, id: NoteId, tasks: BackgroundTasks) -> None:
        """Delete a note."""
        cursor = self.db.execute("DELETE FROM notes WHERE id = ?", id)
        if cursor.rowcount == 0:
            raise HTTPException(404, f"There is no note {id}.")
        tasks.add_task(publish_change, {"action": "deleted", "id": id})


api = Router(prefix="/api", middleware=[ResponseTime], tags=["notes"])
api.get("/notes", (NotesController, "index"), name="notes.index")
api.post("/notes", (NotesController, "store"), name="notes.store", status_code=201)
api.get("/notes/{id:int}", (NotesController, "show"), name="notes.show")
api.delete("/notes/{id:int}", (NotesController, "destroy"), name="notes.destroy")
app.include_router(api)


class Home(BaseModel):
    app: str
    interface: str
    notes: str


@app.get("/", tags=["meta"])
async def home(request: Request) -> Home:
    """Where to start."""
    return Home(
        app=request.app.title,
        interface=request.interface,
        notes=request.app.url_path_for("notes.index"),
    )


@app.get("/health", tags=["meta"])
async def health() -> dict[str, str]:
    """Liveness check."""
    return {"status": "ok"}


# -- the live page: static files, server-sent events, a WebSocket chat -------------------
app.mount_static("/live", pathlib.Path(__file__).resolve().parent / "public", html=True)


@app.get("/events/notes", include_in_schema=False)
async def note_events() -> EventSourceResponse:
    """Every note created or deleted from now on, as ``note`` events (JSON data)."""

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with broadcast.subscribe(NOTES_CHANNEL) as changes:
            # Sent once subscribed: a change made after the page saw this reaches it.
            yield ServerSentEvent("{}", event="ready")
            async for change in changes:
                yield ServerSentEvent(change, event="note")

    return EventSourceResponse(events(), ping=15)


RoomName = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


async def relay(ws: WebSocket, messages: Subscription) -> None:
    """Send a room's messages to one member until the subscription or the socket ends."""
    with contextlib.suppress(WebSocketDisconnect):
        async for message in messages:
            await ws.send_text(message)


@app.websocket("/ws/chat/{room}", max_message_size=4096)
async def chat(ws: WebSocket, room: RoomName) -> None:
    """A chat room: each text message goes to everyone in the room, the sender included."""
    await ws.accept()
    channel = f"chat:{room}"
    relaying = None
    try:
        async with broadcast.subscribe(channel) as messages:
            await ws.send_json({"type": "joined", "room": room})
            relaying = asyncio.create_task(relay(ws, messages))
            async for text in ws.iter_text():  # ends when the client leaves
                message = {"type": "message", "room": room, "text": text}
                await broadcast.publish(channel, json.dumps(message))
    finally:
        if relaying is not None:  # leaving the block ended the subscription, so the relay
            await relaying
