"""Realtime benchmarks: WebSocket echo (messages/s) and SSE fan-out (events/s).

    pip install -e ".[bench]"
    python benchmarks/realtime.py                 # 3 rounds, 5 s per app and scenario
    python benchmarks/realtime.py --rounds 1 --duration 2 --apps orionis-rsgi,bare-rsgi

Each app (``apps/rt_*.py``, spec in ``apps/rt_common.py``) is started with
``granian --workers 1 --runtime-threads 1 --loop uvloop`` on 127.0.0.1, pinned to CPU 0 with
``taskset`` when there are two CPUs; this process is the load generator (pinned to CPU 1),
written in Python: asyncio on uvloop, the ``websockets`` client for the echo, raw sockets for
the event streams. Rounds are interleaved (every app once per round, the order rotated), so a
slow phase of the machine hits every app alike; ratios are computed within each round.

- ``ws-echo``: ``--connections`` (64) WebSockets, each sending a small text message and
  waiting for its echo, in a loop; a 1 s warm-up, then ``--duration`` seconds counted.
- ``sse-fanout``: ``--subscribers`` (100) event streams; the generator publishes a batch of
  ``--batch`` messages (one ``POST /publish?n=``), waits until every subscriber has received
  all of them, and repeats; events/s counts deliveries (batch x subscribers per batch).

Everything is bounded: connections, a per-phase deadline, and a hard timeout per step.
Writes ``results/realtime.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import pathlib
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import websockets

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from apps.rt_common import MESSAGE  # noqa: E402

STEP_TIMEOUT = 30.0  # no single wait may exceed this (a safety net, never a measurement)


@dataclass(frozen=True)
class App:
    name: str
    target: str
    interface: str
    floor: str


APPS = [
    App("bare-rsgi", "apps.rt_bare_rsgi:app", "rsgi", "bare-rsgi"),
    App("bare-asgi", "apps.rt_bare_asgi:app", "asgi", "bare-asgi"),
    App("orionis-rsgi", "apps.rt_orionis:app", "rsgi", "bare-rsgi"),
    App("orionis-asgi", "apps.rt_orionis:app", "asgi", "bare-asgi"),
    App("starlette", "apps.rt_starlette:app", "asgi", "bare-asgi"),
    App("blacksheep", "apps.rt_blacksheep:app", "asgi", "bare-asgi"),
]
APPS_BY_NAME = {a.name: a for a in APPS}
SCENARIOS = ("ws-echo", "sse-fanout")


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A granian process for one app, stopped on exit."""

    def __init__(self, app: App) -> None:
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
            "--log-level",
            "warning",
            app.target,
        ]
        if cpus() >= 2:
            command = ["taskset", "-c", "0", *command]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=HERE,
            env={**os.environ, "PYTHONPATH": str(HERE)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{app.name} exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{app.name} did not start")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes (its session)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as file:
                    fields = file.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.process.pid:  # the session id (start_new_session)
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


# -- WebSocket echo ------------------------------------------------------------------------
async def ws_echo(
    server: Server, connections: int, duration: float, warmup: float
) -> tuple[float, float]:
    """Messages per second over ``connections`` echo loops, and the server's CPU
    microseconds per message."""
    port = server.port
    url = f"ws://127.0.0.1:{port}/ws"
    sockets = [
        await asyncio.wait_for(websockets.connect(url, compression=None), STEP_TIMEOUT)
        for _ in range(connections)
    ]
    counts = [0] * connections
    running = True

    async def loop(i: int, ws: Any) -> None:
        reply = None
        while running:
            await ws.send(MESSAGE)
            reply = await ws.recv()
            counts[i] += 1
        if reply != MESSAGE:
            raise AssertionError(f"echo answered {reply!r}")

    tasks = [asyncio.create_task(loop(i, ws)) for i, ws in enumerate(sockets)]
    try:
        await asyncio.sleep(warmup)
        before, started, cpu = sum(counts), time.perf_counter(), server.cpu_seconds()
        await asyncio.sleep(duration)
        after, ended, cpu = sum(counts), time.perf_counter(), server.cpu_seconds() - cpu
        running = False
        await asyncio.wait_for(asyncio.gather(*tasks), STEP_TIMEOUT)
    finally:
        for task in tasks:
            task.cancel()
        for ws in sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)
    return (after - before) / (ended - started), cpu * 1e6 / (after - before)


