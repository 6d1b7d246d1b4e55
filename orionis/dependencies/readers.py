"""Reading one input from a request without I/O: path, query, header, cookie, the request,
the WebSocket, background tasks. Chosen per ``Input`` when its plan is built
(``reader_for``); the body and forms are in ``orionis.dependencies.bodies``.

Each reader is ``read(solver, item)`` and returns the checked value, or ``MISSING`` once
its error is recorded on the solver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orionis.background import BackgroundTasks
from orionis.params import MISSING

if TYPE_CHECKING:
    from orionis.dependencies.plans import Input
    from orionis.dependencies.solver import Solver

__all__ = ["MISSING", "Reader", "reader_for"]


Reader = Callable[["Solver", "Input"], Any]


def read_request(solver: Solver, item: Input) -> Any:
    return solver.request


def read_websocket(solver: Solver, item: Input) -> Any:
    # set on WebSocket handshakes only (websocket_routing)
    return solver.request.websocket  # type: ignore[attr-defined]


def read_background(solver: Solver, item: Input) -> Any:
    if solver.background is None:
        solver.background = BackgroundTasks()
    return solver.background


def read_path(solver: Solver, item: Input) -> Any:
    return solver.check(item, solver.request.path_params.get(item.key, MISSING))


def read_query(solver: Solver, item: Input) -> Any:
    return solver.check(item, solver.request.query_params.get(item.key, MISSING))


def read_query_list(solver: Solver, item: Input) -> Any:
    return solver.check(item, solver.request.query_params.getlist(item.key) or MISSING)


def read_header(solver: Solver, item: Input) -> Any:
    return solver.check(item, solver.request.headers.get(item.key, MISSING))


def read_header_list(solver: Solver, item: Input) -> Any:
    return solver.check(item, solver.request.headers.getlist(item.key) or MISSING)


def read_cookie(solver: Solver, item: Input) -> Any:
    return solver.check(item, solver.request.cookies.get(item.key, MISSING))


_READERS: dict[tuple[str, bool], Reader] = {
    ("request", False): read_request,
    ("websocket", False): read_websocket,
    ("background", False): read_background,
    ("path", False): read_path,
    ("path", True): read_path,
    ("query", False): read_query,
    ("query", True): read_query_list,
    ("header", False): read_header,
    ("header", True): read_header_list,
    ("cookie", False): read_cookie,
    ("cookie", True): read_cookie,
}


def reader_for(source: str, multi: bool) -> Reader | None:
    """The reader for an input from ``source``; None for the body and forms (they await)."""
    return _READERS.get((source, multi))
