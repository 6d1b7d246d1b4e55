"""What every measuring script shares: Granian servers, wrk and h2load runs, a Redis server.

Every process is started on 127.0.0.1 in its own session and stopped by its pid (SIGTERM,
then SIGKILL of its process group); every load run is bounded in time (wrk's ``-d``, a
``subprocess`` timeout) or in count (h2load's ``-n``).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
PYTHON = sys.executable


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    """``command`` pinned to one CPU with taskset when there are two or more (None: unpinned)."""
    if cpu is not None and cpus() >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *command]
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def summary(values: list[float]) -> dict[str, float]:
    """Median and range of a list of per-round values."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def granian_command(
    interface: str, target: str, port: int, *, workers: int = 1, http: str = "1"
) -> list[str]:
    return [
        PYTHON,
        "-m",
        "granian",
        "--interface",
        interface,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--runtime-threads",
        "1",
        "--loop",
        "uvloop",
        "--http",
        http,
        "--no-ws",
        "--log-level",
        "warning",
        target,
    ]


class Server:
    """One Granian process serving ``target``; ready once its port accepts connections.

    One worker is pinned to CPU 0 (the load generator gets CPU 1); several workers are not
    pinned (they need both CPUs, and share them with the load generator)."""

    def __init__(
        self,
        name: str,
        interface: str,
        target: str,
        env: dict[str, str] | None = None,
        *,
        workers: int = 1,
        http: str = "1",
    ) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = granian_command(interface, target, self.port, workers=workers, http=http)
        full_env = {**os.environ, "PYTHONPATH": str(HERE), **(env or {})}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the server
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            pinned(0 if workers == 1 else None, command),
            cwd=HERE,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self.log.close()
                raise RuntimeError(f"{name} exited early:\n{output}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        output = self.output()
        self.stop()
        raise RuntimeError(f"{name} did not start:\n{output}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def workers(self) -> list[int]:
        """The pids of the Granian worker processes (the children of the main process)."""
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        with contextlib.suppress(ProcessLookupError):  # workers left behind in our group
            os.killpg(self.process.pid, signal.SIGKILL)
        if not self.log.closed:
            self.log.close()


def children(pid: int) -> list[int]:
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ")"
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_kb(pid: int) -> int:
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Redis:
    """A throw-away ``redis-server`` on a free 127.0.0.1 port, no persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: apt-get install redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("redis-server exited early")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not answer PING")

    def __enter__(self) -> Redis:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


# -- load generators ---------------------------------------------------------------------
def lua_script(
    name: str,
    method: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
    directory: pathlib.Path,
) -> pathlib.Path:
    lines = [f'wrk.method = "{method}"']
    for key, value in headers:
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    if body is not None:
        lines.append(f"wrk.body = [==[{body.decode()}]==]")
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str, script: pathlib.Path, duration: int, connections: int, cpu: int | None = 1
) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(
        pinned(cpu, command), capture_output=True, text=True, timeout=duration + 60, check=False
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


def h2load(
    url: str,
    *,
    requests: int | None = None,
    duration: int | None = None,
    connections: int = 64,
    streams: int = 1,
    h1: bool = False,
    timeout: float = 120,
) -> dict[str, Any]:
    """One h2load run (h2c with prior knowledge, or HTTP/1.1 with ``h1``), bounded in count
    (``requests``) or time (``duration``)."""
    if shutil.which("h2load") is None:
        raise RuntimeError("h2load is missing: apt-get install nghttp2-client")
    command = ["h2load", "-t1", f"-c{connections}", f"-m{streams}"]
    command += [f"-n{requests}"] if requests else [f"-D{duration}", "--warm-up-time=1"]
    if h1:
        command.append("--h1")
    out = subprocess.run(
        pinned(1, [*command, url]), capture_output=True, text=True, timeout=timeout, check=False
    ).stdout
    found = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out)
    done = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded", out)
    codes = re.search(r"status codes: (\d+) 2xx", out)
    if found is None or done is None:
        raise RuntimeError(f"h2load printed no result:\n{out[-1500:]}")
    return {
        "rps": float(found.group(1)),
        "done": int(done.group(2)),
        "succeeded": int(done.group(3)),
        "status_2xx": int(codes.group(1)) if codes else 0,
    }


def secure_session(base_url: str) -> tuple[str, str]:
    """Sign in to a ``secure_app`` (see apps/common.py): the ``Cookie`` header value and the
    CSRF token its ``POST /secure`` requests send."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.get("/secure/login").raise_for_status()
        client.get("/secure/token").raise_for_status()
        client.get("/secure/token").raise_for_status()  # settled: nothing left to rotate
        cookies = {cookie.name: cookie.value for cookie in client.cookies.jar}
    if "session" not in cookies or "csrftoken" not in cookies:
        raise RuntimeError(f"{base_url}: no session or csrftoken cookie after signing in")
    header = "; ".join(f"{name}={cookies[name]}" for name in ("session", "csrftoken"))
    return header, cookies["csrftoken"]
