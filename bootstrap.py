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

Signing in (the demo user is ``demo`` with password ``demo-password``; set
ORIONIS_DEMO_USER / ORIONIS_DEMO_PASSWORD to change them):

    curl -s -X POST localhost:8000/login -H 'content-type: application/json' \\
         -d '{"username": "demo", "password": "demo-password"}'
    # -> {"user": "demo", "access_token": "<jwt>", "token_type": "bearer", ...}
    curl -s localhost:8000/api/me -H 'authorization: Bearer <jwt>'
    curl -s -X POST localhost:8000/api/me/notes -H 'authorization: Bearer <jwt>' \\
         -H 'content-type: application/json' -d '{"title": "mine", "body": "signed"}'

POST /login sets a session cookie (for the live page) and returns a JWT (HS256, 15 minutes,
a ``scope`` claim; ask for less with ``"scope": "notes:read"``) for API clients; it is limited
to 5 attempts a minute per client address. GET /api/me and POST /api/me/notes take either
the session or ``Authorization: Bearer <jwt>``; writing needs the ``notes:write`` scope.
Unsafe requests that carry cookies are CSRF-checked (the page sends the token from
GET /api/csrf as X-CSRF-Token); bearer-token clients without cookies are not, nor are the
anonymous /api/notes routes, which read no credential (docs/security.md, "The demo").
Answers are gzip-compressed when the client asks (not the event stream).

Secrets come from ORIONIS_SECRET_KEY (sessions, CSRF) and ORIONIS_JWT_SECRET (tokens); when
unset, random ones are generated at startup (logged as such, never their values), so
sessions and tokens end with the process and are not shared between workers: set both
(the same values in every worker) to deploy. ORIONIS_ALLOWED_HOSTS (e.g.
"notes.example.com"; default: any well-formed host), ORIONIS_TRUSTED_PROXIES (e.g.
"10.0.0.0/8"; default: none) and ORIONIS_HTTPS_ONLY=1 (Secure cookies) are for deployments.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import pathlib
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import jwt
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
from orionis.middleware import (
    CSRFMiddleware,
    GZipMiddleware,
    Middleware,
    ProxyHeadersMiddleware,
    RateLimitMiddleware,
    SessionMiddleware,
    TrustedHostMiddleware,
)
from orionis.security import JWTAuth
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
    created_at TEXT NOT NULL,
    author TEXT
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
            columns = {row["name"] for row in self.connection.execute("PRAGMA table_info(notes)")}
            if "author" not in columns:  # a notes.db from before signing in existed
                self.connection.execute("ALTER TABLE notes ADD COLUMN author TEXT")

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
    author: str | None = Field(None, description="Who signed it (POST /api/me/notes)")


def insert_note(
    db: NotesDB, request: Request, note: NoteIn, tasks: BackgroundTasks, author: str | None
) -> tuple[Note, int, dict[str, str]]:
    """Store a note, announce it to the live pages, answer 201 with its URL."""
    created = datetime.now(UTC).replace(microsecond=0)
    cursor = db.execute(
        "INSERT INTO notes (title, body, created_at, author) VALUES (?, ?, ?, ?)",
        note.title,
        note.body,
        created.isoformat(),
        author,
    )
    stored = Note(id=cursor.lastrowid, created_at=created, author=author, **note.model_dump())
    location = request.app.url_path_for("notes.show", id=stored.id)
    change = {"action": "created", "note": stored.model_dump(mode="json")}
    tasks.add_task(publish_change, change)
    return stored, 201, {"location": location}


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
        return insert_note(self.db, request, note, tasks, author=None)

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


# -- signing in: secrets, the middleware stack, sessions, JWTs, CSRF, a rate limit ---------
log = logging.getLogger("bootstrap")


def secret_from_env(name: str, what: str) -> str:
    """The secret in environment variable ``name``, or a random one for this process.

    Only the fact is logged, never a value. A generated secret dies with the process (and
    each worker makes its own): what it signs does not survive a restart nor cross workers.
    """
    value = os.environ.get(name)
    if value:
        return value
    log.warning(
        "%s is not set: generated a random secret for this process; %s end when it stops "
        "and are not shared between workers (set %s, the same in every worker, to keep them)",
        name,
        what,
        name,
    )
    return secrets.token_urlsafe(32)


