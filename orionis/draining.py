"""Ending open streams when the server begins a graceful shutdown.

On SIGTERM (or SIGINT) granian (RSGI and ASGI) and uvicorn stop accepting and then wait for
every response in flight before the application's shutdown runs (ASGI ``lifespan.shutdown``
and RSGI ``__rsgi_del__`` both come after that drain). A stream that never ends by itself,
such as a server-sent events feed, therefore holds the worker forever (granian's
``--workers-kill-timeout`` is off by default) or until uvicorn's
``--timeout-graceful-shutdown`` cancels it. The application cannot see the drain begin
through either protocol, but the signal reaches the worker process first: Granian's workers
install a no-op Python handler and uvicorn its ``handle_exit``. So, when a real server
starts the application (RSGI ``__rsgi_init__`` under the CLI, the ASGI lifespan startup),
Orionis chains its own handler in front of the server's (it calls the server's right after),
and on the signal every stream being sent ends cleanly: the generator is closed (its
``finally`` runs), the body gets its final chunk, and the server's drain can finish.
Responses that are not streams are left to finish as usual.

Only the main thread can install signal handlers: the ``TestClient`` (a loop thread) and
embedded servers are left alone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import weakref
from typing import Any

__all__ = ["begin_draining", "install_signal_hooks", "stream_until"]

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Drain:
    __slots__ = ("begun", "loop", "waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.begun = False
        self.waiters: set[asyncio.Future[None]] = set()


_drains: weakref.WeakKeyDictionary[Any, _Drain] = weakref.WeakKeyDictionary()
_installed: set[int] = set()


def begin_draining(app: Any) -> None:
    """End every stream ``app`` is sending, and any started from now on (runs on the loop)."""
    drain = _drains.get(app)
    if drain is None or drain.begun:
        return
    drain.begun = True
    for waiter in list(drain.waiters):
        if not waiter.done():
            waiter.set_result(None)


def _on_signal(signum: int, frame: Any, previous: Any) -> None:
    for app, drain in list(_drains.items()):
        if not drain.loop.is_closed():
            drain.loop.call_soon_threadsafe(begin_draining, app)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:  # nobody else handles it: what the default does
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def install_signal_hooks(app: Any, loop: asyncio.AbstractEventLoop) -> bool:
    """Watch for the server's shutdown signal on behalf of ``app`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    _drains[app] = _Drain(loop)
    for signum in SIGNALS:
        if signum in _installed:
            continue
        previous = signal.getsignal(signum)
        if previous == signal.SIG_IGN:
            continue  # the server ignores it: so do we

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            _on_signal(signum, frame, previous)

        signal.signal(signum, handler)
        _installed.add(signum)
    return True


def stream_until(app: Any, gone: asyncio.Future[Any]) -> asyncio.Future[Any]:
    """A future done when ``gone`` is (the client left) or when shutdown begins: what a
    stream sends until. Without signal hooks for ``app`` this is ``gone`` itself."""
    drain = _drains.get(app)
    if drain is None:
        return gone
    ends: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if drain.begun:
        ends.set_result(None)
        return ends

    def client_left(_: asyncio.Future[Any]) -> None:
        if not ends.done():
            ends.set_result(None)

    gone.add_done_callback(client_left)
    drain.waiters.add(ends)
    ends.add_done_callback(drain.waiters.discard)
    return ends
