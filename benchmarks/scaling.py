"""The scaling rows: routing cost per match in-process (10 to 10,000 routes, compiled vs
pure), echo with 1 KB / 64 KB / 1 MB bodies, plaintext with 64 vs 512 connections.

Run through ``rows.py --only scaling`` (one run each, not rounds).
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apps import common  # noqa: E402
from harness import Server, lua_script, wrk  # noqa: E402
from run import APPS_BY_NAME, Scenario  # noqa: E402


def _warm_and_measure(
    server: Server,
    scenario: Scenario,
    workdir: pathlib.Path,
    warmup: int,
    duration: int,
    connections: int,
) -> dict[str, Any]:
    script = lua_script(scenario.name, scenario.method, scenario.headers, scenario.body, workdir)
    url = server.base_url + scenario.path
    wrk(url, script, warmup, connections)
    return wrk(url, script, duration, connections)


def run(duration: int, warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result = _scaling(duration, warmup, pathlib.Path(tmp))
    print_scaling(result)
    return result


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


def _scaling(duration: int, warmup: int, workdir: pathlib.Path) -> dict[str, Any]:
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
            with Server(app.name, app.interface, app.targets["simple"]) as server:
                row = _warm_and_measure(server, scenario, workdir, warmup, duration, 64)
            out["echo_sizes"].setdefault(size_name, {})[app.name] = row
            print(f"  {app.name:<18} echo {size_name:<5} {row['rps']:>10.0f} req/s", flush=True)
    out["connections"] = {}
    plaintext = Scenario("plaintext", "GET", "/plaintext")
    for connections in (64, 512):
        for app in (APPS_BY_NAME["bare-rsgi"], APPS_BY_NAME["orionis-rsgi"]):
            with Server(app.name, app.interface, app.targets["simple"]) as server:
                row = _warm_and_measure(server, plaintext, workdir, warmup, duration, connections)
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
