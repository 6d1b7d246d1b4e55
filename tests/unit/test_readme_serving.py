"""README's Serving section works as written on a fresh clone (issue 9, item 11): every
command runs a program from the clone's ``.venv/bin/``, every program it runs is either
installed by the plain install or installed by the command itself first, and ``--reload``'s
extra is part of ``dev``. (The commands were also run by hand on a fresh clone; see the
report.)
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import shlex
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def serving_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Serving\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line:
                commands.extend(shlex.split(part) for part in line.split("&&"))
    return commands


def test_every_serving_command_runs_from_the_virtual_environment() -> None:
    commands = serving_commands()
    programs = {argv[0] for argv in commands}
    assert {".venv/bin/granian", ".venv/bin/uvicorn"} <= programs
    assert all(p.startswith(".venv/bin/") for p in programs), programs
    installed = {"granian", "pip"}  # what the plain install puts in .venv/bin
    for argv in commands:
        name = argv[0].removeprefix(".venv/bin/")
        assert name in installed, f"{name} is used before anything installs it"
        if name == "pip" and argv[1] == "install":
            installed.update(re.split(r"[\[<>=]", a, maxsplit=1)[0] for a in argv[2:])
    reload = [argv for argv in commands if "--reload" in argv]
    assert reload, "the section shows --reload"


def test_reload_extra_is_in_dev_and_installed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = project["project"]["optional-dependencies"]["dev"]
    assert any(d.startswith("granian[reload]") for d in dev)
    assert importlib.util.find_spec("watchfiles") is not None  # what granian --reload needs
