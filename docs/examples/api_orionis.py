# ruff: noqa: E402
"""Examples for the API reference page of ``orionis`` (each section is included there).

``check(client)`` is what tests/docs/test_api_examples.py runs, under both interfaces.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel

# --8<-- [start:application]
from orionis import Application, Lifespan, Runtime

app = Application(title="Notes", version="1.0.0", max_body_size=1_048_576, body_timeout=30.0)


def warm_cache(app: Application) -> None:
    app.state.cache = {"warm": True}


app.on(Lifespan.STARTUP, warm_cache, runtime=Runtime.HTTP)  # Runtime.CLI: around CLI commands
# --8<-- [end:application]

# --8<-- [start:router]
from orionis import Controller, NoMatchFound, Router


class NoteController(Controller):
    async def index(self) -> list:
        return [{"id": 1}]

    async def show(self, id: int) -> dict:
        return {"id": id}


api = Router(prefix="/api", tags=["notes"])
api.get("/notes", (NoteController, "index"), name="notes.index")
api.get("/notes/{id:int}", (NoteController, "show"), name="notes.show")
app.include_router(api)

assert app.url_path_for("notes.show", id=3) == "/api/notes/3"
try:
    app.url_path_for("notes.nope")
except NoMatchFound:
    pass  # an unknown name (or parameters that do not fit) raises NoMatchFound
# --8<-- [end:router]

# --8<-- [start:params]
from orionis import Body, Cookie, Depends, Header, Path, Query, Request


def current_user(x_user: Annotated[str, Header()] = "anonymous") -> str:
    return x_user  # dependencies take the same parameters as handlers


@app.get("/items/{item_id}")
async def show_item(
    request: Request,
    item_id: Annotated[int, Path(ge=1)],
    q: Annotated[str | None, Query(alias="search")] = None,
    theme: Annotated[str, Cookie()] = "light",
    user: str = Depends(current_user),
) -> dict:
    return {"id": item_id, "q": q, "theme": theme, "user": user, "via": request.interface}


class Note(BaseModel):
    title: str


@app.put("/items/{item_id:int}")
async def replace_item(item_id: int, note: Note, priority: Annotated[int, Body()] = 0) -> dict:
    return {"id": item_id, "title": note.title, "priority": priority}
# --8<-- [end:params]

# --8<-- [start:forms]
from orionis import File, Form, FormData, UploadFile


@app.post("/upload")
async def upload(
    document: Annotated[UploadFile, File()], label: Annotated[str, Form()] = ""
) -> dict:
    return {"name": document.filename, "size": len(await document.read()), "label": label}


@app.post("/raw-form")
async def raw_form(request: Request) -> dict:
    form: FormData = await request.form()  # fields and UploadFiles, repeats kept
    return {"tags": form.getlist("tag")}
# --8<-- [end:forms]

# --8<-- [start:errors]
from orionis import HTTPException, RequestValidationError


@app.get("/teapot")
async def teapot() -> None:
    raise HTTPException(418, "short and stout", headers={"X-Pot": "1"})


@app.get("/checked")
async def checked(n: int) -> dict:
    if n % 2:
        raise RequestValidationError([{"loc": ["query", "n"], "type": "even", "msg": "odd"}])
    return {"n": n}


@app.exception_handler(404)
async def not_found(request: Request, exc: HTTPException) -> tuple[dict, int]:
    return {"title": "Not Found", "status": 404, "detail": f"nothing at {request.path}"}, 404
# --8<-- [end:errors]

# --8<-- [start:responses]
from orionis import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)


@app.get("/r/{kind}")
async def responses(kind: str) -> Response:
    if kind == "json":
        return JSONResponse({"ok": True}, status_code=201)
    if kind == "text":
        return PlainTextResponse("hi")
    if kind == "html":
        return HTMLResponse("<h1>hi</h1>")
    if kind == "redirect":
        return RedirectResponse("/r/text")  # 307 by default
    if kind == "stream":
        return StreamingResponse(iter([b"a", b"b"]), media_type="text/plain")
    if kind == "file":
        return FileResponse(__file__, filename="example.py")  # Range, ETag, Last-Modified
    response = Response(b"raw", media_type="application/octet-stream")
    response.set_cookie("seen", "1", httponly=True)
    return response
# --8<-- [end:responses]

# --8<-- [start:background]
from orionis import BackgroundTasks

SENT: list[str] = []


@app.post("/signup")
async def signup(tasks: BackgroundTasks) -> dict:
    tasks.add_task(SENT.append, "welcome mail")  # runs after the answer was sent
    return {"ok": True}
# --8<-- [end:background]

# --8<-- [start:websocket]
from orionis import WebSocket, WebSocketDisconnect, WebSocketState


@app.websocket("/ws/echo")
async def echo(ws: WebSocket) -> None:
    await ws.accept()
    assert ws.client_state is WebSocketState.CONNECTED
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except WebSocketDisconnect as gone:
        print("left with", gone.code)
# --8<-- [end:websocket]

# --8<-- [start:compiled]
import orionis

print(orionis.__version__, "compiled" if orionis.COMPILED else "pure Python")
# --8<-- [end:compiled]


def check(client, interface: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/notes").json() == [{"id": 1}]
    assert client.get("/api/notes/2").json() == {"id": 2}
    client.cookies.set("theme", "dark")
    item = client.get("/items/5", params={"search": "x"}, headers={"X-User": "ada"}).json()
    client.cookies.clear()
    assert item == {"id": 5, "q": "x", "theme": "dark", "user": "ada", "via": interface}
    assert client.get("/items/0").status_code == 422
    assert client.put("/items/1", json={"note": {"title": "t"}, "priority": 2}).json() == {
        "id": 1, "title": "t", "priority": 2,
    }
    up = client.post("/upload", files={"document": ("a.txt", b"abc")}, data={"label": "l"})
    assert up.json() == {"name": "a.txt", "size": 3, "label": "l"}
    assert client.post("/raw-form", data={"tag": ["a", "b"]}).json() == {"tags": ["a", "b"]}
    pot = client.get("/teapot")
    assert (pot.status_code, pot.headers["x-pot"], pot.json()["detail"]) == (418, "1", "short and stout")
    assert client.get("/checked", params={"n": 3}).status_code == 422
    assert client.get("/nowhere").json()["detail"] == "nothing at /nowhere"
    assert client.get("/r/json").status_code == 201
    assert client.get("/r/text").text == "hi"
    assert client.get("/r/html").headers["content-type"].startswith("text/html")
    assert client.get("/r/redirect", follow_redirects=False).status_code == 307
    assert client.get("/r/stream").text == "ab"
    assert "attachment" in client.get("/r/file").headers["content-disposition"]
    assert client.get("/r/raw").cookies["seen"] == "1"
    assert client.post("/signup").json() == {"ok": True} and "welcome mail" in SENT
    with client.websocket_connect("/ws/echo") as ws:
        ws.send_text("ping")
        assert ws.receive_text() == "ping"
    assert app.state.cache == {"warm": True}
