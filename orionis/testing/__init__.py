"""Testing helpers: ``TestClient`` runs an app in-process under ASGI or RSGI.

``ServerError`` is what a test gets when the application does something that would crash or
confuse a real server (a status Granian panics on, an invalid header, a second response).
"""

from orionis.testing.client import TestClient
from orionis.testing.servers import ServerError
from orionis.testing.websocket import WebSocketDenied, WebSocketTestSession

__all__ = ["ServerError", "TestClient", "WebSocketDenied", "WebSocketTestSession"]
