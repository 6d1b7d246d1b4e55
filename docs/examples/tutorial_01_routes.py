"""Tutorial step 1: routes. Run it: granian --interface rsgi tutorial_01_routes:app"""

from orionis import Application

app = Application(title="Notes")

NOTES: dict[int, dict] = {1: {"id": 1, "title": "hello", "body": "first note"}}


@app.get("/")
async def home() -> str:
    return "Notes API"  # a str answers text/plain


@app.get("/notes")
async def list_notes() -> list:
    return list(NOTES.values())  # a list or dict answers JSON


@app.get("/notes/{note_id:int}")  # the converter makes note_id an int (404 if not digits)
async def show_note(note_id: int) -> dict:
    return NOTES[note_id]
