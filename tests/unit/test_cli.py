"""``python -m orionis routes|openapi``, run the way a user runs it."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
from openapi_spec_validator import validate

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args: str, log: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORIONIS_CLI_LOG": str(log), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "orionis", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_routes_table_and_cli_lifespan(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "events.log"
    result = run("routes", "tests.unit.cli_app:app", log=log)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["METHOD", "PATH", "NAME", "ENDPOINT"]
    assert ["GET", "/items/{id:int}", "items.show", "tests.unit.cli_app.show_item"] in lines
    assert ["GET", "/users", "users.index", "tests.unit.cli_app.Users.index"] in lines
    assert lines[1][:3] == ["GET", "/openapi.json", "openapi"]
    # Runtime.CLI callbacks (and those for every runtime) ran around the command.
    assert log.read_text().splitlines() == ["startup:any", "startup:cli", "shutdown:cli"]


def test_openapi_command_prints_a_valid_document(tmp_path: pathlib.Path) -> None:
    result = run("openapi", "tests.unit.cli_app:app", log=tmp_path / "events.log")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate(document)
    assert document["info"]["title"] == "CLI test"
    assert "/items/{id}" in document["paths"]


def test_bootstrap_routes(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORIONIS_NOTES_DB", str(tmp_path / "notes.db"))
    result = run("routes", "bootstrap:app", log=tmp_path / "events.log")
    assert result.returncode == 0, result.stderr
    assert "notes.show" in result.stdout and "bootstrap.NotesController.show" in result.stdout


def test_bad_targets_explain_themselves(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "events.log"
    for target, message in [
        ("nowhere:app", "cannot import 'nowhere'"),
        ("tests.unit.cli_app", "expected module:attribute"),
        ("tests.unit.cli_app:not_an_app", "is not an orionis Application"),
    ]:
        result = run("routes", target, log=log)
        assert result.returncode != 0
        assert message in result.stderr
    usage = run("nonsense", log=log)
    assert usage.returncode == 2
    assert "invalid choice" in usage.stderr
