"""Tutorial step 3: a database opened by lifespan hooks, handed out by a dependency."""

import os
import sqlite3
from collections.abc import Iterator

from tutorial_02_models import Note, NoteIn

from orionis import Application, Depends, Lifespan, Request

app = Application(title="Notes")


def open_db(app: Application) -> None:
    """Startup: one connection per worker process, kept on app.state."""
    path = os.environ.get("NOTES_DB", ":memory:")
    db = sqlite3.connect(path, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT)")
    app.state.db = db


def close_db(app: Application) -> None:
    """Shutdown: runs after in-flight requests have finished."""
    app.state.db.close()


app.on(Lifespan.STARTUP, open_db).on(Lifespan.SHUTDOWN, close_db)


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """A generator dependency: the code after ``yield`` runs once the answer is ready."""
    db = request.app.state.db
    try:
        yield db
    finally:
        db.commit()


@app.post("/notes")
def create_note(note: NoteIn, db: sqlite3.Connection = Depends(get_db)) -> tuple[Note, int]:
    # a sync handler runs in the thread pool, so blocking sqlite calls are fine here
    cursor = db.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (note.title, note.body))
    return Note(id=cursor.lastrowid, **note.model_dump()), 201


@app.get("/notes")
def list_notes(db: sqlite3.Connection = Depends(get_db)) -> list[Note]:
    return [Note(**row) for row in db.execute("SELECT * FROM notes ORDER BY id")]
