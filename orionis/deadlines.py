"""Deadlines for many short waits, checked by one timer per event loop.

Every body read waits within ``body_timeout`` (``orionis.requests.BodyWait``). A timer per
read (``loop.call_at``) costs 1-2 us: a ``TimerHandle``, a heap push, a cancel, and the
cancelled handle left in the loop's heap until it would have fired, for every request with a
body. Here a wait is an entry in a set, and one timer per loop fires at the earliest
deadline. Under load the timer runs at most every ``GRANULARITY`` seconds, so a deadline may
fire up to that much late: a ``body_timeout`` of 30 s ends a stalled read after 30-30.05 s.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["GRANULARITY", "Deadlines", "deadlines"]

# The longest a deadline may fire late, and so the shortest interval between two checks.
GRANULARITY = 0.05


class Expiring(Protocol):
    deadline: float | None

    def _fire(self) -> None: ...


class Deadlines:
    """The pending deadlines of one event loop; ``add`` and ``discard`` are set operations."""

    __slots__ = ("_handle", "_loop", "_when", "waits")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.waits: set[Expiring] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0

    def add(self, wait: Expiring) -> None:
        """Fire ``wait._fire()`` once ``wait.deadline`` (loop time) has passed."""
        self.waits.add(wait)
        deadline = wait.deadline
        assert deadline is not None
        if self._handle is None:
            self._schedule(deadline)
        elif deadline < self._when:  # earlier than the next check (a shorter timeout)
            self._handle.cancel()
            self._schedule(deadline)

    def discard(self, wait: Expiring) -> None:
        self.waits.discard(wait)

    def _schedule(self, when: float) -> None:
        self._when = when
        self._handle = self._loop.call_at(when, self._check)

    def _check(self) -> None:
        self._handle = None
        now = self._loop.time()
        due = [w for w in self.waits if w.deadline is not None and w.deadline <= now]
        for wait in due:
            self.waits.discard(wait)
            wait._fire()
        if self.waits:
            earliest = min(w.deadline for w in self.waits if w.deadline is not None)
            self._schedule(max(earliest, now + GRANULARITY))
        else:
            _clocks.pop(self._loop, None)  # nothing pending: a closed loop leaves nothing


_clocks: dict[asyncio.AbstractEventLoop, Deadlines] = {}


def deadlines(loop: asyncio.AbstractEventLoop) -> Deadlines:
    """The running loop's ``Deadlines`` (made on first use)."""
    clock = _clocks.get(loop)
    if clock is None:
        clock = _clocks[loop] = Deadlines(loop)
    return clock
