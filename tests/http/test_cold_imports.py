"""Cold start: an app with plain routes imports nothing it does not use (issue 13).

Each test runs a fresh interpreter (the suite itself has imported everything long before),
builds a small app, serves it with ``TestClient`` under the given interface and reports
``sys.modules``. Deterministic: only which modules are loaded is checked, never a time.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Never needed by plain routes: validation, forms, JWTs, process pools, sessions, compression.
UNUSED = (
    "pydantic",
    "pydantic_core",
    "python_multipart",
    "multipart",
    "jwt",
    "cryptography",
    "itsdangerous",
    "concurrent.futures.process",
    "orionis.security",
    "orionis.middleware.sessions",
    "orionis.middleware.gzip",
)
# Loaded by orionis.testing itself (its fake RSGI server uses granian's exceptions, httpx
# decodes brotli and zstd and imports decimal), so only checked before the test client is
# imported.
BEFORE_TESTING = (
    "granian",
    "multiprocessing",
    "brotli",
    "zstandard",
    "decimal",
    "pickle",
    "tempfile",
    "orionis.adapters",
)

PLAIN_APP = """
import json, sys

def loaded(names):
    return sorted(
        m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)
    )

from orionis import Application, Request, Response

app = Application()

@app.get("/plaintext")
async def plaintext() -> str:
    return "Hello, World!"

@app.get("/users/{id:int}")
async def user(id: int, request: Request) -> dict:
    return {"id": id, "path": request.url.path}

@app.post("/bytes")
def raw() -> Response:
    return Response(b"raw", media_type="application/octet-stream")

_ = app.route_table
before_testing = loaded(UNUSED + BEFORE_TESTING)

from orionis.testing import TestClient

with TestClient(app, interface=INTERFACE) as client:
    answers = [
        (r.status_code, r.text)
        for r in (
            client.get("/plaintext"),
            client.get("/users/7"),
            client.get("/users/x"),
            client.post("/bytes"),
        )
    ]
print(json.dumps({
    "before_testing": before_testing,
    "after_serving": loaded(UNUSED),
    "adapters": loaded(("orionis.adapters.asgi", "orionis.adapters.rsgi")),
    "answers": answers,
}))
"""

VALIDATING_APP = """
import json, sys
from orionis import Application

app = Application()

@app.get("/items")
async def items(limit: int) -> dict:
    return {"limit": limit}

from orionis.testing import TestClient

with TestClient(app, interface=INTERFACE) as client:
    good, bad = client.get("/items?limit=3"), client.get("/items?limit=many")
print(json.dumps({
    "good": [good.status_code, good.json()],
    "bad": [bad.status_code, bad.headers["content-type"], bad.json()["errors"][0]["loc"]],
}))
"""


def _run(source: str, interface: str, **names: object) -> Any:
    prelude = "".join(f"{k} = {v!r}\n" for k, v in {"INTERFACE": interface, **names}.items())
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(source)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_plain_routes_import_nothing_they_do_not_use(interface: str) -> None:
    report = _run(PLAIN_APP, interface, UNUSED=UNUSED, BEFORE_TESTING=BEFORE_TESTING)
    assert report["answers"] == [
        [200, "Hello, World!"],
        [200, '{"id":7,"path":"/users/7"}'],
        [404, report["answers"][2][1]],
        [200, "raw"],
    ]
    assert report["before_testing"] == []
    assert report["after_serving"] == []
    # Only the adapter of the protocol that was spoken is imported.
    assert report["adapters"] == [f"orionis.adapters.{interface}"]


def test_a_typed_query_parameter_still_validates_in_a_fresh_process(interface: str) -> None:
    report = _run(VALIDATING_APP, interface)
    assert report["good"] == [200, {"limit": 3}]
    assert report["bad"] == [422, "application/problem+json", ["query", "limit"]]


def test_jwt_auth_imports_httpx_only_to_fetch_a_jwks_document() -> None:
    # httpx imports its command line (click, rich, pygments) when they are installed
    report = _run(
        """
        import json, sys
        from orionis.security import JWTAuth
        JWTAuth("a-secret-key-of-32-bytes-or-more!", algorithms=["HS256"])
        print(json.dumps(sorted(m for m in ("httpx", "rich", "click") if m in sys.modules)))
        """,
        "none",
    )
    assert report == []
