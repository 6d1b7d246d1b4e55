"""Cancelling a request's handler when its client goes away (both protocols).

``Application(cancel_on_disconnect=True)`` (the default) cancels the task serving a request
whose client leaves before the response is ready: the handler sees ``CancelledError``,
generator dependencies get it thrown in at cleanup, background tasks are dropped and no
response is sent. A route registered with ``cancel_on_disconnect=False`` runs to completion
(its answer then goes nowhere); ``cancel_on_disconnect=True`` on a route opts it in when the
application's default is off.

Cost: a request whose pipeline never waits on anything (the common fast answer) pays
nothing: the adapters start the dispatch coroutine by hand (``coroutine.send(None)``) and, if
it suspends, ``Resume`` it, which makes a guard at the first wait that is not the request's own
body read (a read ends by itself when the client leaves). Nothing is watched until the request has
outlived one pass of the event loop after that wait: the guard joins a batch that one shared
``loop.call_soon`` callback arms on the next pass. A request still running then starts the
protocol's watcher: RSGI's ``protocol.client_disconnect()``,
or under ASGI the request's bounded ``http.disconnect`` watcher, which reads ``receive()``
only when nobody else is reading it (a handler mid-body hands over once its read returns),
so body reading and watching never race.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orionis.requests import Request

__all__ = [
    "DisconnectGuard",
    "Resume",
    "check_cancel_on_disconnect",
    "guard_request",
    "wants_cancel",
]


def check_cancel_on_disconnect(value: Any, owner: str, inherit: bool = False) -> bool | None:
    """``value`` if it is a valid ``cancel_on_disconnect`` setting, else ``TypeError``."""
    if value is None and inherit:
        return None
    if not isinstance(value, bool):
        allowed = "True, False or None (inherit the application's)" if inherit else "True or False"
        raise TypeError(f"{owner}: cancel_on_disconnect must be {allowed}, not {value!r}")
    return value


def wants_cancel(request: Request) -> bool:
    """Whether ``request`` is to be cancelled when its client leaves: the route's setting,
    else the application's."""
    route = request.route
    option = getattr(route, "cancel_on_disconnect", None) if route is not None else None
    if option is None:
        return bool(getattr(request.app, "cancel_on_disconnect", True))
    return option


def _any_route_opts_in(app: Any) -> bool:
    table = app.route_table
    cached = getattr(app, "_cancel_cache", None)
    if cached is not None and cached[0] is table:
        return cached[1]
    found = any(
        getattr(entry.route, "cancel_on_disconnect", None) is True for entry in table.entries
    )
    app._cancel_cache = (table, found)
    return found


class DisconnectGuard:
    """Cancels the current task if the client leaves while the response is being made.

    ``start()`` is called at most once, one loop pass after the guard is made, and returns a
    future resolving when the client leaves (or ``None``: nothing to watch). ``stop()`` ends
    the guard when the response is ready; ``Resume``, which makes and stops it, asks
    ``swallow()`` whether a cancellation was the guard's own.

    Guards made in the same loop pass share one ``call_soon`` callback (``_arm_all``): a
    request that never waits costs a small object and a list append, not a loop handle.
    """

    __slots__ = ("_request", "_start", "_task", "fired", "waiter")

    def __init__(self, request: Request, start: Callable[[], asyncio.Future[Any] | None]) -> None:
        self._task: asyncio.Task[Any] | None = asyncio.current_task()
        self._request: Request | None = request
        self._start: Callable[[], asyncio.Future[Any] | None] | None = start
        self.fired = False
        self.waiter: asyncio.Future[Any] | None = None

    def _arm(self) -> None:
        start = self._start
        if self._task is None or start is None:  # already answered
            return
        waiter = start()
        if waiter is not None:
            self.waiter = waiter
            waiter.add_done_callback(self._gone)

    def _gone(self, waiter: asyncio.Future[Any]) -> None:
        task = self._task
        if task is None or waiter.cancelled() or task.done():
            return
        request = self._request
        if request is None or not wants_cancel(request):  # decided now: the route is known
            return
        self.fired = True
        task.cancel("the client disconnected")

    def stop(self) -> asyncio.Future[Any] | None:
        """The response is ready: cancel nothing from now on. Returns the watcher's future,
        if one was started (the caller cancels or reuses it)."""
        task = self._task
        self._task = None
        if self.fired and task is not None and task is asyncio.current_task():
            # Cancelled, but the dispatch caught it and answered anyway: the client is gone
            # all the same; undo the request so later awaits are not cancelled by it.
            self.fired = False
            task.uncancel()
        # Nothing the guard holds (it may wait in a batch a while) keeps the request alive.
        self._request = None
        self._start = None
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.remove_done_callback(self._gone)
        return waiter

    def swallow(self) -> bool:
        """In ``except CancelledError``: ``True`` if only the guard cancelled the task (then
        the request simply ends), ``False`` if someone else did too (re-raise)."""
        if not self.fired:
            return False
        self.fired = False  # counted once (stop() would otherwise undo it again)
        task = asyncio.current_task()
        return task is not None and task.uncancel() == 0


