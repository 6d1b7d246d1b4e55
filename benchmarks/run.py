"""The benchmark suite: every app, every scenario, interleaved rounds, ratios per round.

    sudo apt-get install wrk            # the load generator (Debian's package)
    pip install -e ".[bench]"           # Orionis plus the peer frameworks and matplotlib
    python benchmarks/run.py --rounds 5 --duration 5

Each round starts every app in turn with ``granian --workers 1 --runtime-threads 1 --loop
uvloop`` on 127.0.0.1 (pinned to CPU 0 with ``taskset`` when there are two or more CPUs;
wrk gets CPU 1), warms it up, then measures requests/s and p50/p99 latency with ``wrk -t1
-c<connections> --latency``. Interleaving the apps within each round means a slow patch of
the machine hits every app, so the ratios (Orionis / bare floor, Orionis / each peer) are
computed per round and reported as their median and range over the rounds.

Besides the five spec scenarios there are two rows for the middleware stacks of issues 15
and 12: ``observed`` (the realistic route with request ids, Prometheus metrics and
OpenTelemetry tracing on; Orionis only, compared with its own realistic route) and
``secure`` (sessions + CSRF + a Redis rate limit; Orionis vs Starlette with its
SessionMiddleware, starlette-csrf and slowapi; a ``redis-server`` is started for it).
After the wrk rounds the same scenarios run in-process (``inprocess.py``), interleaved.

Prints the tables and writes ``results/latest.json`` (every round kept, plus a timestamped
copy) and ``results/latest.png`` (medians with the range as error bars). ``--apps`` /
``--scenarios`` pick a subset; ``--quick`` is a smoke run. The other rows (memory, cold start,
HTTP/2, two workers, scaling) are in ``rows.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import pathlib
import platform
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from apps import common  # noqa: E402
from harness import Redis, Server, cpus, lua_script, secure_session, summary, wrk  # noqa: E402


@dataclass(frozen=True)
class App:
    name: str
    interface: str  # rsgi | asgi
    floor: str  # the bare app of the same protocol
    targets: dict[str, str]  # scenario group -> module:attribute
    env: dict[str, str] = field(default_factory=dict)


def _peer(name: str, module: str, interface: str = "asgi", **extra: str) -> App:
    targets = {"simple": f"apps.{module}:app", "realistic": f"apps.{module}:realistic_app"}
    targets.update({group: f"apps.{module}:{attr}" for group, attr in extra.items()})
    return App(name, interface, f"bare-{interface}", targets)


PURE = {"ORIONIS_NO_EXTENSIONS": "1"}
ORIONIS = {
    "simple": "apps.orionis_app:app",
    "realistic": "apps.orionis_app:realistic_app",
    "observed": "apps.orionis_app:observed_app",
    "secure": "apps.orionis_app:secure_app",
}
APPS = [
    App("bare-rsgi", "rsgi", "bare-rsgi", {"simple": "apps.bare_rsgi:app"}),
    App("bare-asgi", "asgi", "bare-asgi", {"simple": "apps.bare_asgi:app"}),
    App("orionis-rsgi", "rsgi", "bare-rsgi", ORIONIS),
    App("orionis-asgi", "asgi", "bare-asgi", ORIONIS),
    App("orionis-rsgi-pure", "rsgi", "bare-rsgi", ORIONIS, PURE),
    App("orionis-asgi-pure", "asgi", "bare-asgi", ORIONIS, PURE),
    _peer("emmett55", "emmett55_app", "rsgi"),
    _peer("blacksheep", "blacksheep_app"),
    _peer("starlette", "starlette_app", secure="secure_app"),
    _peer("fastapi", "fastapi_app"),
    _peer("litestar", "litestar_app"),
    _peer("falcon", "falcon_app"),
]
APPS_BY_NAME = {a.name: a for a in APPS}
GROUPS = ("simple", "realistic", "observed", "secure")


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    group: str = "simple"


def scenarios(token: str) -> list[Scenario]:
    json_type = (("content-type", "application/json"),)
    realistic_headers = (
        *json_type,
        ("authorization", f"Bearer {token}"),
        ("origin", common.ALLOWED_ORIGIN),
    )
    realistic = ("POST", "/realistic?include=summary", common.ORDER, realistic_headers)
    return [
        Scenario("plaintext", "GET", "/plaintext"),
        Scenario("json", "GET", "/json"),
        Scenario("path", "GET", "/users/123"),
        Scenario("echo", "POST", "/echo", common.echo_payload(), json_type),
        Scenario("realistic", *realistic, group="realistic"),
        Scenario("observed", *realistic, group="observed"),
        Scenario("secure", "POST", "/secure", common.ORDER, json_type, group="secure"),
    ]


# -- one round ---------------------------------------------------------------------------
def measure_app(
    app: App,
    chosen: list[Scenario],
    args: argparse.Namespace,
    workdir: pathlib.Path,
    env: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """Every chosen scenario of one app: one server per scenario group, warm-up, then wrk."""
    rows: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        target = app.targets.get(group)
        group_scenarios = [s for s in chosen if s.group == group]
        if target is None or not group_scenarios:
            continue
        with Server(app.name, app.interface, target, {**env, **app.env}) as server:
            for scenario in group_scenarios:
                headers = scenario.headers
                if group == "secure":  # a signed-in session and its CSRF token
                    cookie, csrf = secure_session(server.base_url)
                    headers = (*headers, ("cookie", cookie), ("x-csrf-token", csrf))
                script = lua_script(scenario.name, scenario.method, headers, scenario.body, workdir)
                url = server.base_url + scenario.path
                wrk(url, script, args.warmup, args.connections)
                row = wrk(url, script, args.duration, args.connections)
                rows[scenario.name] = row
                print(
                    f"  {app.name:<18} {scenario.name:<10} {row['rps']:>10.0f} req/s",
                    flush=True,
                )
    return rows


# -- ratios over rounds ------------------------------------------------------------------
def _ratio_rounds(
    rounds: list[dict[str, dict[str, dict[str, Any]]]], app: str, other: str, scenario: str
) -> list[float]:
    """``app``'s req/s over ``other``'s in each round where both ran ``scenario``."""
    values = []
    for results in rounds:
        mine = results.get(app, {}).get(scenario)
        theirs = results.get(other, {}).get(scenario)
        if mine and theirs and theirs["rps"]:
            values.append(mine["rps"] / theirs["rps"])
    return values


def analyse(rounds: list[dict[str, dict[str, dict[str, Any]]]]) -> dict[str, Any]:
    """Medians and ranges over rounds: req/s, x floor, Orionis / each peer, the two rows."""
    names = list(dict.fromkeys(name for results in rounds for name in results))
    scenario_names = list(dict.fromkeys(s for r in rounds for rows in r.values() for s in rows))
    rps: dict[str, dict[str, Any]] = {}
    floor: dict[str, dict[str, Any]] = {}
    for name in names:
        for scenario in scenario_names:
            values = [r[name][scenario]["rps"] for r in rounds if scenario in r.get(name, {})]
            if not values:
                continue
            p99 = [r[name][scenario]["p99_ms"] for r in rounds if scenario in r.get(name, {})]
            p99 = [v for v in p99 if v is not None]
            rps.setdefault(name, {})[scenario] = {
                **summary(values),
                "p99_ms": statistics.median(p99) if p99 else None,
                "errors": any(
                    r[name][scenario]["non_2xx"] or r[name][scenario]["socket_errors"]
                    for r in rounds
                    if scenario in r.get(name, {})
                ),
            }
            floor_name = APPS_BY_NAME[name].floor
            ratios = _ratio_rounds(rounds, name, floor_name, scenario)
            if ratios and floor_name != name:
                floor.setdefault(name, {})[scenario] = {"rounds": ratios, **summary(ratios)}
    peers = [n for n in names if not n.startswith(("orionis", "bare"))]
    versus: dict[str, dict[str, dict[str, Any]]] = {}
    for mine in ("orionis-rsgi", "orionis-asgi"):
        for peer in peers:
            for scenario in scenario_names:
                ratios = _ratio_rounds(rounds, mine, peer, scenario)
                if ratios:
                    versus.setdefault(mine, {}).setdefault(peer, {})[scenario] = {
                        "rounds": ratios,
                        **summary(ratios),
                        "same_interface": APPS_BY_NAME[peer].interface == mine[-4:],
                    }
    observed: dict[str, Any] = {}
    for name in names:
        values = []
        for results in rounds:
            row = results.get(name, {})
            if "observed" in row and "realistic" in row:
                values.append(row["observed"]["rps"] / row["realistic"]["rps"])
        if values:
            observed[name] = {"rounds": values, **summary(values)}
    return {"rps": rps, "x_floor": floor, "versus_peers": versus, "observed_x_realistic": observed}


# -- the report ----------------------------------------------------------------------------
def print_report(analysis: dict[str, Any], scenario_names: list[str], rounds: int) -> None:
    rps, floor = analysis["rps"], analysis["x_floor"]
    print(f"\nrequests/s, median [range] over {rounds} rounds (x floor, median) p99 ms")
    print(f"{'app':<18}" + "".join(f"{n:>34}" for n in scenario_names))
    for name, rows in rps.items():
        cells = []
        for scenario in scenario_names:
            row = rows.get(scenario)
            if row is None:
                cells.append(f"{'n/a':>34}")
                continue
            ratio = floor.get(name, {}).get(scenario)
            ratio_text = f"({ratio['median']:.2f})" if ratio else ""
            flag = "!" if row["errors"] else ""
            p99 = f"{row['p99_ms']:.1f}" if row["p99_ms"] is not None else "-"
            text = f"{row['median']:.0f} [{row['min']:.0f}-{row['max']:.0f}] {ratio_text} {p99}"
            cells.append(f"{text + flag:>34}")
        print(f"{name:<18}" + "".join(cells))
    print("(! = non-2xx answers or socket errors in some round)")
    for mine, peers in analysis["versus_peers"].items():
        print(f"\n{mine} / peer, median [range] over rounds")
        for peer, rows in peers.items():
            cells = [
                f"{s}={r['median']:.2f} [{r['min']:.2f}-{r['max']:.2f}]" for s, r in rows.items()
            ]
            print(f"  {peer:<12} " + "  ".join(cells))
    for name, row in analysis["observed_x_realistic"].items():
        print(
            f"\n{name}: observed / realistic = {row['median']:.3f} "
            f"[{row['min']:.3f}-{row['max']:.3f}] (rounds: "
            + ", ".join(f"{v:.3f}" for v in row["rounds"])
            + ")"
        )


def chart(report: dict[str, Any], path: pathlib.Path) -> None:
    """Median req/s per app and scenario, the range over rounds as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rps = report["analysis"]["rps"]
    names = list(rps)
    scenario_names = report["scenarios"]
    fig, ax = plt.subplots(figsize=(max(10, 2.2 * len(scenario_names)), 5.5))
    width = 0.8 / max(1, len(names))
    colors = plt.get_cmap("tab20").colors  # distinct colours for up to 20 apps
    for i, name in enumerate(names):
        rows = [rps[name].get(s) for s in scenario_names]
        medians = [r["median"] / 1000 if r else 0 for r in rows]
        low = [(r["median"] - r["min"]) / 1000 if r else 0 for r in rows]
        high = [(r["max"] - r["median"]) / 1000 if r else 0 for r in rows]
        positions = [j + i * width for j in range(len(scenario_names))]
        ax.bar(
            positions,
            medians,
            width,
            yerr=[low, high],
            capsize=2,
            error_kw={"elinewidth": 0.8},
            label=name,
            color=colors[i % len(colors)],
        )
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(scenario_names))])
    ax.set_xticklabels(scenario_names)
    ax.set_ylabel("thousand requests/s (median, bars: range)")
    ax.set_title(
        f"Granian, 1 worker, 1 runtime thread, uvloop; wrk -c{report['connections']}, "
        f"{report['rounds']} interleaved rounds of {report['duration_s']} s"
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def build_report(
    args: argparse.Namespace,
    chosen: list[Scenario],
    rounds: list[dict[str, dict[str, dict[str, Any]]]],
    inprocess: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": _cpu_model(),
        },
        "rounds": len(rounds),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "scenarios": [s.name for s in chosen],
        "per_round": rounds,
        "analysis": analyse(rounds),
        "inprocess": inprocess,
    }


