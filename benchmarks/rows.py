"""The rows beside the main table: memory, cold start, HTTP/2, two workers, scaling.

    python benchmarks/rows.py                       # every row, 3 rounds each
    python benchmarks/rows.py --only memory,coldstart --rounds 3

- ``memory``: the worker's RSS (VmRSS of the child of the Granian process) once the app
  answered its first request and after 100,000 more (``h2load --h1 -n``, bounded in count).
- ``coldstart``: ``python -X importtime -c "<what a minimal app imports>"`` (``from orionis
  import Application``, ``from starlette.applications import Starlette``, ``from fastapi
  import FastAPI``...), the sum of the cumulative times of the top-level imports it adds
  (imports Python itself makes at start, as in ``-c pass``, are left out); and the time from
  starting Granian to the first answered ``GET /plaintext`` (polled every 5 ms, at most 30 s),
  for two apps per framework: its ``apps/hello_*`` module (one plaintext route, importing
  only what that route needs) and its full benchmark app (every route, and ``apps.common``
  with pydantic and PyJWT). Bytecode is cached, as in an installed package: the children run
  without ``PYTHONDONTWRITEBYTECODE`` and each app is started once, unmeasured, first.
- ``h2``: ``h2load`` (h2c with prior knowledge) against ``granian --http 2``, plaintext and
  json, Orionis RSGI vs bare RSGI and Orionis ASGI vs bare ASGI (Granian's ASGI side).
- ``workers2``: the realistic route under ``--workers 2`` (not pinned: the two workers and
  wrk share both CPUs), Orionis vs the fastest peers.
- ``scaling``: routing cost per match in-process for 10 to 10,000 routes, echo by body size,
  plaintext by connections (one run each, as before).

Every row runs its apps interleaved, ``--rounds`` times, and reports the median and range.
Writes ``results/rows.json`` (rows run now replace the same rows of the last file).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from apps import common  # noqa: E402
from harness import (  # noqa: E402
    PYTHON,
    Server,
    free_port,
    granian_command,
    h2load,
    lua_script,
    rss_kb,
    summary,
    wrk,
)
from run import APPS_BY_NAME, scenarios  # noqa: E402

MEMORY_APPS = [
    "bare-rsgi",
    "orionis-rsgi",
    "orionis-asgi",
    "emmett55",
    "blacksheep",
    "starlette",
    "fastapi",
    "litestar",
]
COLD_APPS = ["orionis-rsgi", "orionis-asgi", "blacksheep", "starlette", "fastapi", "litestar"]
# What a minimal app of each framework imports (the first line of its hello app).
FRAMEWORKS = {
    "orionis": "from orionis import Application",
    "fastapi": "from fastapi import FastAPI",
    "litestar": "from litestar import Litestar",
    "starlette": "from starlette.applications import Starlette",
    "blacksheep": "from blacksheep import Application",
}
# The hello apps (benchmarks/apps/hello_*.py): one GET /plaintext, nothing else imported.
HELLO_APPS = {
    "orionis-rsgi": ("rsgi", "apps.hello_orionis:app"),
    "orionis-asgi": ("asgi", "apps.hello_orionis:app"),
    "blacksheep": ("asgi", "apps.hello_blacksheep:app"),
    "starlette": ("asgi", "apps.hello_starlette:app"),
    "fastapi": ("asgi", "apps.hello_fastapi:app"),
    "litestar": ("asgi", "apps.hello_litestar:app"),
}
# Children cache bytecode, as an installed package does (pip compiles site-packages; an
# editable checkout under PYTHONDONTWRITEBYTECODE would recompile its sources every start).
COLD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
WORKERS2_APPS = ["orionis-rsgi", "orionis-asgi", "emmett55", "blacksheep"]


def _get(port: int, path: str, timeout: float = 1.0) -> int:
    """Status of one ``GET`` over a fresh connection (0 when nothing answered)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()
            )
            head = sock.recv(64)
    except OSError:
        return 0
    match = re.match(rb"HTTP/1\.1 (\d{3})", head)
    return int(match.group(1)) if match else 0


