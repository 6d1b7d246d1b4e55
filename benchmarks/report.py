"""Markdown tables for docs/benchmarks.md from the result files, and the bars of issue 13.

    python benchmarks/report.py > /tmp/tables.md

Reads ``results/latest.json`` (run.py), ``results/rows.json`` (rows.py) and
``results/handler_cost.json``; prints each table with medians and ranges over the rounds,
then every bar with its number and met / not met. Nothing is measured here.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
SIMPLE = ("plaintext", "json", "path", "echo", "realistic")
PEERS = ("emmett55", "blacksheep", "starlette", "fastapi", "litestar", "falcon")
# The last published handler_cost run (docs/benchmarks.md before issue 13), in us/request.
HANDLER_BEFORE = {"Orionis (RSGI)": 24.4, "Orionis (ASGI)": 41.1}


def _load(name: str) -> dict[str, Any]:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else {}


def _range(row: dict[str, Any], digits: int = 2) -> str:
    return f"{row['median']:.{digits}f} ({row['min']:.{digits}f}-{row['max']:.{digits}f})"


def _rps(row: dict[str, Any]) -> str:
    return f"{row['median']:,.0f} ({row['min']:,.0f}-{row['max']:,.0f})"


def _v(mine: float, limit: float) -> str:
    return "met" if mine <= limit else "NOT met"


def _header(first: str, names: list[str]) -> list[str]:
    """A markdown table's two header lines: ``first`` then one right-aligned column per name."""
    return [
        f"| {first} | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]


def main_table(report: dict[str, Any]) -> list[str]:
    analysis = report["analysis"]
    names = [s for s in report["scenarios"] if s in SIMPLE]
    lines = _header("app", names)
    for app, rows in analysis["rps"].items():
        cells = []
        for scenario in names:
            row = rows.get(scenario)
            if row is None:
                cells.append("n/a")
                continue
            ratio = analysis["x_floor"].get(app, {}).get(scenario)
            text = _rps(row)
            if ratio:
                text += f" **x{ratio['median']:.2f}** ({ratio['min']:.2f}-{ratio['max']:.2f})"
            cells.append(text)
        lines.append(f"| {app} | " + " | ".join(cells) + " |")
    return lines


def versus_table(report: dict[str, Any]) -> list[str]:
    names = [s for s in report["scenarios"] if s in SIMPLE]
    lines = _header("Orionis / peer", names)
    for mine, peers in report["analysis"]["versus_peers"].items():
        for peer, rows in peers.items():
            cells = [_range(rows[s]) if s in rows else "n/a" for s in names]
            same = next(iter(rows.values()))["same_interface"]
            lines.append(
                f"| {mine} / {peer}{'' if same else ' (other interface)'} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def extra_rows(report: dict[str, Any]) -> list[str]:
    analysis = report["analysis"]
    lines = ["| row | app | req/s median (range) | ratio median (range) per round |"]
    lines.append("| --- | --- | ---: | --- |")
    for app, row in analysis["observed_x_realistic"].items():
        rps = analysis["rps"][app]["observed"]
        rounds = ", ".join(f"{v:.2f}" for v in row["rounds"])
        lines.append(
            f"| observed (issue 15) | {app} | {_rps(rps)} | {_range(row)} of its realistic "
            f"route [{rounds}] |"
        )
    for app, rows in analysis["rps"].items():
        if "secure" not in rows:
            continue
        ratio = ""
        if app.startswith("orionis"):
            peer = analysis["versus_peers"].get(app, {}).get("starlette", {}).get("secure")
            if peer:
                rounds = ", ".join(f"{v:.2f}" for v in peer["rounds"])
                ratio = f"{_range(peer)} x Starlette [{rounds}]"
        lines.append(f"| secure (issue 12) | {app} | {_rps(rows['secure'])} | {ratio} |")
    return lines


def inprocess_table(report: dict[str, Any]) -> list[str]:
    data = report.get("inprocess") or _load("inprocess.json")
    if not data:
        return []
    names = data["scenarios"]
    lines = _header("app", names)
    for app, rows in data["results"].items():
        cells = []
        for scenario in names:
            row = rows.get(scenario)
            if row is None:
                cells.append("n/a")
                continue
            text = _range(row)
            cost = row.get("x_orionis_cost")
            if cost:
                text += f" ({cost['median']:.2f}x Orionis)"
            cells.append(text)
        lines.append(f"| {app} | " + " | ".join(cells) + " |")
    return lines


def rows_tables(rows: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "memory" in rows:
        lines += ["", "| worker RSS, MiB | idle | after 100k requests |", "| --- | ---: | ---: |"]
        for app, row in rows["memory"]["result"].items():
            lines.append(
                f"| {app} | {_range(row['idle_mib'], 1)} | {_range(row['after_mib'], 1)} |"
            )
    if "coldstart" in rows:
        result = rows["coldstart"]["result"]
        statements = result.get("import_statement", {})
        lines += ["", "| import, ms (-X importtime) | median (range) |", "| --- | ---: |"]
        for name, row in result["import_ms"].items():
            shown = f"`{statements[name]}`" if name in statements else name
            lines.append(f"| {shown} | {_range(row, 0)} |")
        for key, label in (
            ("first_answer_hello_ms", "hello app (apps/hello_*.py)"),
            ("first_answer_ms", "full benchmark app"),
        ):
            if key not in result:
                continue
            lines += ["", f"| start to first answer, ms, {label} | median (range) |"]
            lines.append("| --- | ---: |")
            for name, row in result[key].items():
                lines.append(f"| {name} | {_range(row, 0)} |")
    if "h2" in rows:
        result = rows["h2"]["result"]
        lines += ["", "| HTTP/2 (h2c), req/s | plaintext | json |", "| --- | ---: | ---: |"]
        for name in (
            "bare-rsgi",
            "orionis-rsgi",
            "orionis_x_bare",
            "bare-asgi",
            "orionis-asgi",
            "orionis_asgi_x_bare",
        ):
            row = result.get(name)
            if row is None:  # rows.json from before the ASGI pair was measured
                continue
            fmt = _range if name.endswith("_x_bare") else _rps
            lines.append(f"| {name} | {fmt(row['plaintext'])} | {fmt(row['json'])} |")
    if "workers2" in rows:
        result = rows["workers2"]["result"]
        lines += ["", "| realistic, 2 workers | req/s median (range) |", "| --- | ---: |"]
        for name, row in result.items():
            if name != "ratios":
                lines.append(f"| {name} | {_rps(row)} |")
        for name, row in result.get("ratios", {}).items():
            lines.append(f"| {name} | {_range(row)} |")
    return lines


def bars(report: dict[str, Any], rows: dict[str, Any], handler: dict[str, Any]) -> list[str]:
    analysis = report.get("analysis", {})
    floor = analysis.get("x_floor", {})
    out = []

    def bar(text: str, value: float | None, ok: bool | None) -> None:
        shown = "not measured" if value is None else f"{value:.2f}"
        verdict = "n/a" if ok is None else ("met" if ok else "NOT met")
        out.append(f"- {text}: {shown} -> {verdict}")

    for scenario, need in (("plaintext", 0.9), ("json", 0.9), ("path", 0.9), ("echo", 0.85)):
        row = floor.get("orionis-rsgi", {}).get(scenario)
        bar(
            f"RSGI {scenario} x bare >= {need}",
            row and row["median"],
            row and row["median"] >= need,
        )
    for scenario in ("plaintext", "json", "path", "echo"):
        row = floor.get("orionis-asgi", {}).get(scenario)
        bar(f"ASGI {scenario} x bare >= 0.85", row and row["median"], row and row["median"] >= 0.85)
    for mine, peers in analysis.get("versus_peers", {}).items():
        for scenario in SIMPLE:
            for label, same_only in (("same-interface", True), ("any-interface", False)):
                if not same_only and mine != "orionis-rsgi":
                    continue  # RSGI against the ASGI peers too; ASGI against ASGI only
                found = [
                    (p, r[scenario])
                    for p, r in peers.items()
                    if scenario in r and (r[scenario]["same_interface"] or not same_only)
                ]
                if not found:
                    continue
                peer, worst = min(found, key=lambda item: item[1]["median"])
                need = 2.0 if scenario == "realistic" else 1.0
                ok = worst["median"] >= 2.0 if need == 2.0 else worst["median"] > 1.0
                cmp = ">=" if need == 2.0 else ">"
                bar(
                    f"{mine} {scenario} / fastest {label} peer ({peer}) {cmp} {need}",
                    worst["median"],
                    ok,
                )
    by_name = {r["framework"]: r for r in handler.get("rows", [])}
    for name, before in HANDLER_BEFORE.items():
        row = by_name.get(name)
        value = row and row["us_per_request"]
        out.append(
            f"- handler_cost {name} <= {before * 0.75:.1f} us (25 % under {before}): "
            + (
                "not measured"
                if value is None
                else f"{value:.1f} us -> {'met' if value <= before * 0.75 else 'NOT met'}"
            )
        )
    if "coldstart" in rows:
        result = rows["coldstart"]["result"]
        mine, theirs = (
            result["import_ms"]["orionis"]["median"],
            result["import_ms"]["starlette"]["median"],
        )
        out.append(
            f"- import orionis <= starlette: {mine:.0f} vs {theirs:.0f} ms -> {_v(mine, theirs)}"
        )
        for key, label in (("first_answer_hello_ms", "hello app"), ("first_answer_ms", "full app")):
            first = result.get(key)
            if first is None:
                continue
            for app in ("orionis-rsgi", "orionis-asgi"):
                mine, theirs = first[app]["median"], first["starlette"]["median"]
                out.append(
                    f"- first answer ({label}) {app} <= starlette: {mine:.0f} vs {theirs:.0f} ms "
                    f"-> {_v(mine, theirs)}"
                )
    if "memory" in rows:
        result = rows["memory"]["result"]
        mine, theirs = (
            result["orionis-rsgi"]["idle_mib"]["median"],
            result["fastapi"]["idle_mib"]["median"],
        )
        out.append(
            f"- idle RSS orionis <= fastapi: {mine:.1f} vs {theirs:.1f} MiB -> {_v(mine, theirs)}"
        )
    for app, row in analysis.get("observed_x_realistic", {}).items():
        bar(f"{app} observed x realistic >= 0.90 (issue 15)", row["median"], row["median"] >= 0.9)
    return out


def sections() -> dict[str, list[str]]:
    report = _load("latest.json")
    rows = _load("rows.json")
    handler = _load("handler_cost.json")
    out: dict[str, list[str]] = {}
    if report.get("analysis"):
        out["main"] = main_table(report)
        out["versus"] = versus_table(report)
        out["extra"] = extra_rows(report)
        out["inprocess"] = inprocess_table(report)
    if handler:
        out["handler"] = [
            "| handler_cost | us/request median (range) | x Orionis RSGI |",
            "| --- | ---: | ---: |",
        ] + [
            f"| {r['framework']} | {r['us_per_request']:.1f} "
            f"({r.get('min', 0):.1f}-{r.get('max', 0):.1f}) "
            f"| {r['relative_to_orionis_rsgi']:.2f} |"
            for r in handler["rows"]
        ]
    out["rows"] = rows_tables(rows)
    out["bars"] = bars(report, rows, handler)
    return out


def main() -> int:
    """Every section, or only those named on the command line (main, versus, extra,
    inprocess, handler, rows, bars)."""
    chosen = sections()
    names = sys.argv[1:] or list(chosen)
    print("\n\n".join("\n".join(chosen[n]).strip() for n in names if chosen.get(n)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
