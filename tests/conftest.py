"""Suite-wide rules.

- Refuses to run when a compiled twin is older than its source (an editable install would
  silently test stale code): reinstall with ``pip install -e .``.
- Every HTTP test takes the ``interface`` fixture, so it runs under "asgi" and "rsgi".
- A skipped or xfailed test fails the run: install what a test needs instead (see .ci/run).
- The summary counts passed tests per interface, live server, hot-path twin, and mode.
"""

from __future__ import annotations

import collections
import pathlib
from collections.abc import Iterator

import pytest

import orionis
from tests.redis_server import RedisServer

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODE = "compiled" if orionis.COMPILED else "pure"


def _stale_extensions() -> list[str]:
    stale = []
    for so in (ROOT / "orionis" / "_hot").glob("*_c.*.so"):
        source = so.with_name(so.name.split("_c.", 1)[0] + ".py")
        if source.exists() and so.stat().st_mtime < source.stat().st_mtime:
            stale.append(f"{so.name} is older than {source.name}")
    return stale


def pytest_configure(config: pytest.Config) -> None:
    stale = _stale_extensions()
    if stale:
        raise pytest.UsageError(
            "stale compiled extensions: "
            + "; ".join(stale)
            + '. Rebuild them: pip install -e ".[dev]"'
        )
    config._orionis_counts = collections.Counter()  # type: ignore[attr-defined]
    config._orionis_skips = []  # type: ignore[attr-defined]
    config._orionis_kinds = {}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A real ``redis-server`` on 127.0.0.1 (a free port), one per test module."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def guards(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The disconnect guards (``orionis.disconnect.DisconnectGuard``) made during the test."""
    from orionis import disconnect

    made: list[object] = []
    original = disconnect.DisconnectGuard

    class Counting(original):  # type: ignore[misc, valid-type]
        __slots__ = ()

        def __init__(self, *args: object) -> None:
            made.append(self)
            super().__init__(*args)

    monkeypatch.setattr(disconnect, "DisconnectGuard", Counting)
    return made


@pytest.fixture(params=["asgi", "rsgi"])
def interface(request: pytest.FixtureRequest) -> str:
    """The protocol a test's ``TestClient`` speaks; every HTTP test runs under both."""
    return request.param


def _kind(item: pytest.Item) -> str:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "interface" in params:
        return params["interface"]
    if "server" in params:
        return f"live:{params['server']}"
    if "twin" in params:
        return f"twin:{params['twin']}"
    return "other"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config._orionis_kinds = {item.nodeid: _kind(item) for item in items}  # type: ignore[attr-defined]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _config
    if config is None:
        return
    if report.skipped or hasattr(report, "wasxfail"):
        config._orionis_skips.append(report.nodeid)  # type: ignore[attr-defined]
    elif report.when == "call" and report.passed:
        kind = config._orionis_kinds.get(report.nodeid, "other")  # type: ignore[attr-defined]
        config._orionis_counts[kind] += 1  # type: ignore[attr-defined]


_config: pytest.Config | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _config
    _config = session.config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config._orionis_skips and session.exitstatus == 0:  # type: ignore[attr-defined]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    counts = config._orionis_counts  # type: ignore[attr-defined]
    tr = terminalreporter
    tr.section(f"Orionis: passed tests by kind (mode: {MODE}, COMPILED={orionis.COMPILED})")
    for kind in sorted(counts):
        tr.write_line(f"  {kind:<22} {counts[kind]:>5}")
    tr.write_line(f"  {'total':<22} {sum(counts.values()):>5}")
    skips = config._orionis_skips  # type: ignore[attr-defined]
    if skips:
        tr.write_line(
            f"FAILED: {len(skips)} test(s) skipped or xfailed; skips hide problems, "
            "install what they need instead:",
            red=True,
        )
        for nodeid in skips:
            tr.write_line(f"  {nodeid}", red=True)
