"""``python -m orionis``: what it says about a wrong target, its help and --version (issue 9,
item 6). Run as a user runs it, in a subprocess.

Hostile targets tried: a missing attribute in a module with and without Application objects,
an attribute that is not an Application, a module that is not a package path.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import orionis

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args: str, tmp_path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ORIONIS_CLI_LOG": str(tmp_path / "events.log"),
        "ORIONIS_NOTES_DB": str(tmp_path / "notes.db"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "orionis", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_attribute_says_it_does_not_exist_and_lists_apps(tmp_path: pathlib.Path) -> None:
    result = run("routes", "tests.unit.cli_app:missing", tmp_path=tmp_path)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert "has no attribute 'missing'" in message and "Application objects in it: app" in message
    assert "NoneType" not in message and len(message.splitlines()) <= 2


def test_missing_attribute_in_a_module_without_apps(tmp_path: pathlib.Path) -> None:
    result = run("openapi", "json:app", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "'json' has no attribute 'app'" in result.stderr
    assert "no Application" in result.stderr


def test_wrong_attribute_type_still_names_the_apps(tmp_path: pathlib.Path) -> None:
    result = run("routes", "tests.unit.cli_app:not_an_app", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "is not an orionis Application (got int)" in result.stderr
    assert "Application objects in it: app" in result.stderr


def test_help_shows_the_app_argument_without_rest_markup(tmp_path: pathlib.Path) -> None:
    top = run("--help", tmp_path=tmp_path)
    assert top.returncode == 0
    assert "``" not in top.stdout
    assert "{routes,openapi} APP" in top.stdout and "module:attribute" in top.stdout
    assert "python -m orionis routes bootstrap:app" in top.stdout
    assert "--version" in top.stdout
    sub = run("routes", "--help", tmp_path=tmp_path)
    assert sub.returncode == 0
    assert "usage: python -m orionis routes [-h] APP" in sub.stdout
    assert "module:attribute" in sub.stdout and "``" not in sub.stdout


def test_version(tmp_path: pathlib.Path) -> None:
    result = run("--version", tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"orionis {orionis.__version__}"
