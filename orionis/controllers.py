"""Controllers: classes whose public methods are route actions.

``app.get("/users", (UserController, "index"))`` creates a ``UserController()`` for every
request and calls its ``index`` like any handler, so per-request state on ``self`` is safe.
"""

__all__ = ["Controller"]


class Controller:
    """Base class for controllers. Subclass it and register ``(YourController, "action")``."""
