"""orionis.dependencies.cleanup: one loop finishes sync and async generator dependencies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from orionis.dependencies.cleanup import finish


def test_both_styles_finish_in_reverse_order_and_see_the_error() -> None:
    seen: list[tuple[str, object]] = []

    def sync_dep() -> Iterator[int]:
        try:
            yield 1
        except ValueError as exc:
            seen.append(("sync", exc))
            raise
        else:
            seen.append(("sync", None))

    async def async_dep() -> AsyncIterator[int]:
        try:
            yield 2
        except ValueError as exc:
            seen.append(("async", exc))
            raise
        else:
            seen.append(("async", None))

    async def run(error: BaseException | None) -> None:
        sync_gen, async_gen = sync_dep(), async_dep()
        next(sync_gen)
        await async_gen.__anext__()
        await finish(None, [(sync_gen, False), (async_gen, True)], error)

    asyncio.run(run(None))
    assert seen == [("async", None), ("sync", None)]
    seen.clear()
    error = ValueError("handler failed")
    asyncio.run(run(error))
    assert seen == [("async", error), ("sync", error)]


def test_a_generator_yielding_twice_is_logged_and_the_rest_still_finish(
    caplog: pytest.LogCaptureFixture,
) -> None:
    finished: list[str] = []

    def twice() -> Iterator[int]:
        yield 1
        yield 2

    async def async_twice() -> AsyncIterator[int]:
        yield 1
        yield 2

    def fine() -> Iterator[int]:
        yield 1
        finished.append("fine")

    async def run() -> None:
        gens = [fine(), twice()]
        for gen in gens:
            next(gen)
        agen = async_twice()
        await agen.__anext__()
        await finish(None, [(gens[0], False), (gens[1], False), (agen, True)], None)

    with caplog.at_level(logging.ERROR, logger="orionis"):
        asyncio.run(run())
    assert finished == ["fine"]
    failures = [r for r in caplog.records if r.getMessage().startswith("cleanup of dependency")]
    assert len(failures) == 2
    assert all("yielded more than once" in str(r.exc_info[1]) for r in failures)
