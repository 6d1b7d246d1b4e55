"""Runtimes a lifespan callback can be limited to."""

from enum import Enum


class Runtime(Enum):
    """What the process is doing: serving HTTP, or running a command-line task."""

    HTTP = "http"
    CLI = "cli"