SECRET_KEY = secret_from_env("ORIONIS_SECRET_KEY", "sessions")  # signs sessions, CSRF tokens
JWT_SECRET = secret_from_env("ORIONIS_JWT_SECRET", "access tokens")  # signs JWTs (HS256)
DEMO_USER = os.environ.get("ORIONIS_DEMO_USER", "demo")
DEMO_PASSWORD = os.environ.get("ORIONIS_DEMO_PASSWORD", "demo-password")
HTTPS_ONLY = os.environ.get("ORIONIS_HTTPS_ONLY") == "1"
SCOPES = ("notes:read", "notes:write")
TOKEN_ISSUER = "orionis-demo"
TOKEN_LIFETIME = 15 * 60  # seconds: short, since a JWT cannot be revoked before it expires


def env_list(name: str, default: list[str]) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()] or default


# The global middleware, outermost first (each sees what the ones above it decided):
# 1. ProxyHeadersMiddleware: behind a proxy, the real client address, scheme and host, so
#    every later layer (host check, CSRF origin, the rate limit's per-client key) uses them.
#    Only the listed proxies are believed; none by default (a client could claim any address).
# 2. TrustedHostMiddleware: a request for a host we do not serve (or with a malformed Host)
#    gets its 400 before any work, before a cookie or a token is even looked at.
# 3. GZipMiddleware: outside everything that answers, so every answer (403 and 429
#    problems too) is compressed when asked; it leaves the event stream alone.
# 4. SessionMiddleware: before CSRF, which binds its token to the session (a token from
#    another session, or from before signing in, fails).
# 5. CSRFMiddleware: refuses forged browser writes before any route runs.
# The login rate limit is the /login route's own layer (innermost: counts only logins that
# passed the checks above); ResponseTime is the /api router's.
trusted_proxies = env_list("ORIONIS_TRUSTED_PROXIES", [])
if trusted_proxies:
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=trusted_proxies)
app.add_middleware(TrustedHostMiddleware, allowed_hosts=env_list("ORIONIS_ALLOWED_HOSTS", ["*"]))
app.add_middleware(GZipMiddleware, minimum_size=500)
app.add_middleware(SessionMiddleware, secret_key=SECRET_KEY, https_only=HTTPS_ONLY)
app.add_middleware(
    CSRFMiddleware,
    secret_key=SECRET_KEY,
    https_only=HTTPS_ONLY,
    # The anonymous notes API reads no cookie: a forged request can do nothing with it
    # that its sender could not do directly.
    exempt=["/api/notes", "/api/notes/*"],
    # curl or a script signing in has no cookie, so no token yet: only the origin checks
    # apply to it (a browser's cross-site attempt says where it comes from).
    token_exempt=["/login"],
)

auth = JWTAuth(JWT_SECRET, algorithms=["HS256"], issuer=TOKEN_ISSUER, require_exp=True)
can_write = auth.requires("notes:write")
# Five sign-in attempts a minute per client address (put ProxyHeadersMiddleware first
# behind a proxy, or every client shares the proxy's address). Tests set its ``clock``.
login_limit = RateLimitMiddleware("5/minute")

SCOPE_LIST = r"^notes:(read|write)( notes:(read|write))*$"


class Credentials(BaseModel):
    """What a client sends to sign in."""

    username: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=200)]
    scope: Annotated[
        str, Field(pattern=SCOPE_LIST, description="Space-separated scopes for the token")
    ] = "notes:read notes:write"


class Login(BaseModel):
    """A signed-in answer: the session cookie is set too."""

    user: str
    access_token: str = Field(description="A JWT for Authorization: Bearer (HS256)")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    scope: str


class Me(BaseModel):
    """Who is calling, and how."""

    user: str
    via: Literal["session", "token"]
    scope: str


