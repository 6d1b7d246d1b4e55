"""Module-level handlers for the ``executor="process"`` tests in ``test_dependencies.py``.

The process pool pickles a handler by reference (module and qualified name), so these live at
module level in an importable module; the worker process imports this file to run them.
"""

from __future__ import annotations

import os
from typing import Annotated

from orionis import BackgroundTasks, Depends, Header, HTTPException, Request


def tenant(x_tenant: Annotated[str, Header()] = "public") -> str:
    """A dependency solved in the server process; only its value crosses to the worker."""
    return f"tenant:{x_tenant}"


def whoami(
    n: int,
    word: str,
    owner: Annotated[str, Depends(tenant)],
    times: int = 2,
) -> dict[str, object]:
    """Reports the worker's pid and echoes the path/query/dependency values it received."""
    return {"pid": os.getpid(), "n": n, "word": word * times, "owner": owner, "double": n * 2}


def cpu_sum(limit: int) -> dict[str, int]:
    """A CPU-bound job: the sum of squares below ``limit``."""
    return {"pid": os.getpid(), "sum": sum(i * i for i in range(limit))}


async def async_job() -> dict[str, str]:
    """Refused for executor="process": coroutines cannot run in the pool."""
    return {"kind": "async"}


def takes_request(request: Request) -> dict[str, str]:
    """Refused for executor="process": a Request cannot cross the process boundary."""
    return {"path": request.path}


def takes_tasks(tasks: BackgroundTasks) -> dict[str, int]:
    """Refused for executor="process": BackgroundTasks cannot cross the process boundary."""
    return {"queued": len(tasks.tasks)}


def fail(code: int) -> dict[str, str]:
    """Raises in the worker: an HTTPException for a non-zero ``code``, else a RuntimeError."""
    if code:
        raise HTTPException(code, f"worker says {code}")
    raise RuntimeError("worker crashed with secret 0xdeadbeef")


def die() -> None:
    """Kills the worker process outright, as a segfault or the OOM killer would."""
    os._exit(1)