def save(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for name in ("latest.json", f"run-{stamp}.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--apps", help="comma-separated subset of: " + ", ".join(a.name for a in APPS)
    )
    parser.add_argument(
        "--scenarios",
        help="comma-separated subset of: plaintext, json, path, echo, realistic, observed, secure",
    )
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, 1 s warm-up")
    parser.add_argument("--no-inprocess", action="store_true", help="skip the in-process rows")
    parser.add_argument("--inprocess-requests", type=int, default=5000)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.warmup, args.inprocess_requests = 1, 2, 1, 500
    if not shutil.which("wrk"):
        print("wrk is missing: install it with `sudo apt-get install wrk` (Debian/Ubuntu).")
        return 2
    apps = APPS if not args.apps else [a for a in APPS if a.name in args.apps.split(",")]
    chosen = scenarios(common.token())
    if args.scenarios:
        chosen = [s for s in chosen if s.name in args.scenarios.split(",")]
    rounds: list[dict[str, dict[str, dict[str, Any]]]] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        env: dict[str, str] = {}
        if any(s.group == "secure" for s in chosen):
            env["BENCH_REDIS_URL"] = stack.enter_context(Redis()).url
        for number in range(1, args.rounds + 1):
            print(f"round {number}/{args.rounds}", flush=True)
            results = {}
            for app in apps:
                results[app.name] = measure_app(app, chosen, args, pathlib.Path(tmp), env)
            rounds.append(results)
            save(build_report(args, chosen, rounds, None))  # keep what ran if a round fails
    report = build_report(args, chosen, rounds, None)
    print_report(report["analysis"], report["scenarios"], len(rounds))
    if not args.no_inprocess:
        import asyncio

        import inprocess

        names = [a.name for a in apps if a.name in {c[0] for c in inprocess.CASES}]
        wanted = [s.name for s in chosen if s.group in ("simple", "realistic", "observed")]
        if names and wanted:
            print("\nin-process rows", flush=True)
            report["inprocess"] = asyncio.run(
                inprocess.run(names, wanted, args.inprocess_requests, args.rounds)
            )
            inprocess.print_report(report["inprocess"])
    save(report)
    try:
        chart(report, RESULTS / "latest.png")
    except ImportError:
        print("matplotlib is missing: no chart (pip install -e '.[bench]')")
    print(f"wrote {RESULTS / 'latest.json'} and latest.png")
    return 0


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
