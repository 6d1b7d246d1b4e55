"""The application object, its lifespan and the enums users pass to it."""

from orionis.foundation.application import Application
from orionis.foundation.enums import Lifespan, Runtime

__all__ = ["Application", "Lifespan", "Runtime"]
