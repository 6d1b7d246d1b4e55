"""Tutorial step 4: errors. HTTPException answers application/problem+json (RFC 9457)."""

import sqlite3

from tutorial_02_models import Note
from tutorial_03_database import close_db, get_db, open_db

from orionis import Application, Depends, HTTPException, JSONResponse, Lifespan, Request

app = Application(title="Notes")
app.on(Lifespan.STARTUP, open_db).on(Lifespan.SHUTDOWN, close_db)


class NoteLocked(Exception):
    """A domain error, turned into an HTTP answer by the handler below."""


@app.exception_handler(NoteLocked)
async def note_locked(request: Request, exc: NoteLocked) -> JSONResponse:
    return JSONResponse({"title": "Locked", "status": 423, "detail": str(exc)}, status_code=423)


@app.get("/notes/{note_id:int}")
def show_note(note_id: int, db: sqlite3.Connection = Depends(get_db)) -> Note:
    row = db.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        raise HTTPException(404, f"no note {note_id}; list them at GET /notes")
    return Note(**row)


@app.delete("/notes/{note_id:int}")
def delete_note(note_id: int) -> None:
    if note_id == 1:
        raise NoteLocked("note 1 is pinned")
    return None  # None answers 204
