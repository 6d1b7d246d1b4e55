"""Tutorial step 6: CORS for a front end on another origin, CSRF for cookie-based forms."""

from orionis import Application, Request
from orionis.middleware import CORSMiddleware, CSRFMiddleware, SessionMiddleware

SECRET = "change-me-to-32-random-bytes-please"

app = Application(title="Notes")
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://notes.example"],
    allow_methods=["GET", "POST"],
    allow_headers=["content-type", "x-csrf-token"],
    allow_credentials=True,
)
app.add_middleware(SessionMiddleware, secret_key=SECRET)  # before CSRF: tokens bind to it
app.add_middleware(CSRFMiddleware, secret_key=SECRET, trusted_origins=["https://notes.example"])


@app.get("/form")
async def form(request: Request) -> dict:
    return {"csrf_token": request.state.csrf_token}  # render it into your forms


@app.post("/notes")
async def create_note() -> tuple[dict, int]:
    return {"created": True}, 201  # without the token: 403
