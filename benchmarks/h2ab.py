"""Interleaved HTTP/2 A/B: h2load (h2c, prior knowledge) against ``granian --http 2``.

    python benchmarks/h2ab.py --rounds 5 rsgi:apps.bare_rsgi:app rsgi:apps.orionis_app:app
    python benchmarks/h2ab.py --old /tmp/old rsgi:apps.orionis_app:app old:rsgi:apps.orionis_app:app

Each target is ``interface:module:attribute``; ``old:`` in front serves it with ``--old``
(a directory holding another copy of the ``orionis`` package) first on ``PYTHONPATH``, to
compare two versions of Orionis in the same minutes. Every round serves every target in
turn, ``/plaintext`` then ``/json`` (``h2load -c16 -m10``, ``--duration`` s after 1 s of
warm-up); the report gives medians and ranges, and each target's ratio to the first one
per round. ``apps/h2_probe.py`` holds bare apps that pay one Orionis cost each.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Server, h2load  # noqa: E402

PATHS = ("plaintext", "json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="+", help="[old:]interface:module:attribute")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=3, help="seconds per h2load run")
    parser.add_argument("--old", help="directory with the other orionis package, for old:")
    args = parser.parse_args()
    samples: dict[str, dict[str, list[float]]] = {t: {p: [] for p in PATHS} for t in args.targets}
    for number in range(args.rounds):
        for target in args.targets:
            spec, env = target, None
            if spec.startswith("old:"):
                if not args.old:
                    raise SystemExit("old: targets need --old DIRECTORY")
                spec = spec[4:]
                env = {"PYTHONPATH": f"{args.old}:{HERE}"}
            interface, app = spec.split(":", 1)
            with Server(target, interface, app, env, http="2") as server:
                for path in PATHS:
                    url = f"{server.base_url}/{path}"
                    row = h2load(url, duration=args.duration, connections=16, streams=10)
                    if row["status_2xx"] != row["done"]:
                        raise RuntimeError(f"{target} {path}: {row}")
                    samples[target][path].append(row["rps"])
        line = "  ".join(
            f"{t}={'/'.join(f'{v[-1]:.0f}' for v in samples[t].values())}" for t in args.targets
        )
        print(f"round {number + 1}: {line}", flush=True)
    first = args.targets[0]
    print(f"\nreq/s median [range], and x {first} per round: median [range]")
    for target in args.targets:
        for path in PATHS:
            values = samples[target][path]
            ratios = [v / f for v, f in zip(values, samples[first][path], strict=True)]
            print(
                f"{target:<44} {path:<10} {statistics.median(values):>8.0f} "
                f"[{min(values):.0f}-{max(values):.0f}]  x{statistics.median(ratios):.2f} "
                f"[{min(ratios):.2f}-{max(ratios):.2f}]"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
