"""Enums users pass to the application: lifespan events and runtimes."""

from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime

__all__ = ["Lifespan", "Runtime"]