# Guards waiting for the next loop pass, per event loop (tests may run several loops).
_batches: dict[asyncio.AbstractEventLoop, list[DisconnectGuard]] = {}


def _arm_all(loop: asyncio.AbstractEventLoop) -> None:
    batch = _batches.pop(loop, ())
    for guard in batch:
        if guard._task is not None:  # most requests are answered by now
            guard._arm()


def guard_request(
    request: Request, start: Callable[[], asyncio.Future[Any] | None]
) -> DisconnectGuard | None:
    """A guard for ``request``, or ``None`` when no route can want cancellation."""
    app = request.app
    if not getattr(app, "cancel_on_disconnect", True) and not _any_route_opts_in(app):
        return None
    guard = DisconnectGuard(request, start)
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = []
        loop.call_soon(_arm_all, loop)
    batch.append(guard)
    return guard


class Resume:
    """Awaits a coroutine that was started by hand and suspended, yielding ``first``.

    The adapters run ``dispatch`` with ``send(None)``: most requests finish right there
    (``StopIteration``) and need no guard. One that suspends is awaited through this:
    ``first`` (the future it waits on, or ``None``) goes to the task as if the coroutine had
    been awaited directly, and whatever the task throws in (cancellation) goes into the
    coroutine.

    Given a ``request`` (and the ``start`` of its watcher), the disconnect guard is made
    here, at the first suspension that is not the task's own body read, and stopped when the
    coroutine ends (``gone`` then holds the watcher's future, if one was started, for the
    adapter to cancel or reuse). A cancellation that was only the guard's ends the await
    with ``None`` instead of a response: the client left, there is nobody to answer.

    A body read ends by itself when the client leaves (and within ``body_timeout``):
    watching the client as well would cost more than the read (a server future or task per
    request), so a request is not watched while it only reads its body (an echo is never
    watched), unless its read cannot see the client leave (``Request._read_sees_leaving``).
    """

    __slots__ = ("_coro", "_first", "_request", "_start", "gone", "guard")

    def __init__(
        self,
        coro: Coroutine[Any, Any, Any],
        first: Any,
        request: Request | None = None,
        start: Callable[[], asyncio.Future[Any] | None] | None = None,
    ) -> None:
        self._coro = coro
        self._first = first
        self._request = request
        self._start = start
        self.guard: DisconnectGuard | None = None
        self.gone: asyncio.Future[Any] | None = None

    def __await__(self) -> Generator[Any, None, Any]:
        coro = self._coro
        value = self._first
        self._first = None
        request = self._request
        task = asyncio.current_task() if request is not None else None
        try:
            while True:
                if request is not None:
                    wait = request._body_wait
                    if wait is None or wait.task is not task or not request._read_sees_leaving():
                        # It waits on more than its own body: guarded from now on.
                        self.guard = guard_request(request, self._start)  # type: ignore[arg-type]
                        request = task = self._request = self._start = None
                try:
                    yield value
                except GeneratorExit:
                    coro.close()
                    raise
                except BaseException as exc:  # thrown in by the task: the coroutine decides
                    try:
                        value = coro.throw(exc)
                    except StopIteration as done:
                        return done.value
                    continue
                if request is None:
                    # Resumed with None (a task only ever sends None): the rest, delegated.
                    return (yield from coro.__await__())
                try:  # still in its body read: one step at a time, to see where it waits next
                    value = coro.send(None)
                except StopIteration as done:
                    return done.value
        except asyncio.CancelledError:
            guard = self.guard
            if guard is None or not guard.swallow():
                raise
            return None  # the client left: nobody to answer; cleanups see it
        finally:
            # A traceback keeps this frame: it must not keep the task (which keeps the
            # exception) or the request in a cycle.
            request = task = self._request = self._start = None
            guard = self.guard
            if guard is not None:
                self.gone = guard.stop()
