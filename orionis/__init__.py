"""Orionis: one application object served over RSGI (Granian) and ASGI.

``orionis.COMPILED`` is ``True`` when the Cython-compiled hot path is in use (see
``orionis._hot`` for the ``ORIONIS_NO_EXTENSIONS`` and ``ORIONIS_REQUIRE_EXTENSIONS`` switches).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orionis._hot import COMPILED
from orionis._lazy import lazy_exports

if TYPE_CHECKING:
    from orionis.background import BackgroundTasks
    from orionis.controllers import Controller
    from orionis.dependencies import Depends
    from orionis.exceptions import HTTPException, RequestValidationError
    from orionis.forms import FormData, UploadFile
    from orionis.foundation.application import Application
    from orionis.foundation.enums.lifespan import Lifespan
    from orionis.foundation.enums.runtimes import Runtime
    from orionis.params import Body, Cookie, File, Form, Header, Path, Query
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
    from orionis.websockets import WebSocket, WebSocketDisconnect, WebSocketState

# Public names, imported on first use (PEP 562): importing one light module, such as
# ``orionis.foundation.enums.runtimes``, must not load the whole application with it.
_EXPORTS = {
    "BackgroundTasks": "orionis.background",
    "Controller": "orionis.controllers",
    "Depends": "orionis.dependencies",
    "HTTPException": "orionis.exceptions",
    "RequestValidationError": "orionis.exceptions",
    "FormData": "orionis.forms",
    "UploadFile": "orionis.forms",
    "Application": "orionis.foundation.application",
    "Lifespan": "orionis.foundation.enums.lifespan",
    "Runtime": "orionis.foundation.enums.runtimes",
    "Body": "orionis.params",
    "Cookie": "orionis.params",
    "File": "orionis.params",
    "Form": "orionis.params",
    "Header": "orionis.params",
    "Path": "orionis.params",
    "Query": "orionis.params",
    "Request": "orionis.requests",
    "FileResponse": "orionis.responses",
    "HTMLResponse": "orionis.responses",
    "JSONResponse": "orionis.responses",
    "PlainTextResponse": "orionis.responses",
    "RedirectResponse": "orionis.responses",
    "Response": "orionis.responses",
    "StreamingResponse": "orionis.responses",
    "NoMatchFound": "orionis.routing",
    "Router": "orionis.routing",
    "WebSocket": "orionis.websockets",
    "WebSocketDisconnect": "orionis.websockets",
    "WebSocketState": "orionis.websockets",
}


__getattr__, __dir__ = lazy_exports("orionis", _EXPORTS, globals())


__version__ = "0.1.0"
"""The installed release of Orionis (PEP 440), the same as the package metadata."""

__all__ = [
    "COMPILED",
    "Application",
    "BackgroundTasks",
    "Body",
    "Controller",
    "Cookie",
    "Depends",
    "File",
    "FileResponse",
    "Form",
    "FormData",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "JSONResponse",
    "Lifespan",
    "NoMatchFound",
    "Path",
    "PlainTextResponse",
    "Query",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "Router",
    "Runtime",
    "StreamingResponse",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketState",
    "__version__",
]
