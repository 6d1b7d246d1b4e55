"""``orionis.deadlines``: one timer per loop for every body wait's deadline.

Driven by a loop double whose clock the test moves, so nothing here waits for time to pass.
"""

from __future__ import annotations

import asyncio
from typing import Any

from orionis import deadlines as deadlines_module
from orionis.deadlines import GRANULARITY, Deadlines
from orionis.requests import BodyWait


class _Handle:
    def __init__(self, when: float, callback: Any) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Loop:
    """``time()`` and ``call_at()``, as much of a loop as ``Deadlines`` uses."""

    def __init__(self) -> None:
        self.now = 0.0
        self.handles: list[_Handle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Any) -> _Handle:
        handle = _Handle(when, callback)
        self.handles.append(handle)
        return handle

    def pending(self) -> list[_Handle]:
        return [h for h in self.handles if not h.cancelled and h.callback is not None]

    def run_until(self, now: float) -> None:
        """Move the clock to ``now``, running the timers due by then, in order."""
        while True:
            due = sorted((h for h in self.pending() if h.when <= now), key=lambda h: h.when)
            if not due:
                break
            handle = due[0]
            self.now = handle.when
            callback, handle.callback = handle.callback, None
            callback()
        self.now = now


class _Wait:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = 0

    def _fire(self) -> None:
        self.fired += 1


def test_one_timer_for_many_waits_fires_each_at_its_deadline() -> None:
    loop = _Loop()
    clock = Deadlines(loop)  # type: ignore[arg-type]
    first, second = _Wait(10.0), _Wait(20.0)
    clock.add(first)
    clock.add(second)
    assert len(loop.pending()) == 1 and loop.pending()[0].when == 10.0
    loop.run_until(9.99)
    assert (first.fired, second.fired) == (0, 0)
    loop.run_until(10.0)
    assert (first.fired, second.fired) == (1, 0)
    loop.run_until(20.0)
    assert (first.fired, second.fired) == (1, 1)
    assert loop.pending() == [] and clock.waits == set()


def test_an_earlier_deadline_moves_the_timer_forward() -> None:
    loop = _Loop()
    clock = Deadlines(loop)  # type: ignore[arg-type]
    late, early = _Wait(30.0), _Wait(5.0)
    clock.add(late)
    clock.add(early)
    assert [h.when for h in loop.pending()] == [5.0]
    loop.run_until(5.0)
    assert (early.fired, late.fired) == (1, 0)


def test_a_discarded_wait_never_fires_and_an_idle_loop_keeps_no_clock() -> None:
    loop = _Loop()
    clock = deadlines_module.deadlines(loop)  # type: ignore[arg-type]
    assert deadlines_module.deadlines(loop) is clock  # type: ignore[arg-type]
    wait = _Wait(1.0)
    clock.add(wait)
    clock.discard(wait)
    loop.run_until(2.0)
    assert wait.fired == 0
    assert loop not in deadlines_module._clocks  # type: ignore[comparison-overlap]


def test_checks_are_at_least_the_granularity_apart() -> None:
    loop = _Loop()
    clock = Deadlines(loop)  # type: ignore[arg-type]
    first, close_behind = _Wait(10.0), _Wait(10.0 + GRANULARITY / 5)
    clock.add(first)
    clock.add(close_behind)
    loop.run_until(10.0)
    assert (first.fired, close_behind.fired) == (1, 0)
    assert [h.when for h in loop.pending()] == [10.0 + GRANULARITY]  # late by < granularity
    loop.run_until(10.0 + GRANULARITY)
    assert close_behind.fired == 1


def test_body_waits_share_one_timer_and_cancel_their_task_at_the_deadline() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Event()

        async def reader() -> str:
            try:
                await gate.wait()
            except asyncio.CancelledError:
                return "cancelled"
            return "read"

        tasks = [asyncio.ensure_future(reader()) for _ in range(100)]
        await asyncio.sleep(0)  # every reader now waits on the gate
        waits = [BodyWait(task, 3600.0) for task in tasks]
        clock = deadlines_module.deadlines(loop)
        assert clock.waits >= set(waits)
        assert clock._handle is not None  # one timer, whatever the number of waits
        for wait in waits[:99]:
            wait.close()
        assert clock.waits == {waits[99]}
        # Its deadline, reached: what the timer does when the hour has passed.
        waits[99].deadline = loop.time()
        clock._check()
        results = await asyncio.gather(*tasks[99:])
        assert results == ["cancelled"] and waits[99].fired
        gate.set()
        assert await asyncio.gather(*tasks[:99]) == ["read"] * 99

    asyncio.run(main())
