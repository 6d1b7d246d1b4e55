"""Worker CPU time per request under wrk: where in-process numbers and wrk disagree.

    python benchmarks/worker_cpu.py [--rounds 5] [--duration 3] [--scenario echo] \
        orionis=apps.orionis_app:app bare=apps.bare_rsgi:app \
        orionis-asgi=apps.orionis_app:app@asgi \
        old=apps.orionis_app:app+PYTHONPATH=/path/to/old/tree \
        no-gc=apps.gc_off:app+GC_OFF_TARGET=apps.orionis_app:app

Each variant is ``name=module:attr``, optionally ``@asgi`` (default ``@rsgi``) and
``+NAME=value`` environment settings for its server (a ``PYTHONPATH`` is put in front of the
benchmarks directory, so an old checkout of ``orionis/`` can be measured against the
current one). Every round serves each variant in turn on one pinned Granian worker, warms
it for 1 s, runs wrk for ``--duration`` seconds and reads the worker's user + system CPU
time from ``/proc``: CPU time divided by the requests answered. Other jobs in the machine
take turns with the worker without adding to its CPU time, but a slower host (a busy
neighbour of a virtual machine) makes every instruction slower: compare variants within one
run only, by the per-round ratio. Unlike ``inprocess.py``, it includes what only a real
server costs: its futures, the loop wake-ups, the cyclic GC with 64 requests in flight, and
cold caches. Prints medians and ranges per variant, the per-round ratio to the first variant
and the req/s.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
from dataclasses import dataclass, field

import harness
from apps import common

HERE = pathlib.Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Variant:
    name: str
    target: str
    interface: str = "rsgi"
    env: dict[str, str] = field(default_factory=dict)


def parse_variant(spec: str) -> Variant:
    """``name=module:attr[@asgi|@rsgi][+NAME=value ...]`` as a ``Variant``."""
    name, sep, rest = spec.partition("=")
    if not sep or not name:
        raise SystemExit(f"a variant is name=module:attr[@interface][+NAME=value]: {spec!r}")
    rest, *settings = rest.split("+")
    target, _, interface = rest.partition("@")
    env = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep:
            raise SystemExit(f"an environment setting is NAME=value: {setting!r}")
        if key == "PYTHONPATH":
            value = f"{value}{os.pathsep}{HERE}"  # the old tree first, then the apps
        env[key] = value
    return Variant(name, target, interface or "rsgi", env)


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def measure(
    variant: Variant, script: pathlib.Path, path: str, duration: int
) -> tuple[float, float]:
    """Microseconds of worker CPU per answered request, and the req/s, of one run."""
    with harness.Server(variant.name, variant.interface, variant.target, variant.env) as server:
        url = server.base_url + path
        harness.wrk(url, script, 1, 64)  # warm-up
        pids = server.workers()
        before = cpu_seconds(pids)
        result = harness.wrk(url, script, duration, 64)
        spent = cpu_seconds(pids) - before
        if result["non_2xx"] or result["socket_errors"]:
            raise RuntimeError(f"{variant.name}: errors under load: {result}")
        return spent / (result["rps"] * duration) * 1e6, result["rps"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="+", help="name=module:attr[@asgi][+NAME=value]")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=3, help="seconds of wrk per run")
    parser.add_argument("--scenario", default="echo", choices=["echo", "plaintext", "json"])
    args = parser.parse_args()
    variants = [parse_variant(spec) for spec in args.variants]
    directory = pathlib.Path(tempfile.mkdtemp(prefix="orionis-cpu-"))
    if args.scenario == "echo":
        headers = (("content-type", "application/json"),)
        script = harness.lua_script("echo", "POST", headers, common.echo_payload(), directory)
    else:
        script = harness.lua_script(args.scenario, "GET", (), None, directory)
    path = f"/{args.scenario}"
    samples: dict[str, list[float]] = {v.name: [] for v in variants}
    speeds: dict[str, list[float]] = {v.name: [] for v in variants}
    for number in range(args.rounds):
        print(f"round {number + 1}/{args.rounds}", file=sys.stderr)
        for variant in variants:
            cost, rps = measure(variant, script, path, args.duration)
            samples[variant.name].append(cost)
            speeds[variant.name].append(rps)
    first = samples[variants[0].name]
    print(f"worker CPU per request, {args.scenario}, us: median [range] (x {variants[0].name})")
    for variant in variants:
        values = samples[variant.name]
        ratio = statistics.median(v / f for v, f in zip(values, first, strict=True))
        print(
            f"  {variant.name:16} {statistics.median(values):6.1f} "
            f"[{min(values):.1f}-{max(values):.1f}]  ({ratio:.3f})  "
            f"{statistics.median(speeds[variant.name]):,.0f} req/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
