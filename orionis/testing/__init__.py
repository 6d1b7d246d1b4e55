"""Testing helpers: ``TestClient`` runs an app in-process under ASGI or RSGI."""

from orionis.testing.client import TestClient
from orionis.testing.websocket import WebSocketDenied, WebSocketTestSession

__all__ = ["TestClient", "WebSocketDenied", "WebSocketTestSession"]
