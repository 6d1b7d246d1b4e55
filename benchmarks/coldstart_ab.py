"""Cold start, before and after a change, interleaved: import time and first answers.

    git archive <old-commit> orionis | tar -x -C /tmp/before
    cp orionis/_hot/*.so /tmp/before/orionis/_hot/      # when the hot modules did not change
    python benchmarks/coldstart_ab.py --before /tmp/before --rounds 7

The old package is put first on ``PYTHONPATH`` for the "before" runs; everything else
(Python, granian, the peers, the hello apps) is shared. Each round runs every case once, in
turn: ``from orionis import Application`` and Starlette's equivalent (``-X importtime``, as
``rows.py`` sums it), then the first answer of ``apps/hello_orionis`` (RSGI and ASGI),
``apps/hello_starlette`` and the full ``apps.orionis_app`` and ``apps.starlette_app``.
Prints the medians and ranges, and the per-round ratios after / before and after / Starlette.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

import rows

IMPORTS = {
    "orionis": "from orionis import Application",
    "starlette": "from starlette.applications import Starlette",
}
ANSWERS = {
    "hello rsgi": ("rsgi", "apps.hello_orionis:app"),
    "hello asgi": ("asgi", "apps.hello_orionis:app"),
    "full rsgi": ("rsgi", "apps.orionis_app:app"),
}
PEERS = {
    "hello rsgi": ("asgi", "apps.hello_starlette:app"),
    "hello asgi": ("asgi", "apps.hello_starlette:app"),
    "full rsgi": ("asgi", "apps.starlette_app:app"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="directory holding the old orionis/")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    before = {"PYTHONPATH": f"{args.before}:{rows.HERE}"}
    baseline = set(rows._importtime("pass"))

    def imports(code: str, env: dict[str, str]) -> float:
        saved = rows.COLD_ENV
        rows.COLD_ENV = {**saved, **env}
        try:
            found = rows._importtime(code)
        finally:
            rows.COLD_ENV = saved
        return sum(v for k, v in found.items() if k not in baseline) / 1000

    cases: dict[str, Callable[[], float]] = {
        "import before": lambda: imports(IMPORTS["orionis"], before),
        "import after": lambda: imports(IMPORTS["orionis"], {}),
        "import starlette": lambda: imports(IMPORTS["starlette"], {}),
    }
    for label, (interface, target) in ANSWERS.items():
        peer_interface, peer_target = PEERS[label]
        cases[f"{label} before"] = lambda i=interface, t=target: rows._first_answer(
            "before", i, t, before
        )
        cases[f"{label} after"] = lambda i=interface, t=target: rows._first_answer(
            "after", i, t, {}
        )
        cases[f"{label} starlette"] = lambda i=peer_interface, t=peer_target: rows._first_answer(
            "starlette", i, t, {}
        )
    for run in cases.values():  # warm-up: bytecode written, files cached
        run()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for number in range(1, args.rounds + 1):
        print(f"  round {number}/{args.rounds}", flush=True)
        for name, run in cases.items():
            samples[name].append(run())
    for name, values in samples.items():
        low, high = min(values), max(values)
        print(f"{name:<24} {statistics.median(values):7.1f} ms ({low:.0f}-{high:.0f})")
    for kind in ("import", *ANSWERS):
        after = samples[f"{kind} after"]
        for other in ("before", "starlette"):
            ratios = [a / b for a, b in zip(after, samples[f"{kind} {other}"], strict=True)]
            print(
                f"{kind:<12} after / {other:<10} {statistics.median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(rows.HERE))
    raise SystemExit(main())
