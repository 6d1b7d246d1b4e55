"""Command line: ``python -m orionis routes APP`` and ``python -m orionis openapi APP``.

Commands run inside the application's ``Runtime.CLI`` lifespan, so startup callbacks
registered for the CLI (or for every runtime) run around them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from orionis import __version__
from orionis.foundation.application import Application
from orionis.foundation.enums.runtimes import Runtime

__all__ = ["load_app", "main"]


def load_app(target: str) -> Application:
    """Import ``module:attribute`` (the working directory is importable, as for servers)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise SystemExit(f"expected module:attribute (like bootstrap:app), got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"cannot import {module_name!r}: {exc}") from None
    apps = [n for n, v in vars(module).items() if isinstance(v, Application)]
    found = f"Application objects in it: {', '.join(apps)}" if apps else "it has no Application"
    if not hasattr(module, attribute):
        raise SystemExit(f"{module_name!r} has no attribute {attribute!r}; {found}")
    app = getattr(module, attribute)
    if not isinstance(app, Application):
        raise SystemExit(
            f"{target} is not an orionis Application (got {type(app).__name__}); {found}"
        )
    return app


def _endpoint_name(route: Any) -> str:
    endpoint = route.endpoint
    if isinstance(endpoint, tuple | list):
        cls, method = endpoint
        return f"{cls.__module__}.{cls.__qualname__}.{method}"
    module = getattr(endpoint, "__module__", None) or type(endpoint).__module__
    name = getattr(endpoint, "__qualname__", None) or type(endpoint).__qualname__
    return f"{module}.{name}"


def route_rows(app: Application) -> list[tuple[str, str, str, str]]:
    """``(methods, path, name, endpoint)`` for every registered route, in table order."""
    rows = []
    for entry in app.route_table.entries:
        route = entry.route
        if route is None:
            continue
        rows.append((",".join(route.methods), entry.path, route.name, _endpoint_name(route)))
    return rows


def _print_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


async def _run(args: argparse.Namespace) -> int:
    app = load_app(args.app)
    async with app.lifespan(Runtime.CLI):
        if args.command == "routes":
            _print_table(route_rows(app), ("METHOD", "PATH", "NAME", "ENDPOINT"))
        else:
            sys.stdout.write(orjson.dumps(app.openapi(), option=orjson.OPT_INDENT_2).decode())
            sys.stdout.write("\n")
    return 0


USAGE = "python -m orionis [--version] {routes,openapi} APP"
DESCRIPTION = """\
Inspect an Orionis application. APP is module:attribute, as for servers (e.g. bootstrap:app,
imported from the working directory). Commands run inside the application's Runtime.CLI
lifespan, so its CLI startup and shutdown callbacks run around them."""
EPILOG = """\
examples:
  python -m orionis routes bootstrap:app     list routes: method, path, name, endpoint
  python -m orionis openapi bootstrap:app    print the OpenAPI document as JSON"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orionis",
        usage=USAGE,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"orionis {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{routes,openapi}", prog="python -m orionis"
    )
    app_help = "the application, as module:attribute (e.g. bootstrap:app)"
    routes = commands.add_parser("routes", help="list the routes: method, path, name, endpoint")
    routes.add_argument("app", metavar="APP", help=app_help)
    openapi = commands.add_parser("openapi", help="print the OpenAPI document as JSON")
    openapi.add_argument("app", metavar="APP", help=app_help)
    return asyncio.run(_run(parser.parse_args(argv)))
