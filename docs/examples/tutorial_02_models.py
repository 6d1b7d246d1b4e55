"""Tutorial step 2: models and validation. A pydantic parameter is the JSON body."""

from typing import Annotated

from pydantic import BaseModel, Field

from orionis import Application, Query

app = Application(title="Notes")


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = ""


class Note(NoteIn):
    id: int


NOTES: dict[int, Note] = {}


@app.post("/notes")
async def create_note(note: NoteIn) -> tuple[Note, int]:
    created = Note(id=len(NOTES) + 1, **note.model_dump())
    NOTES[created.id] = created
    return created, 201  # (body, status)


@app.get("/notes")
async def list_notes(
    q: str | None = None,  # plain-typed parameters come from the query string
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Note]:
    found = [n for n in NOTES.values() if q is None or q in n.title]
    return found[:limit]
