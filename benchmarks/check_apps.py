"""Serve every benchmark app with Granian and check that it answers the spec in apps/common.py.

    python benchmarks/check_apps.py                      # every app below
    python benchmarks/check_apps.py starlette_app bare_asgi
    python benchmarks/check_apps.py my_app:asgi          # a module not listed: name its interface

Each app is started as ``python -m granian --interface <rsgi|asgi> --host 127.0.0.1 --port <free>
--workers 1 apps.<module>:<attr>`` from the ``benchmarks`` directory, checked over HTTP with
httpx, then stopped (SIGTERM, SIGKILL after 10 s). Modules that expose a ``realistic_app``
(the object the realistic scenario serves) get a second server for the /realistic checks;
``observed_app`` (request ids, metrics, tracing) and ``secure_app`` (sessions, CSRF, a Redis
rate limit: a ``redis-server`` on a free port is started for them) get one more each.
Prints a pass/fail table and exits non-zero if anything failed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import orjson

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from apps.common import (  # noqa: E402
    ALLOWED_ORIGIN,
    JSON_MESSAGE,
    JWT_ISSUER,
    JWT_SECRET,
    ORDER,
    PLAINTEXT,
    SECURITY_HEADERS,
    echo_payload,
    realistic_answer,
    token,
)
from harness import Redis, secure_session  # noqa: E402

PYTHON = os.environ.get("BENCH_PYTHON", sys.executable)
START_TIMEOUT = 30.0  # seconds for a server to answer its first request
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class AppSpec:
    module: str
    interface: str  # "rsgi" or "asgi"
    realistic: str | None  # attribute serving /realistic, None for the floors
    extras: tuple[str, ...] = ()  # observed_app / secure_app: the rows of issues 15 and 12


APPS = [
    AppSpec("bare_rsgi", "rsgi", None),
    AppSpec("bare_asgi", "asgi", None),
    AppSpec("emmett55_app", "rsgi", "realistic_app"),
    AppSpec("blacksheep_app", "asgi", "realistic_app"),
    AppSpec("starlette_app", "asgi", "realistic_app", ("secure_app",)),
    AppSpec("fastapi_app", "asgi", "realistic_app"),
    AppSpec("litestar_app", "asgi", "realistic_app"),
    AppSpec("falcon_app", "asgi", "realistic_app"),
]
# known but not checked by default
EXTRA_APPS = [AppSpec("orionis_app", "rsgi", "realistic_app", ("observed_app", "secure_app"))]


@dataclass
class Result:
    app: str
    check: str
    ok: bool
    detail: str = ""


class CheckFailed(Exception):
    pass


def expect(cond: bool, detail: str) -> None:
    if not cond:
        raise CheckFailed(detail)


def expect_status(r: httpx.Response, status: int) -> None:
    expect(r.status_code == status, f"status {r.status_code} != {status}: {r.text[:200]!r}")


def expect_json(r: httpx.Response, body: object) -> None:
    expect_status(r, 200)
    ctype = r.headers.get("content-type", "")
    expect(ctype.startswith("application/json"), f"content-type {ctype!r}")
    try:
        got = orjson.loads(r.content)
    except orjson.JSONDecodeError:
        raise CheckFailed(f"not JSON: {r.text[:200]!r}") from None
    expect(got == body, f"body {r.text[:200]!r}")


# -- the checks ----------------------------------------------------------------------------
def check_plaintext(c: httpx.Client) -> None:
    r = c.get("/plaintext")
    expect_status(r, 200)
    ctype = r.headers.get("content-type", "")
    expect(ctype.startswith("text/plain"), f"content-type {ctype!r}")
    expect(r.content == PLAINTEXT, f"body {r.content[:200]!r}")


def check_json(c: httpx.Client) -> None:
    expect_json(c.get("/json"), JSON_MESSAGE)


def check_user(c: httpx.Client) -> None:
    expect_json(c.get("/users/7"), {"id": 7})


def check_table(c: httpx.Client) -> None:
    expect_json(c.get("/api/v2/projects/search"), {"ok": True})
    expect_json(c.get("/users/me"), {"ok": True})
    expect_json(c.post("/api/v1/orders"), {"ok": True})
    expect_json(c.get("/api/v1/tickets/12/history"), {"ok": True})


def check_not_found(c: httpx.Client) -> None:
    r = c.get("/no/such/route")
    expect_status(r, 404)
    r = c.get("/users/not-a-number")
    expect_status(r, 404)


def check_echo(c: httpx.Client) -> None:
    payload = echo_payload()
    r = c.post("/echo", content=payload, headers={"content-type": "application/json"})
    expect_json(r, orjson.loads(payload))


def _realistic(c: httpx.Client, bearer: str | None, body: bytes = ORDER) -> httpx.Response:
    headers = {"content-type": "application/json", "origin": ALLOWED_ORIGIN}
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    return c.post("/realistic", params={"include": "summary"}, content=body, headers=headers)


def check_realistic(c: httpx.Client) -> None:
    r = _realistic(c, token())
    expect_json(r, realistic_answer("summary"))
    for name, value in SECURITY_HEADERS.items():
        got = r.headers.get(name)
        expect(got == value, f"header {name}: {got!r}")
    got = r.headers.get("access-control-allow-origin")
    expect(got == ALLOWED_ORIGIN, f"access-control-allow-origin: {got!r}")


def check_realistic_no_token(c: httpx.Client) -> None:
    expect_status(_realistic(c, None), 401)


def check_realistic_bad_token(c: httpx.Client) -> None:
    claims = {"sub": "user-42", "iss": "someone-else", "exp": int(time.time()) + 60}
    expect_status(_realistic(c, jwt.encode(claims, JWT_SECRET, algorithm="HS256")), 401)
    claims = {"sub": "user-42", "iss": JWT_ISSUER, "exp": int(time.time()) - 60}
    expect_status(_realistic(c, jwt.encode(claims, JWT_SECRET, algorithm="HS256")), 401)
    claims = {"sub": "user-42", "iss": JWT_ISSUER, "exp": int(time.time()) + 60}
    expect_status(
        _realistic(c, jwt.encode(claims, "wrong-secret-0123456789abcdef-0123", "HS256")), 401
    )


def check_realistic_invalid_body(c: httpx.Client) -> None:
    bad = orjson.dumps({"customer": "", "lines": [{"sku": "A", "quantity": 0}]})
    r = _realistic(c, token(), bad)
    expect(400 <= r.status_code < 500 and r.status_code != 401, f"status {r.status_code}")


def check_request_id(c: httpx.Client) -> None:
    r = _realistic(c, token())
    expect_json(r, realistic_answer("summary"))
    got = r.headers.get("x-request-id", "")
    expect(len(got) == 32, f"x-request-id: {got!r}")
    metrics = c.get("/metrics")
    expect_status(metrics, 200)
    expect(b'route="/realistic"' in metrics.content, "no /realistic series in /metrics")


def check_secure(c: httpx.Client) -> None:
    cookie, csrf = secure_session(str(c.base_url))
    headers = {"content-type": "application/json", "cookie": cookie}
    r = c.post("/secure", content=ORDER, headers={**headers, "x-csrf-token": csrf})
    expect_json(r, {"user": "user-42", "order": orjson.loads(ORDER)})
    expect(
        any(name.lower().endswith("ratelimit-remaining") for name in r.headers),
        f"no rate-limit headers: {list(r.headers)}",
    )
    expect(c.post("/secure", content=ORDER, headers=headers).status_code == 403, "no CSRF check")
    c.cookies.clear()


BASIC_CHECKS: list[tuple[str, Callable[[httpx.Client], None]]] = [
    ("GET /plaintext", check_plaintext),
    ("GET /json", check_json),
    ("GET /users/7", check_user),
    ("route table", check_table),
    ("404", check_not_found),
    ("POST /echo", check_echo),
]
REALISTIC_CHECKS: list[tuple[str, Callable[[httpx.Client], None]]] = [
    ("POST /realistic", check_realistic),
    ("/realistic no token -> 401", check_realistic_no_token),
    ("/realistic bad token -> 401", check_realistic_bad_token),
    ("/realistic bad body -> 4xx", check_realistic_invalid_body),
]
EXTRA_CHECKS: dict[str, list[tuple[str, Callable[[httpx.Client], None]]]] = {
    "observed_app": [
        *BASIC_CHECKS,
        *REALISTIC_CHECKS,
        ("request id and /metrics", check_request_id),
    ],
    # POSTs without a CSRF token are refused there: only the GET checks, then /secure
    "secure_app": [
        *(check for check in BASIC_CHECKS if check[0].startswith(("GET", "404"))),
        ("POST /secure (session, CSRF, limit)", check_secure),
    ],
}


# -- the server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One Granian process (own process group, so its workers stop with it)."""

    def __init__(self, target: str, interface: str) -> None:
        self.target = target
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        env = dict(os.environ, PYTHONPATH=str(BENCH_DIR))
        cmd = [PYTHON, "-m", "granian", "--interface", interface, "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", "1", target]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            cwd=BENCH_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, client: httpx.Client) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"server exited with {self.proc.returncode}: {self.output()}")
            try:
                client.get("/plaintext", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise CheckFailed(f"no answer within {START_TIMEOUT:.0f} s: {self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        # workers left behind in the group we created
        self._signal(signal.SIGKILL)
        self.log.close()

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)


def run_checks(
    spec: AppSpec, attr: str, checks: list[tuple[str, Callable[[httpx.Client], None]]]
) -> list[Result]:
    name = spec.module if attr == "app" else f"{spec.module}:{attr}"
    server = Server(f"apps.{spec.module}:{attr}", spec.interface)
    results: list[Result] = []
    try:
        with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as client:
            try:
                server.wait_ready(client)
            except CheckFailed as exc:
                return [Result(name, "server starts", False, str(exc))]
            for check_name, check in checks:
                try:
                    check(client)
                    results.append(Result(name, check_name, True))
                except CheckFailed as exc:
                    results.append(Result(name, check_name, False, str(exc)))
                except httpx.HTTPError as exc:
                    results.append(Result(name, check_name, False, f"{type(exc).__name__}: {exc}"))
    finally:
        server.stop()
    return results


def check_app(spec: AppSpec) -> list[Result]:
    extras = [r for attr in spec.extras for r in run_checks(spec, attr, EXTRA_CHECKS[attr])]
    if spec.realistic is None:
        return run_checks(spec, "app", BASIC_CHECKS) + extras
    if spec.realistic == "app":
        return run_checks(spec, "app", BASIC_CHECKS + REALISTIC_CHECKS) + extras
    # the simple scenarios serve ``app``; the realistic one serves ``realistic_app``
    return (
        run_checks(spec, "app", BASIC_CHECKS)
        + run_checks(spec, spec.realistic, BASIC_CHECKS + REALISTIC_CHECKS)
        + extras
    )


def select(args: list[str]) -> list[AppSpec]:
    if not args:
        return APPS
    known = {spec.module: spec for spec in APPS + EXTRA_APPS}
    chosen = []
    for arg in args:
        module, _, interface = arg.removeprefix("apps.").partition(":")
        if interface:
            if interface not in ("rsgi", "asgi"):
                raise SystemExit(f"{arg}: interface must be rsgi or asgi")
            base = known.get(module)
            chosen.append(
                AppSpec(
                    module,
                    interface,
                    base.realistic if base else "app",
                    base.extras if base else (),
                )
            )
        elif module in known:
            chosen.append(known[module])
        else:
            raise SystemExit(f"unknown app {module!r}: pass it as {module}:rsgi or {module}:asgi")
    return chosen


def main(argv: list[str]) -> int:
    specs = select(argv)
    with contextlib.ExitStack() as stack:
        if any("secure_app" in spec.extras for spec in specs):
            os.environ["BENCH_REDIS_URL"] = stack.enter_context(Redis()).url
        return check_all(specs)


def check_all(specs: list[AppSpec]) -> int:
    results: list[Result] = []
    for spec in specs:
        print(f"checking {spec.module} ({spec.interface}) ...", flush=True)
        results.extend(run := check_app(spec))
        for r in run:
            if not r.ok:
                print(f"  FAIL {r.check}: {r.detail}", flush=True)

    width_app = max(len(r.app) for r in results)
    width_check = max(len(r.check) for r in results)
    print()
    print(f"{'app':<{width_app}}  {'check':<{width_check}}  result")
    print(f"{'-' * width_app}  {'-' * width_check}  ------")
    for r in results:
        print(f"{r.app:<{width_app}}  {r.check:<{width_check}}  {'pass' if r.ok else 'FAIL'}")
    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    print()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
