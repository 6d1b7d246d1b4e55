"""The wrk scenarios in-process: requests driven straight into the RSGI and ASGI callables.

No server, no socket, no load generator: each app of ``benchmarks/apps/`` is imported and
called through its protocol entry point with a minimal fake (Granian's RSGI scope and
protocol as ``orionis.testing`` fakes them; an ASGI scope with ``receive``/``send``), so the
numbers are the framework's own cost per request and move far less than wrk's. Every answer
is checked before timing. Rounds are interleaved: each round times every scenario of every
app in turn, so a slow patch of the machine hits all of them.

    python benchmarks/inprocess.py [--requests 5000] [--rounds 5] [--http 2]

``--http 2`` fakes HTTP/2 requests as Granian hands them over: RSGI ``http_version`` "2"
with the host in ``authority`` and no ``Host`` header, no ``Content-Length`` on a GET, a
body read (``await protocol()`` or iterating the protocol) that yields to the event loop
once as Granian's Rust future does, and a ``client_disconnect()`` that never resolves;
ASGI ``http_version`` "2" with the ``host`` header Granian synthesises. Results go to
``results/inprocess-h2.json``.

Prints microseconds per request (median and range over rounds) and the ratio to the bare
app of the same protocol per round; writes benchmarks/results/inprocess.json. Timings are
the process's CPU time (``time.process_time``), not wall time: other load on the machine
preempts the process but does not add to its CPU time, so rounds move far less. Emmett55 is
left out: its RSGI entry point needs Granian's real protocol objects.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import importlib
import json
import pathlib
import sys
import time
from dataclasses import dataclass
from typing import Any

import orjson

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apps import common  # noqa: E402
from handler_cost import asgi_lifespan  # noqa: E402
from harness import summary  # noqa: E402

from orionis.testing.servers import _RSGIHeaders  # noqa: E402


@dataclass(frozen=True)
class Request:
    name: str
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    expected: Any  # the decoded JSON answer, or bytes for plaintext


def requests() -> list[Request]:
    json_type = (("content-type", "application/json"),)
    echo = common.echo_payload()
    realistic_headers = (
        *json_type,
        ("authorization", f"Bearer {common.token()}"),
        ("origin", common.ALLOWED_ORIGIN),
    )
    realistic = (
        "POST",
        "/realistic",
        "include=summary",
        realistic_headers,
        common.ORDER,
        common.realistic_answer("summary"),
    )
    return [
        Request("plaintext", "GET", "/plaintext", "", (), b"", common.PLAINTEXT),
        Request("json", "GET", "/json", "", (), b"", common.JSON_MESSAGE),
        Request("path", "GET", "/users/123", "", (), b"", {"id": 123}),
        Request("echo", "POST", "/echo", "", json_type, echo, orjson.loads(echo)),
        Request("realistic", *realistic),
        Request("observed", *realistic),  # Orionis only: observed_app, issue 15's row
    ]


HTTP2 = False  # set by --http 2


def _headers(request: Request, host: bool = True) -> list[tuple[str, str]]:
    base = [("host", "bench")] if host else []
    base += [("user-agent", "bench"), ("accept", "*/*")]
    if request.body:
        base.append(("content-length", str(len(request.body))))
    return base + list(request.headers)


# -- RSGI ----------------------------------------------------------------------------------
class _Scope:
    proto = "http"
    http_version = "1.1"
    scheme = "http"
    authority = None
    client = "127.0.0.1:50000"
    server = "127.0.0.1:8000"

    def __init__(self, request: Request) -> None:
        self.method = request.method
        self.path = request.path
        self.query_string = request.query
        self.headers = _RSGIHeaders(_headers(request))


class _Scope2(_Scope):
    http_version = "2"
    authority = "bench"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.headers = _RSGIHeaders(_headers(request, host=False))


class _Protocol:
    __slots__ = ("body", "result")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.result: tuple[int, bytes] = (0, b"")

    async def __call__(self) -> bytes:
        return self.body

    def response_bytes(self, status: int, headers: Any, body: bytes) -> None:
        self.result = (status, body)

    def response_str(self, status: int, headers: Any, body: str) -> None:
        self.result = (status, body.encode())

    def response_empty(self, status: int, headers: Any) -> None:
        self.result = (status, b"")


class _Protocol2(_Protocol):
    """HTTP/2: every body read waits one loop pass (Granian resolves it from its runtime)."""

    __slots__ = ()

    async def __call__(self) -> bytes:
        await asyncio.sleep(0)
        return self.body

    async def __aiter__(self) -> Any:
        await asyncio.sleep(0)
        if self.body:
            yield self.body
        yield b""  # Granian ends every iteration with an empty chunk

    def client_disconnect(self) -> Any:
        return asyncio.get_running_loop().create_future()  # the client never leaves


def rsgi_caller(app: Any, request: Request) -> Any:
    # Granian makes one scope per request; its attributes are read-only
    scope = _Scope2(request) if HTTP2 else _Scope(request)
    make_protocol = _Protocol2 if HTTP2 else _Protocol
    entry = app.__rsgi__

    async def call() -> tuple[int, bytes]:
        protocol = make_protocol(request.body)
        await entry(scope, protocol)
        return protocol.result

    return call


# -- ASGI ----------------------------------------------------------------------------------
def asgi_caller(app: Any, request: Request) -> Any:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "2" if HTTP2 else "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request.query.encode(),
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in _headers(request)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    message = {"type": "http.request", "body": request.body, "more_body": False}

    async def call() -> tuple[int, bytes]:
        delivered = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return message
            await asyncio.sleep(3600)  # a real server waits for the disconnect
            return {"type": "http.disconnect"}

        async def send(event: dict[str, Any]) -> None:
            nonlocal status
            if event["type"] == "http.response.start":
                status = event["status"]
            elif event["type"] == "http.response.body":
                chunks.append(event.get("body", b""))

        await app({**scope, "state": {}}, receive, send)
        return status, b"".join(chunks)

    return call


# -- the cases -----------------------------------------------------------------------------
# (name, interface, module, simple attribute, realistic attribute, floor)
CASES = [
    ("bare-rsgi", "rsgi", "bare_rsgi", "app", None, "bare-rsgi"),
    ("orionis-rsgi", "rsgi", "orionis_app", "app", "realistic_app", "bare-rsgi"),
    ("bare-asgi", "asgi", "bare_asgi", "app", None, "bare-asgi"),
    ("orionis-asgi", "asgi", "orionis_app", "app", "realistic_app", "bare-asgi"),
    ("blacksheep", "asgi", "blacksheep_app", "app", "realistic_app", "bare-asgi"),
    ("starlette", "asgi", "starlette_app", "app", "realistic_app", "bare-asgi"),
    ("fastapi", "asgi", "fastapi_app", "app", "realistic_app", "bare-asgi"),
    ("litestar", "asgi", "litestar_app", "app", "realistic_app", "bare-asgi"),
    ("falcon", "asgi", "falcon_app", "app", "realistic_app", "bare-asgi"),
]


async def _start(app: Any, started: set[int]) -> None:
    if id(app) in started:
        return
    started.add(id(app))
    if hasattr(app, "startup") and type(app).__module__.startswith("orionis"):
        await app.startup()
    elif callable(app) and not hasattr(app, "__rsgi__"):
        await asgi_lifespan(app)


def _check(name: str, request: Request, result: tuple[int, bytes]) -> None:
    status, body = result
    if isinstance(request.expected, bytes):
        ok = status == 200 and body == request.expected
    else:
        ok = status == 200 and orjson.loads(body or b"null") == request.expected
    if not ok:
        raise SystemExit(f"{name} {request.name}: answered {status} {body[:200]!r}")


async def run(
    names: list[str] | None, scenario_names: list[str] | None, count: int, rounds: int
) -> dict[str, Any]:
    chosen = [c for c in CASES if names is None or c[0] in names]
    reqs = [r for r in requests() if scenario_names is None or r.name in scenario_names]
    calls: dict[tuple[str, str], Any] = {}
    started: set[int] = set()
    for name, interface, module_name, simple, realistic, _floor in chosen:
        observed = "observed_app" if module_name == "orionis_app" else None
        module = importlib.import_module(f"apps.{module_name}")
        for request in reqs:
            attr = {"realistic": realistic, "observed": observed}.get(request.name, simple)
            if attr is None:
                continue
            app = getattr(module, attr)
            await _start(app, started)
            make = rsgi_caller if interface == "rsgi" else asgi_caller
            call = make(app, request)
            _check(name, request, await call())
            for _ in range(min(500, count)):  # warm up
                await call()
            calls[name, request.name] = call
    samples: dict[str, dict[str, list[float]]] = {}
    for _ in range(rounds):
        for request in reqs:
            for name, *_rest in chosen:
                call = calls.get((name, request.name))
                if call is None:
                    continue
                gc.collect()
                begin = time.process_time()
                for _ in range(count):
                    await call()
                elapsed = (time.process_time() - begin) / count * 1e6
                samples.setdefault(name, {}).setdefault(request.name, []).append(elapsed)
    floors = {c[0]: c[5] for c in chosen}
    interfaces = {c[0]: c[1] for c in chosen}
    table: dict[str, Any] = {}
    for name, rows in samples.items():
        table[name] = {}
        for scenario, values in rows.items():
            entry: dict[str, Any] = {"us_per_request": values, **summary(values)}
            floor = samples.get(floors[name], {}).get(scenario)
            if floor and floors[name] != name:
                # speed relative to the floor, per round: floor cost / app cost
                ratios = [f / v for f, v in zip(floor, values, strict=True)]
                entry["x_floor"] = {"rounds": ratios, **summary(ratios)}
            mine = samples.get("orionis-" + interfaces[name], {}).get(scenario)
            if mine and not name.startswith(("orionis", "bare")):
                # a peer's cost per request over Orionis's, same protocol, per round
                ratios = [v / o for v, o in zip(values, mine, strict=True)]
                entry["x_orionis_cost"] = {"rounds": ratios, **summary(ratios)}
            table[name][scenario] = entry
    for name in ("orionis-rsgi", "orionis-asgi"):
        rows = samples.get(name, {})
        if "observed" in rows and "realistic" in rows:
            # throughput with observability over without: realistic cost / observed cost
            ratios = [r / o for r, o in zip(rows["realistic"], rows["observed"], strict=True)]
            table[name]["observed"]["x_realistic"] = {"rounds": ratios, **summary(ratios)}
    import orionis

    return {
        "benchmark": "inprocess",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "requests_per_round": count,
        "rounds": rounds,
        "orionis_compiled": orionis.COMPILED,
        "http": "2" if HTTP2 else "1.1",
        "scenarios": [r.name for r in reqs],
        "results": table,
    }


def print_report(report: dict[str, Any]) -> None:
    names = report["scenarios"]
    print(
        f"\nin-process, us per request: median [range] (speed x floor), {report['rounds']} rounds"
    )
    print(f"{'app':<14}" + "".join(f"{n:>28}" for n in names))
    for app, rows in report["results"].items():
        cells = []
        for scenario in names:
            row = rows.get(scenario)
            if row is None:
                cells.append(f"{'n/a':>28}")
                continue
            ratio = row.get("x_floor") or row.get("x_realistic")
            ratio_text = f"({ratio['median']:.2f})" if ratio else ""
            text = f"{row['median']:.2f} [{row['min']:.2f}-{row['max']:.2f}] {ratio_text}"
            cells.append(f"{text:>28}")
        print(f"{app:<14}" + "".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="requests per timing")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--apps", help="comma-separated subset of: " + ", ".join(c[0] for c in CASES)
    )
    parser.add_argument("--scenarios", help="comma-separated subset of the scenarios")
    parser.add_argument("--http", choices=("1", "2"), default="1", help="fake HTTP/1.1 or /2")
    args = parser.parse_args()
    global HTTP2
    HTTP2 = args.http == "2"
    names = args.apps.split(",") if args.apps else None
    scenario_names = args.scenarios.split(",") if args.scenarios else None
    report = asyncio.run(run(names, scenario_names, args.requests, args.rounds))
    print_report(report)
    out = HERE / "results" / ("inprocess-h2.json" if HTTP2 else "inprocess.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
