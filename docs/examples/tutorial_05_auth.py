"""Tutorial step 5: JWT bearer tokens for the API, a signed session cookie for the browser."""

import os

from orionis import Application, Depends, Request
from orionis.middleware import SessionMiddleware
from orionis.security import JWTAuth

SECRET = os.environ.get("NOTES_SECRET", "change-me-to-32-random-bytes-please")

app = Application(title="Notes")
app.add_middleware(SessionMiddleware, secret_key=SECRET)

auth = JWTAuth(SECRET, algorithms=["HS256"], issuer="notes")


@app.get("/me")
async def me(claims: dict = Depends(auth)) -> dict:
    return {"user": claims["sub"]}  # any bad or missing token answers 401


@app.post("/notes", dependencies=[Depends(auth.requires("notes:write"))])
async def create_note() -> tuple[dict, int]:
    return {"created": True}, 201  # a token without the notes:write scope answers 403


@app.post("/login")
async def login(request: Request) -> dict:
    form = await request.form()
    request.session.regenerate()  # a new session id on login
    request.session["user"] = form["user"]
    return {"user": form["user"]}


@app.get("/whoami")
async def whoami(request: Request) -> dict:
    return {"user": request.session.get("user")}
