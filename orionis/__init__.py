"""Orionis: one application object served over RSGI (Granian) and ASGI.

``orionis.COMPILED`` is ``True`` when the Cython-compiled hot path is in use (see
``orionis._hot`` for the ``ORIONIS_NO_EXTENSIONS`` and ``ORIONIS_REQUIRE_EXTENSIONS`` switches).
"""

from orionis._hot import COMPILED
from orionis.controllers import Controller
from orionis.exceptions import HTTPException
from orionis.foundation.application import Application
from orionis.requests import Request
from orionis.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from orionis.routing import NoMatchFound, Router

__version__ = "0.1.0"

__all__ = [
    "COMPILED",
    "Application",
    "Controller",
    "FileResponse",
    "HTMLResponse",
    "HTTPException",
    "JSONResponse",
    "NoMatchFound",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "Router",
    "StreamingResponse",
    "__version__",
]