def _problem_doc(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


UNAUTHORIZED = _problem_doc("Not signed in: no session and no valid bearer token")
FORBIDDEN = _problem_doc("A CSRF check failed, or the token lacks the notes:write scope")
CSRF_FAILED = _problem_doc("A CSRF check failed (no or a wrong X-CSRF-Token)")


def same_text(given: str, expected: str) -> bool:
    """Constant-time comparison (of bytes: ``compare_digest`` refuses non-ASCII text)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@app.post(
    "/login",
    tags=["account"],
    rate_limit=login_limit,
    responses={
        401: _problem_doc("Wrong username or password"),
        403: _problem_doc("A CSRF check failed (a cross-site request, or a wrong token)"),
        429: _problem_doc("Too many attempts: see Retry-After"),
    },
)
async def login(request: Request, credentials: Credentials) -> Login:
    """Sign in: sets a session cookie and returns a short-lived JWT with the scopes asked for."""
    # Both compared, always: how long this takes does not tell which one was wrong.
    user_ok = same_text(credentials.username, DEMO_USER)
    password_ok = same_text(credentials.password, DEMO_PASSWORD)
    if not (user_ok and password_ok):
        raise HTTPException(
            401, "Wrong username or password.", headers={"www-authenticate": "Bearer"}
        )
    scope = " ".join(s for s in SCOPES if s in credentials.scope.split())
    session = request.session
    session.clear()  # nothing from before signing in carries over (nor the old CSRF binding)
    session.regenerate()  # a new id: one planted or seen before stops working
    session["user"] = DEMO_USER
    session["scope"] = scope
    now = int(time.time())
    claims = {
        "sub": DEMO_USER,
        "scope": scope,
        "iss": TOKEN_ISSUER,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
    }
    token = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    return Login(user=DEMO_USER, access_token=token, expires_in=TOKEN_LIFETIME, scope=scope)


@app.post("/logout", tags=["account"], responses={403: CSRF_FAILED})
async def logout(request: Request) -> None:
    """Sign out: the session (and its CSRF binding) is cleared and its cookie deleted.

    A JWT already handed out stays valid until it expires (15 minutes)."""
    request.session.clear()


@app.get("/api/csrf", tags=["account"])
async def csrf_token(request: Request) -> dict[str, str]:
    """The CSRF token for this browser session: send it as X-CSRF-Token on writes."""
    return {"csrf_token": request.state.csrf_token}


async def session_user(request: Request) -> dict[str, Any] | None:
    """The session's user, if the session is signed in."""
    user, scope = request.session.get("user"), request.session.get("scope")
    if isinstance(user, str) and isinstance(scope, str):
        return {"user": user, "scope": scope}
    return None


async def current_user(
    request: Request, signed_in: Annotated[dict[str, Any] | None, Depends(session_user)]
) -> Me:
    """The caller: a bearer token when one is sent (explicit beats ambient), else the session;
    neither is a 401."""
    if signed_in is not None and "authorization" not in request.headers:
        return Me(user=signed_in["user"], via="session", scope=signed_in["scope"])
    claims = await auth(request)  # 401 without a valid token
    sub, scope = claims.get("sub"), claims.get("scope", "")
    if not isinstance(sub, str) or not isinstance(scope, str):
        raise HTTPException(401, "The token is not valid.", headers={"www-authenticate": "Bearer"})
    return Me(user=sub, via="token", scope=scope)


async def writer(request: Request, me: Annotated[Me, Depends(current_user)]) -> Me:
    """The caller, if allowed to write: a token needs the notes:write scope (403 without)."""
    if me.via == "token":
        await can_write(request)  # the 403 with WWW-Authenticate: Bearer error="insufficient_scope"
    elif "notes:write" not in me.scope.split():
        raise HTTPException(403, "This session was signed in without the notes:write scope.")
    return me


# Documented as either scheme (OpenAPI: the session cookie or a bearer token).
session_user.openapi_security = (  # type: ignore[attr-defined]
    "sessionCookie",
    {"type": "apiKey", "in": "cookie", "name": "session"},
)
current_user.openapi_security = auth.openapi_security  # type: ignore[attr-defined]
writer.openapi_security = auth.openapi_security  # type: ignore[attr-defined]


@app.get("/api/me", tags=["account"], responses={401: UNAUTHORIZED})
async def me(user: Annotated[Me, Depends(current_user)]) -> Me:
    """Who is signed in: through the session cookie or a bearer token."""
    return user


@app.post(
    "/api/me/notes",
    name="notes.store_mine",
    status_code=201,
    tags=["account"],
    responses={401: UNAUTHORIZED, 403: FORBIDDEN},
)
def store_mine(
    request: Request,
    note: NoteIn,
    tasks: BackgroundTasks,
    author: Annotated[Me, Depends(writer)],
    db: Annotated[NotesDB, Depends(get_db)],
) -> tuple[Note, int, dict[str, str]]:
    """Create a note signed by the caller (session or a token with notes:write)."""
    return insert_note(db, request, note, tasks, author=author.user)


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