def _rounds(rounds: int, names: list[str], one: Any) -> dict[str, list[Any]]:
    samples: dict[str, list[Any]] = {name: [] for name in names}
    for number in range(1, rounds + 1):
        print(f"  round {number}/{rounds}", flush=True)
        for name in names:
            samples[name].append(one(name))
    return samples


# -- memory --------------------------------------------------------------------------------
def memory(rounds: int, requests: int) -> dict[str, Any]:
    def one(name: str) -> dict[str, int]:
        app = APPS_BY_NAME[name]
        with Server(name, app.interface, app.targets["simple"], app.env) as server:
            deadline = time.monotonic() + 30
            while _get(server.port, "/json") != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} never answered")
                time.sleep(0.05)
            workers = server.workers()
            if len(workers) != 1:
                raise RuntimeError(f"{name}: expected one worker, found {workers}")
            time.sleep(1)
            idle = rss_kb(workers[0])
            run = h2load(f"{server.base_url}/json", requests=requests, h1=True, connections=64)
            loaded = rss_kb(workers[0])
        print(f"    {name:<14} idle {idle / 1024:6.1f} MiB  after {loaded / 1024:6.1f} MiB")
        if run["status_2xx"] != requests:
            raise RuntimeError(f"{name}: {run} for {requests} requests")
        return {"idle_kb": idle, "after_kb": loaded, "requests": requests}

    samples = _rounds(rounds, MEMORY_APPS, one)
    return {
        name: {
            "rounds": values,
            "idle_mib": summary([v["idle_kb"] / 1024 for v in values]),
            "after_mib": summary([v["after_kb"] / 1024 for v in values]),
        }
        for name, values in samples.items()
    }


# -- cold start ----------------------------------------------------------------------------
def _importtime(code: str) -> dict[str, int]:
    """Top-level module -> cumulative microseconds, from ``-X importtime``."""
    out = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=HERE,
        env=COLD_ENV,
    ).stderr
    found = {}
    for line in out.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\S.*)$", line)
        if match:  # top level: the name is not indented
            found[match.group(3)] = int(match.group(2))
    return found


def coldstart(rounds: int) -> dict[str, Any]:
    baseline = set(_importtime("pass"))

    def imports(name: str) -> float:
        found = _importtime(FRAMEWORKS[name])
        return sum(v for k, v in found.items() if k not in baseline) / 1000

    def first_answer(name: str) -> float:
        app = APPS_BY_NAME[name]
        return _first_answer(name, app.interface, app.targets["simple"], app.env)

    def hello_answer(name: str) -> float:
        interface, target = HELLO_APPS[name]
        return _first_answer(name, interface, target, {})

    for name in FRAMEWORKS:  # warm-up, not measured: bytecode written, files in the page cache
        imports(name)
    for name in COLD_APPS:
        first_answer(name)
        hello_answer(name)
    import_samples = _rounds(rounds, list(FRAMEWORKS), imports)
    hello_samples = _rounds(rounds, list(HELLO_APPS), hello_answer)
    answer_samples = _rounds(rounds, COLD_APPS, first_answer)
    out: dict[str, Any] = {
        "import_statement": FRAMEWORKS,
        "import_ms": {},
        "first_answer_hello_ms": {},
        "first_answer_ms": {},
    }
    for name, values in import_samples.items():
        out["import_ms"][name] = {"rounds": values, **summary(values)}
        print(f"    import {name:<12} {statistics.median(values):7.1f} ms")
    for name, values in hello_samples.items():
        out["first_answer_hello_ms"][name] = {"rounds": values, **summary(values)}
        print(f"    first answer, hello app {name:<14} {statistics.median(values):7.1f} ms")
    for name, values in answer_samples.items():
        out["first_answer_ms"][name] = {"rounds": values, **summary(values)}
        print(f"    first answer, full app {name:<14} {statistics.median(values):7.1f} ms")
    return out