# -- SSE fan-out ---------------------------------------------------------------------------
class Subscriber:
    """One event stream on a raw socket, counting complete events (blank-line ends)."""

    def __init__(self) -> None:
        self.events = 0
        self.target = 0
        self.reached: asyncio.Event = asyncio.Event()
        self.ready: asyncio.Event = asyncio.Event()
        self.ended = False

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                b"Connection: close\r\n\r\n"
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                raise AssertionError(f"/sse answered {head[:100]!r}")
            buffer = b""
            while b"\n\n" not in buffer:  # the ready event
                buffer += await asyncio.wait_for(reader.read(65536), STEP_TIMEOUT)
            rest = buffer.split(b"\n\n", 1)[1]
            self.ready.set()
            tail = b""
            data = rest
            while True:
                chunk = tail + data
                self.events += chunk.count(b"\n\n")
                tail = chunk[-1:] if chunk.endswith(b"\n") and not chunk.endswith(b"\n\n") else b""
                if self.events >= self.target:
                    self.reached.set()
                data = await reader.read(65536)
                if not data:
                    self.ended = True
                    return
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _post(port: int, target: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        request = f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
        writer.write(request.encode() + b"Connection: close\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
        if b" 204 " not in head.split(b"\r\n", 1)[0]:
            raise AssertionError(f"{target} answered {head[:100]!r}")
    finally:
        writer.close()


async def sse_fanout(
    server: Server, subscribers: int, batch: int, duration: float, warmup: float
) -> tuple[float, float]:
    """Event deliveries per second to ``subscribers`` streams, and the server's CPU
    microseconds per delivered event."""
    port = server.port
    subs = [Subscriber() for _ in range(subscribers)]
    tasks = [asyncio.create_task(s.run(port)) for s in subs]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), STEP_TIMEOUT)
        sent = 0

        async def one_batch() -> None:
            nonlocal sent
            sent += batch
            for s in subs:
                s.target = sent
                if s.events < sent:
                    s.reached.clear()
            await _post(port, f"/publish?n={batch}")
            await asyncio.wait_for(asyncio.gather(*(s.reached.wait() for s in subs)), STEP_TIMEOUT)

        deadline = time.perf_counter() + warmup
        while time.perf_counter() < deadline:
            await one_batch()
        before, started, cpu = sent, time.perf_counter(), server.cpu_seconds()
        deadline = started + duration
        while time.perf_counter() < deadline:
            await one_batch()
        delivered, ended = (sent - before) * subscribers, time.perf_counter()
        cpu = server.cpu_seconds() - cpu
        await _post(port, "/publish?stop=1")
        await asyncio.wait_for(asyncio.gather(*tasks), STEP_TIMEOUT)
    finally:
        for task in tasks:
            task.cancel()
    return delivered / (ended - started), cpu * 1e6 / delivered


# -- rounds --------------------------------------------------------------------------------
def run_app(app: App, args: argparse.Namespace) -> dict[str, float]:
    """``{scenario: rate, scenario + ":cpu_us": server CPU microseconds per message}``."""
    server = Server(app)
    try:
        results = {}
        for scenario in args.scenarios:
            if scenario == "ws-echo":
                coro = ws_echo(server, args.connections, args.duration, args.warmup)
            else:
                coro = sse_fanout(server, args.subscribers, args.batch, args.duration, args.warmup)
            results[scenario], results[scenario + ":cpu_us"] = _run(coro)
        if server.process.poll() is not None:
            raise RuntimeError(f"{app.name} died:\n{server.output()}")
        return results
    finally:
        server.stop()


def _run(coro: Any) -> float:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def summarise(rounds: list[dict[str, dict[str, float]]], names: list[str]) -> dict[str, Any]:
    """Per scenario: each app's rates per round, median and range; ratios per round."""
    pairs = [
        ("orionis-rsgi", "bare-rsgi"),
        ("orionis-asgi", "bare-asgi"),
        ("orionis-rsgi", "starlette"),
        ("orionis-rsgi", "blacksheep"),
        ("orionis-asgi", "starlette"),
        ("orionis-asgi", "blacksheep"),
    ]
    summary: dict[str, Any] = {}
    for scenario in (*SCENARIOS, *(f"{s}:cpu_us" for s in SCENARIOS)):
        if not all(scenario in r.get(n, {}) for r in rounds for n in names):
            continue
        rates = {n: [r[n][scenario] for r in rounds] for n in names}
        ratios = {}
        for a, b in pairs:
            if a in names and b in names:
                per_round = [r[a][scenario] / r[b][scenario] for r in rounds]
                ratios[f"{a}/{b}"] = {
                    "per_round": [round(x, 3) for x in per_round],
                    "median": round(statistics.median(per_round), 3),
                    "min": round(min(per_round), 3),
                    "max": round(max(per_round), 3),
                }
        summary[scenario] = {
            "rates": {
                n: {
                    "per_round": [round(x, 2) for x in v],
                    "median": round(statistics.median(v), 2),
                    "min": round(min(v), 2),
                    "max": round(max(v), 2),
                }
                for n, v in rates.items()
            },
            "ratios": ratios,
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--apps", default=",".join(a.name for a in APPS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--output", default=str(RESULTS / "realtime.json"))
    args = parser.parse_args()
    names = [n for n in args.apps.split(",") if n]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [n for n in names if n not in APPS_BY_NAME] + [
        s for s in args.scenarios if s not in SCENARIOS
    ]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    if not 1 <= args.rounds <= 10 or not 0 < args.duration <= 60:
        parser.error("keep it modest: 1-10 rounds of at most 60 s")
    if cpus() >= 2:
        os.sched_setaffinity(0, {1})  # the load generator; servers get CPU 0

    rounds: list[dict[str, dict[str, float]]] = []
    for index in range(args.rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        results: dict[str, dict[str, float]] = {}
        for name in order:
            results[name] = run_app(APPS_BY_NAME[name], args)
            shown = ", ".join(
                f"{s} {results[name][s]:,.0f}/s ({results[name][s + ':cpu_us']:.1f} us cpu)"
                for s in args.scenarios
            )
            print(f"round {index + 1}: {name:14} {shown}", flush=True)
        rounds.append(results)

    summary = summarise(rounds, names)
    for scenario, data in summary.items():
        unit = "server CPU us per message" if scenario.endswith(":cpu_us") else "per second"
        print(f"\n{scenario}: median (min-max) {unit}")
        for name, rate in data["rates"].items():
            print(f"  {name:14} {rate['median']:>11,.1f} ({rate['min']:,.1f}-{rate['max']:,.1f})")
        for pair, ratio in data["ratios"].items():
            print(f"  {pair:28} {ratio['median']:.2f} per round {ratio['per_round']}")

    import granian

    document = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "granian": granian.__version__,
            "websockets": websockets.__version__,
        },
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "subscribers": args.subscribers,
            "batch": args.batch,
            "message": MESSAGE,
        },
        "rounds": rounds,
        "summary": summary,
    }
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output}")


if __name__ == "__main__":
    main()
