"""The app the client-disconnect live tests serve. ``GET /wait?name=x`` logs ``x started``,
then waits until the file ``<log>.x`` exists (the test creates it) and logs ``x finished``;
cancelled, it logs ``x cancelled``; its generator dependency logs what it saw. ``/keep`` does
the same with ``cancel_on_disconnect=False``. Everything goes to ORIONIS_LIVE_LOG."""

from __future__ import annotations

import asyncio
import os
import pathlib
from collections.abc import AsyncIterator

from orionis import Application, Depends

SAFETY = 30.0

app = Application(title="live disconnect")


def record(event: str) -> None:
    with open(os.environ["ORIONIS_LIVE_LOG"], "a", encoding="utf-8") as handle:
        handle.write(event + "\n")


async def resource(name: str) -> AsyncIterator[None]:
    try:
        yield
    except asyncio.CancelledError:
        record(f"{name} dependency saw CancelledError")
        raise
    finally:
        record(f"{name} dependency closed")


async def work(name: str) -> dict:
    record(f"{name} started")
    flag = pathlib.Path(os.environ["ORIONIS_LIVE_LOG"] + "." + name)
    try:
        for _ in range(int(SAFETY / 0.01)):  # bounded: the test creates the file or leaves
            if flag.exists():
                break
            await asyncio.sleep(0.01)
    except asyncio.CancelledError:
        record(f"{name} cancelled")
        raise
    record(f"{name} finished")
    return {"name": name}


@app.get("/health")
async def health() -> dict:
    return {"ok": True}


@app.get("/wait")
async def wait(name: str, _: None = Depends(resource)) -> dict:
    return await work(name)


@app.get("/keep", cancel_on_disconnect=False)
async def keep(name: str, _: None = Depends(resource)) -> dict:
    return await work(name)