def _first_answer(name: str, interface: str, target: str, app_env: dict[str, str]) -> float:
    """Milliseconds from starting Granian on ``target`` to its first 200 on /plaintext."""
    port = free_port()
    command = granian_command(interface, target, port)
    env = {"PYTHONPATH": str(HERE), **app_env}
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=HERE,
            env={**COLD_ENV, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while _get(port, "/plaintext", 0.5) != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{name} did not answer: {log.read()[-1500:]!r}")
                time.sleep(0.005)
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            with contextlib.suppress(ProcessLookupError):  # a worker left in its group
                os.killpg(process.pid, signal.SIGKILL)
    return elapsed


# -- HTTP/2 --------------------------------------------------------------------------------
def http2(rounds: int, duration: int) -> dict[str, Any]:
    names = ["bare-rsgi", "orionis-rsgi", "bare-asgi", "orionis-asgi"]

    def one(name: str) -> dict[str, float]:
        app = APPS_BY_NAME[name]
        rows = {}
        with Server(name, app.interface, app.targets["simple"], app.env, http="2") as server:
            for path, label in (("/plaintext", "plaintext"), ("/json", "json")):
                row = h2load(server.base_url + path, duration=duration, connections=16, streams=10)
                if row["status_2xx"] != row["done"]:
                    raise RuntimeError(f"{name} {label}: {row}")
                rows[label] = row["rps"]
                print(f"    {name:<14} h2 {label:<10} {row['rps']:>10.0f} req/s")
        return rows

    samples = _rounds(rounds, names, one)
    out: dict[str, Any] = {}
    for name, values in samples.items():
        for label in ("plaintext", "json"):
            series = [v[label] for v in values]
            out.setdefault(name, {})[label] = {"rounds": series, **summary(series)}
    for interface in ("rsgi", "asgi"):
        mine, bare = samples[f"orionis-{interface}"], samples[f"bare-{interface}"]
        key = "orionis_x_bare" if interface == "rsgi" else "orionis_asgi_x_bare"
        for s in ("plaintext", "json"):
            ratios = [o[s] / b[s] for o, b in zip(mine, bare, strict=True)]
            out.setdefault(key, {})[s] = {"rounds": ratios, **summary(ratios)}
    return out


# -- two workers ---------------------------------------------------------------------------
def workers2(rounds: int, duration: int, warmup: int) -> dict[str, Any]:
    realistic = next(s for s in scenarios(common.token()) if s.name == "realistic")

    def one(name: str) -> float:
        app = APPS_BY_NAME[name]
        with (
            tempfile.TemporaryDirectory() as tmp,
            Server(name, app.interface, app.targets["realistic"], app.env, workers=2) as server,
        ):
            script = lua_script(
                "realistic", realistic.method, realistic.headers, realistic.body, pathlib.Path(tmp)
            )
            url = server.base_url + realistic.path
            wrk(url, script, warmup, 64, cpu=None)
            row = wrk(url, script, duration, 64, cpu=None)
        if row["non_2xx"] or row["socket_errors"]:
            raise RuntimeError(f"{name}: {row}")
        print(f"    {name:<14} 2 workers realistic {row['rps']:>10.0f} req/s")
        return row["rps"]

    samples = _rounds(rounds, WORKERS2_APPS, one)
    out: dict[str, Any] = {name: {"rounds": v, **summary(v)} for name, v in samples.items()}
    for mine in ("orionis-rsgi", "orionis-asgi"):
        for peer in ("emmett55", "blacksheep"):
            ratios = [m / p for m, p in zip(samples[mine], samples[peer], strict=True)]
            out.setdefault("ratios", {})[f"{mine} / {peer}"] = {"rounds": ratios, **summary(ratios)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="memory,coldstart,h2,workers2,scaling")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3, help="seconds per load run")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100_000, help="memory row's requests")
    args = parser.parse_args()
    path = RESULTS / "rows.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    started = time.monotonic()
    for row in args.only.split(","):
        print(row, flush=True)
        begin = time.monotonic()
        if row == "memory":
            result: Any = memory(args.rounds, args.requests)
        elif row == "coldstart":
            result = coldstart(args.rounds)
        elif row == "h2":
            result = http2(args.rounds, args.duration)
        elif row == "workers2":
            result = workers2(args.rounds, args.duration, args.warmup)
        elif row == "scaling":
            import scaling

            result = scaling.run(args.duration, args.warmup)
        else:
            raise SystemExit(f"unknown row {row!r}: memory, coldstart, h2, workers2, scaling")
        report[row] = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "rounds": args.rounds,
            "seconds": round(time.monotonic() - begin, 1),
            "result": result,
        }
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path.relative_to(HERE.parent)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
