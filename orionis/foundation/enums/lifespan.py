"""Lifespan events that ``Application.on`` accepts."""

from enum import Enum


class Lifespan(Enum):
    """When a callback runs: before a worker serves, or after its in-flight requests end."""

    STARTUP = "startup"
    SHUTDOWN = "shutdown"
