"""The benchmark suite: every app, every scenario, one table, ratios within one run.

    sudo apt-get install wrk            # the load generator (Debian's package)
    pip install -e ".[bench]"           # Orionis plus the peer frameworks and matplotlib
    python benchmarks/run.py --duration 10

For each app: start ``granian --workers 1 --runtime-threads 1 --loop uvloop`` on 127.0.0.1
(pinned to CPU 0 with ``taskset`` when there are two or more CPUs; wrk gets CPU 1), warm up,
then measure requests/s and p50/p99 latency with ``wrk -t1 -c<connections> --latency``.
Then the scaling rows: routing cost per match for 10 to 10,000 routes (in-process, compiled
vs pure), echo with 1 KB / 64 KB / 1 MB bodies, and 64 vs 512 connections.

Prints one table and writes ``results/latest.json`` (plus a timestamped copy) and
``results/latest.png``. ``--apps`` / ``--scenarios`` pick a subset; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from apps import common  # noqa: E402


@dataclass(frozen=True)
class App:
    name: str
    target: str  # module:attribute for the simple scenarios
    interface: str  # rsgi | asgi
    floor: str  # the bare app of the same protocol
    env: dict[str, str] = field(default_factory=dict)
    realistic: str | None = None  # module:attribute for the realistic scenario (None: n/a)


PURE = {"ORIONIS_NO_EXTENSIONS": "1"}
APPS = [
    App("bare-rsgi", "apps.bare_rsgi:app", "rsgi", "bare-rsgi"),
    App("bare-asgi", "apps.bare_asgi:app", "asgi", "bare-asgi"),
    App(
        "orionis-rsgi",
        "apps.orionis_app:app",
        "rsgi",
        "bare-rsgi",
        realistic="apps.orionis_app:realistic_app",
    ),
    App(
        "orionis-asgi",
        "apps.orionis_app:app",
        "asgi",
        "bare-asgi",
        realistic="apps.orionis_app:realistic_app",
    ),
    App(
        "orionis-rsgi-pure",
        "apps.orionis_app:app",
        "rsgi",
        "bare-rsgi",
        PURE,
        realistic="apps.orionis_app:realistic_app",
    ),
    App(
        "orionis-asgi-pure",
        "apps.orionis_app:app",
        "asgi",
        "bare-asgi",
        PURE,
        realistic="apps.orionis_app:realistic_app",
    ),
    App(
        "emmett55",
        "apps.emmett55_app:app",
        "rsgi",
        "bare-rsgi",
        realistic="apps.emmett55_app:realistic_app",
    ),
    App(
        "blacksheep",
        "apps.blacksheep_app:app",
        "asgi",
        "bare-asgi",
        realistic="apps.blacksheep_app:realistic_app",
    ),
    App(
        "starlette",
        "apps.starlette_app:app",
        "asgi",
        "bare-asgi",
        realistic="apps.starlette_app:realistic_app",
    ),
    App(
        "fastapi",
        "apps.fastapi_app:app",
        "asgi",
        "bare-asgi",
        realistic="apps.fastapi_app:realistic_app",
    ),
    App(
        "litestar",
        "apps.litestar_app:app",
        "asgi",
        "bare-asgi",
        realistic="apps.litestar_app:realistic_app",
    ),
    App(
        "falcon",
        "apps.falcon_app:app",
        "asgi",
        "bare-asgi",
        realistic="apps.falcon_app:realistic_app",
    ),
]
APPS_BY_NAME = {a.name: a for a in APPS}


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    realistic: bool = False


def scenarios(token: str) -> list[Scenario]:
    json_type = (("content-type", "application/json"),)
    return [
        Scenario("plaintext", "GET", "/plaintext"),
        Scenario("json", "GET", "/json"),
        Scenario("path", "GET", "/users/123"),
        Scenario("echo", "POST", "/echo", common.echo_payload(), json_type),
        Scenario(
            "realistic",
            "POST",
            "/realistic?include=summary",
            common.ORDER,
            (
                *json_type,
                ("authorization", f"Bearer {token}"),
                ("origin", common.ALLOWED_ORIGIN),
            ),
            realistic=True,
        ),
    ]


# -- processes ---------------------------------------------------------------------------
def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def pinned(cpu: int, command: list[str]) -> list[str]:
    if cpus() >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *command]
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, app: App, target: str) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            app.interface,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--loop",
            "uvloop",
            "--no-ws",
            "--log-level",
            "warning",
            target,
        ]
        env = {**os.environ, "PYTHONPATH": str(HERE), **app.env}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the server
        self.process = subprocess.Popen(
            pinned(0, command),
            cwd=HERE,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{app.name} exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"{app.name} did not start:\n{output}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        self._terminate()
        self.log.close()

    def _terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def lua_script(scenario: Scenario, directory: pathlib.Path) -> pathlib.Path:
    lines = [f'wrk.method = "{scenario.method}"']
    for name, value in scenario.headers:
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if scenario.body is not None:
        lines.append(f"wrk.body = [==[{scenario.body.decode()}]==]")
    path = directory / f"{scenario.name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, script: pathlib.Path, duration: int, connections: int) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(
        pinned(1, command), capture_output=True, text=True, timeout=duration + 60, check=False
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{out[-1500:]}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(found.group(1)),
        "p50_ms": _ms(latency["50"]) if "50" in latency else None,
        "p99_ms": _ms(latency["99"]) if "99" in latency else None,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1).strip() if sockets else "",
    }


def warm_and_measure(
    server: Server,
    scenario: Scenario,
    workdir: pathlib.Path,
    warmup: int,
    duration: int,
    connections: int,
) -> dict[str, Any]:
    """One scenario against a running server: a warm-up wrk run, then the measured one."""
    script = lua_script(scenario, workdir)
    url = f"http://127.0.0.1:{server.port}{scenario.path}"
    wrk(url, script, warmup, connections)
    return wrk(url, script, duration, connections)


def measure(
    app: App,
    chosen: list[Scenario],
    duration: int,
    warmup: int,
    connections: int,
    workdir: pathlib.Path,
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for realistic in (False, True):
        group = [s for s in chosen if s.realistic is realistic]
        target = app.realistic if realistic else app.target
        if not group or target is None:
            continue
        with Server(app, target) as server:
            for scenario in group:
                row = warm_and_measure(server, scenario, workdir, warmup, duration, connections)
                results[scenario.name] = row
                print(f"  {app.name:<18} {scenario.name:<10} {row['rps']:>10.0f} req/s", flush=True)
    return results


# -- in-process routing cost ---------------------------------------------------------------
def routing_cost(sizes: tuple[int, ...] = (10, 100, 1_000, 10_000)) -> list[dict[str, Any]]:
    """ns per match of a dynamic path, in tables of growing size, compiled vs pure."""
    import timeit

    from orionis._hot import load
    from orionis.paths import parse_path

    rows = []
    for compiled in (True, False):
        matcher_module = load("matcher", compiled)
        for size in sizes:
            matcher = matcher_module.Matcher()
            for i in range(size):
                # A mix like real APIs: static lists, item routes with an int, nested ones.
                shape = i % 3
                base = f"/api/r{i}"
                path = [base, base + "/{id:int}", base + "/{id:int}/items"][shape]
                matcher.add(parse_path(path), {"GET": i})
            # The last-registered route of each kind: the worst case for a linear scan.
            dynamic = max(i for i in range(size) if i % 3 == 1)
            static = max(i for i in range(size) if i % 3 == 0)
            target_dynamic, target_static = f"/api/r{dynamic}/123", f"/api/r{static}"
            assert matcher.match(target_dynamic, "GET") is not None, target_dynamic
            numbers = {}
            for label, target in (("dynamic", target_dynamic), ("static", target_static)):
                loops = 200_000
                match = matcher.match
                best = min(
                    timeit.repeat(lambda t=target, m=match: m(t, "GET"), number=loops, repeat=5)
                )
                numbers[label] = best / loops * 1e9
            rows.append(
                {
                    "compiled": compiled,
                    "routes": size,
                    "dynamic_ns": numbers["dynamic"],
                    "static_ns": numbers["static"],
                }
            )
    return rows


# -- the report ----------------------------------------------------------------------------
def ratios(results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for name, rows in results.items():
        floor = results.get(APPS_BY_NAME[name].floor, {})
        table[name] = {
            scenario: row["rps"] / floor[scenario]["rps"]
            for scenario, row in rows.items()
            if scenario in floor
        }
    return table


def print_table(results: dict[str, dict[str, dict[str, Any]]], chosen: list[Scenario]) -> None:
    relative = ratios(results)
    names = [s.name for s in chosen]
    print()
    print(f"{'app':<18}" + "".join(f"{n:>22}" for n in names))
    print(f"{'':<18}" + "".join(f"{'req/s (x floor) p99ms':>22}" for _ in names))
    for name, rows in results.items():
        cells = []
        for scenario in names:
            row = rows.get(scenario)
            if row is None:
                cells.append(f"{'n/a':>22}")
                continue
            ratio = relative[name].get(scenario)
            ratio_text = f"({ratio:.2f})" if ratio is not None else "(  - )"
            flag = "!" if row["non_2xx"] or row["socket_errors"] else " "
            p99 = f"{row['p99_ms']:>4.1f}" if row["p99_ms"] is not None else "   -"
            cells.append(f"{row['rps']:>10.0f} {ratio_text:>6} {p99}{flag}")
        print(f"{name:<18}" + "".join(cells))
    print("(! = non-2xx answers or socket errors during the run)")


def chart(report: dict[str, Any], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    names = list(results)
    scenario_names = report["scenarios"]
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(scenario_names) * 2), 5))
    width = 0.8 / max(1, len(names))
    colors = plt.get_cmap("tab20").colors  # distinct colours for up to 20 apps
    for i, name in enumerate(names):
        values = [results[name].get(s, {}).get("rps", 0) / 1000 for s in scenario_names]
        positions = [j + i * width for j in range(len(scenario_names))]
        ax.bar(positions, values, width, label=name, color=colors[i % len(colors)])
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(scenario_names))])
    ax.set_xticklabels(scenario_names)
    ax.set_ylabel("thousand requests/s")
    ax.set_title(
        f"Granian, 1 worker, 1 runtime thread, uvloop; wrk -c{report['connections']} "
        f"({report['duration_s']} s)"
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--apps", help="comma-separated subset of: " + ", ".join(a.name for a in APPS)
    )
    parser.add_argument(
        "--scenarios", help="comma-separated subset of: plaintext, json, path, echo, realistic"
    )
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling rows")
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 s warm-up, no scaling")
    parser.add_argument(
        "--scaling-only",
        action="store_true",
        help="run only the scaling rows and merge them into results/latest.json",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.no_scaling = 2, 1, True
    if not shutil.which("wrk"):
        print("wrk is missing: install it with `sudo apt-get install wrk` (Debian/Ubuntu).")
        return 2

    if args.scaling_only:
        report = json.loads((RESULTS / "latest.json").read_text())
        with tempfile.TemporaryDirectory() as tmp:
            report["scaling"] = run_scaling(args, pathlib.Path(tmp))
        print_scaling(report["scaling"])
        save(report)
        chart(report, RESULTS / "latest.png")
        return 0
    apps = APPS if not args.apps else [a for a in APPS if a.name in args.apps.split(",")]
    chosen = scenarios(common.token())
    if args.scenarios:
        chosen = [s for s in chosen if s.name in args.scenarios.split(",")]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    scaling: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        for app in apps:
            print(f"{app.name} ({app.interface})", flush=True)
            results[app.name] = measure(
                app, chosen, args.duration, args.warmup, args.connections, workdir
            )
        print_table(results, chosen)
        save(build_report(args, chosen, results, {}))  # keep the main table if scaling fails
        if not args.no_scaling:
            scaling = run_scaling(args, workdir)
    report = build_report(args, chosen, results, scaling)
    if scaling:
        print_scaling(scaling)
    save(report)
    try:
        chart(report, RESULTS / "latest.png")
    except ImportError:
        print("matplotlib is missing: no chart (pip install -e '.[bench]')")
    print(f"wrote {RESULTS / 'latest.json'} and latest.png")
    return 0


def build_report(
    args: argparse.Namespace,
    chosen: list[Scenario],
    results: dict[str, dict[str, dict[str, Any]]],
    scaling: dict[str, Any],
) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": _cpu_model(),
        },
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "scenarios": [s.name for s in chosen],
        "results": results,
        "relative_to_floor": ratios(results),
        "scaling": scaling,
    }


def save(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for name in ("latest.json", f"run-{stamp}.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2))


def run_scaling(args: argparse.Namespace, workdir: pathlib.Path) -> dict[str, Any]:
    print("scaling: routing cost in-process", flush=True)
    out: dict[str, Any] = {"routing": routing_cost()}
    echo_apps = [
        APPS_BY_NAME["bare-rsgi"],
        APPS_BY_NAME["orionis-rsgi"],
        APPS_BY_NAME["bare-asgi"],
        APPS_BY_NAME["orionis-asgi"],
    ]
    out["echo_sizes"] = {}
    for size_name, size in (("1KB", 1024), ("64KB", 64 * 1024), ("1MB", 1_000_000)):
        scenario = Scenario(
            f"echo-{size_name}",
            "POST",
            "/echo",
            common.echo_payload(size),
            (("content-type", "application/json"),),
        )
        for app in echo_apps:
            with Server(app, app.target) as server:
                row = warm_and_measure(
                    server, scenario, workdir, args.warmup, args.duration, args.connections
                )
            out["echo_sizes"].setdefault(size_name, {})[app.name] = row
            print(f"  {app.name:<18} echo {size_name:<5} {row['rps']:>10.0f} req/s", flush=True)
    out["connections"] = {}
    plaintext = Scenario("plaintext", "GET", "/plaintext")
    for connections in (64, 512):
        for app in (APPS_BY_NAME["bare-rsgi"], APPS_BY_NAME["orionis-rsgi"]):
            with Server(app, app.target) as server:
                row = warm_and_measure(
                    server, plaintext, workdir, args.warmup, args.duration, connections
                )
            out["connections"].setdefault(str(connections), {})[app.name] = row
            print(f"  {app.name:<18} -c{connections:<4} {row['rps']:>10.0f} req/s", flush=True)
    return out


def print_scaling(scaling: dict[str, Any]) -> None:
    print("\nrouting cost (ns per match, in-process)")
    print(
        f"{'routes':>8} {'compiled dyn':>13} {'pure dyn':>10} {'speedup':>8} "
        f"{'compiled static':>16} {'pure static':>12}"
    )
    rows = scaling["routing"]
    for size in sorted({r["routes"] for r in rows}):
        c = next(r for r in rows if r["routes"] == size and r["compiled"])
        p = next(r for r in rows if r["routes"] == size and not r["compiled"])
        print(
            f"{size:>8} {c['dynamic_ns']:>13.0f} {p['dynamic_ns']:>10.0f} "
            f"{p['dynamic_ns'] / c['dynamic_ns']:>7.1f}x {c['static_ns']:>16.0f} "
            f"{p['static_ns']:>12.0f}"
        )
    print("\necho by body size (req/s)")
    for size, rows_ in scaling["echo_sizes"].items():
        print(f"  {size:<5} " + "  ".join(f"{n}={r['rps']:.0f}" for n, r in rows_.items()))
    print("\nplaintext by connections (req/s)")
    for conns, rows_ in scaling["connections"].items():
        print(f"  -c{conns:<4} " + "  ".join(f"{n}={r['rps']:.0f}" for n, r in rows_.items()))


def _cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    raise SystemExit(main())
