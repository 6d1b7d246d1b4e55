"""Starting and stopping real servers on 127.0.0.1 for the live tests."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[2]
KINDS = ("granian-rsgi", "granian-asgi", "uvicorn")
START_TIMEOUT = 60.0  # a safety net: a loaded CI machine may start slowly


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(kind: str, target: str, port: int, workers: int = 1) -> list[str]:
    if kind.startswith("granian"):
        interface = kind.split("-", 1)[1]
        return [
            sys.executable,
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
            target,
        ]
    if kind == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--no-access-log",
            # h11, whatever else is installed: httptools (uvicorn[standard], blacksheep) refuses
            # some hostile requests itself, and the tests pin what the app is handed
            "--http",
            "h11",
            target,
        ]
    raise ValueError(kind)


@dataclass
class Server:
    kind: str
    port: int
    process: subprocess.Popen[str]
    log_path: pathlib.Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def events(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text().splitlines()

    def output(self) -> str:
        """Everything the server printed (only after it stopped)."""
        return self.process.stdout.read() if self.process.stdout else ""

    def terminate(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        return self.process.returncode


def launch(
    kind: str,
    target: str,
    log_path: pathlib.Path,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> Server:
    """Start a server process (its own process group) without waiting for it.

    ``workers`` is Granian's ``--workers`` (uvicorn runs one process).
    """
    if workers != 1 and not kind.startswith("granian"):
        raise ValueError(f"workers={workers} needs a granian kind, not {kind!r}")
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "ORIONIS_LIVE_LOG": str(log_path)}
    full_env.update(env or {})
    process = subprocess.Popen(
        command(kind, target, port, workers),
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return Server(kind, port, process, log_path)


def start(
    kind: str,
    target: str,
    log_path: pathlib.Path,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> Server:
    """Start a server and wait until it answers, or fail with what it printed."""
    server = launch(kind, target, log_path, env, workers)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{kind} exited early:\n{server.output()}")
        try:
            httpx.get(server.url + "/health", timeout=1.0)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"{kind} did not answer within {START_TIMEOUT}s:\n{server.output()}")


@contextmanager
def granian_workers(
    kind: str, target: str, log_path: pathlib.Path, env: dict[str, str], workers: int = 2
) -> Iterator[str]:
    """``granian --workers 2`` serving ``target``: yields its URL once it answers, stops it after.

    Which worker answers is the kernel's choice; the tests open connections (bounded) until
    every worker pid has answered.
    """
    server = start(kind, target, log_path, env, workers)
    try:
        yield server.url
    finally:
        server.terminate()


def raw_request(port: int, data: bytes, half_close: bool = True, timeout: float = 3.0) -> bytes:
    """Send raw bytes, optionally close our side, and return whatever comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return received
