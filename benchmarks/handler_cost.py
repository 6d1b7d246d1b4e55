"""Per-request cost of a realistic handler, Orionis vs FastAPI vs Litestar, in one run.

The handler: ``POST /items?q=..&limit=..&flag=..`` with a JSON body validated by a pydantic
model and one (async) dependency, returning JSON. Each framework's app is called in-process
through its ASGI callable (Orionis also through its RSGI adapter) with a minimal harness, so
the numbers are the frameworks' own cost per request: no server, no network. Every app's
answer is checked before timing.

    pip install -e ".[bench]"
    python benchmarks/handler_cost.py [--requests 20000] [--rounds 5]

Rounds are interleaved (each round times every framework in turn). Prints a table (median
and range of microseconds per request over the rounds, ratio to Orionis) and writes
benchmarks/results/handler_cost.json.
"""

# No ``from __future__ import annotations`` here: each app's handler is defined inside a
# function with locally imported markers, which postponed annotations could not resolve.
import argparse
import asyncio
import gc
import json
import pathlib
import platform
import statistics
import sys
import time
from typing import Annotated, Any

import orjson
import pydantic

from orionis.testing.servers import _RSGIHeaders  # Granian's header map, as TestClient fakes it

ROOT = pathlib.Path(__file__).resolve().parent
BODY = orjson.dumps({"name": "widget", "price": 9.5, "tags": ["a", "b", "c"]})
QUERY = b"q=shoes&limit=25&flag=true"
EXPECTED = {
    "q": "shoes",
    "limit": 25,
    "flag": True,
    "item": {"name": "widget", "price": 9.5, "tags": ["a", "b", "c"]},
    "db": "main",
}


class Item(pydantic.BaseModel):
    name: str = pydantic.Field(min_length=1, max_length=100)
    price: float = pydantic.Field(gt=0)
    tags: list[str] = []


class DB:
    name = "main"


_DB = DB()


async def get_db() -> DB:
    return _DB


# -- the same handler in each framework ------------------------------------------------------
def orionis_app() -> Any:
    from orionis import Application, Depends, Query

    app = Application(openapi_url=None)

    @app.post("/items")
    async def create(
        item: Item,
        db: Annotated[DB, Depends(get_db)],
        q: str,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        flag: bool = False,
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "flag": flag, "item": item, "db": db.name}

    return app


def fastapi_app() -> Any:
    from fastapi import Depends, FastAPI, Query

    app = FastAPI(openapi_url=None)

    @app.post("/items")
    async def create(
        item: Item,
        db: Annotated[DB, Depends(get_db)],
        q: str,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        flag: bool = False,
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "flag": flag, "item": item, "db": db.name}

    return app


def litestar_app() -> Any:
    from litestar import Litestar, post
    from litestar.di import Provide
    from litestar.params import Parameter

    @post("/items", status_code=200)
    async def create(
        data: Item,
        db: DB,
        q: str,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 10,
        flag: bool = False,
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "flag": flag, "item": data, "db": db.name}

    return Litestar(
        [create], dependencies={"db": Provide(get_db)}, openapi_config=None, logging_config=None
    )


# -- minimal servers -------------------------------------------------------------------------
SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/items",
    "raw_path": b"/items",
    "query_string": QUERY,
    "root_path": "",
    "headers": [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
        (b"user-agent", b"bench"),
        (b"accept", b"*/*"),
    ],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
    "state": {},
}


async def asgi_call(app: Any) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await asyncio.sleep(3600)  # a real server would wait for a disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(SCOPE), receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


class _Scope:
    proto = "http"
    http_version = "1.1"
    scheme = "http"
    method = "POST"
    path = "/items"
    query_string = QUERY.decode()
    authority = None
    client = "127.0.0.1:50000"
    server = "127.0.0.1:8000"
    headers = _RSGIHeaders([(k.decode(), v.decode()) for k, v in SCOPE["headers"]])


class _Protocol:
    def __init__(self) -> None:
        self.result: tuple[int, bytes] = (0, b"")

    async def __call__(self) -> bytes:
        return BODY

    def response_bytes(self, status: int, headers: Any, body: bytes) -> None:
        self.result = (status, body)

    def response_str(self, status: int, headers: Any, body: str) -> None:
        self.result = (status, body.encode())


async def rsgi_call(app: Any) -> tuple[int, bytes]:
    protocol = _Protocol()
    await app.__rsgi__(_Scope(), protocol)
    return protocol.result


async def asgi_lifespan(app: Any) -> None:
    messages = [{"type": "lifespan.startup"}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)
        return {"type": "lifespan.shutdown"}

    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    )
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()


async def check_and_warm(call: Any, app: Any, requests: int) -> None:
    status, body = await call(app)
    if status != 200 or orjson.loads(body) != EXPECTED:
        raise SystemExit(f"{call.__name__} answered {status} {body[:200]!r}: not comparable")
    for _ in range(min(2000, requests)):  # warm up
        await call(app)


async def time_once(call: Any, app: Any, requests: int) -> float:
    """Microseconds per request over ``requests`` calls."""
    gc.collect()
    started = time.perf_counter()
    for _ in range(requests):
        await call(app)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int, rounds: int) -> dict[str, Any]:
    import orionis

    cases = [
        ("Orionis (RSGI)", rsgi_call, orionis_app()),
        ("Orionis (ASGI)", asgi_call, orionis_app()),
        ("FastAPI", asgi_call, fastapi_app()),
        ("Litestar", asgi_call, litestar_app()),
    ]
    for name, call, app in cases:
        if name.startswith("Orionis"):
            await app.startup()
        else:
            await asgi_lifespan(app)
        await check_and_warm(call, app, requests)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(rounds):  # interleaved: each round times every framework in turn
        for name, call, app in cases:
            samples[name].append(await time_once(call, app, requests))
    rows = [
        {
            "framework": name,
            "us_per_request": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "samples": values,
        }
        for name, values in samples.items()
    ]
    base = rows[0]["us_per_request"]
    for row in rows:
        row["relative_to_orionis_rsgi"] = row["us_per_request"] / base
    return {
        "benchmark": "handler_cost",
        "handler": "POST /items: 3 query params, pydantic body, 1 async dependency, JSON out",
        "requests_per_round": requests,
        "rounds": rounds,
        "orionis_compiled": orionis.COMPILED,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "rows": rows,
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(main(args.requests, args.rounds))
    print(f"{'framework':<16} {'us/request':>11} {'range':>15} {'x Orionis RSGI':>15}")
    for row in result["rows"]:
        spread = f"{row['min']:.2f}-{row['max']:.2f}"
        print(
            f"{row['framework']:<16} {row['us_per_request']:>11.2f} {spread:>15} "
            f"{row['relative_to_orionis_rsgi']:>15.2f}"
        )
    out = ROOT / "results" / "handler_cost.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    cli()
