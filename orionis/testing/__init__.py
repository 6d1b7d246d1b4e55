"""Testing helpers: ``TestClient`` runs an app in-process under ASGI or RSGI."""

from orionis.testing.client import TestClient

__all__ = ["TestClient"]
