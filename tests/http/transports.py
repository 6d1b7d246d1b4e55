"""Watching the fake RSGI server's stream transports, for the reference-cycle tests."""

from __future__ import annotations

import weakref
from typing import Any

import pytest

from orionis.testing import servers as fake_servers


def track_stream_transports(monkeypatch: pytest.MonkeyPatch) -> list[weakref.ref[Any]]:
    """A list that gets a weak reference to every stream transport the fake RSGI server
    hands out from now on (until ``monkeypatch`` undoes it)."""
    transports: list[weakref.ref[Any]] = []
    original = fake_servers._RSGIProtocol.response_stream

    def tracked(self: Any, status: int, headers: list[tuple[str, str]]) -> Any:
        transport = original(self, status, headers)
        transports.append(weakref.ref(transport))
        return transport

    monkeypatch.setattr(fake_servers._RSGIProtocol, "response_stream", tracked)
    return transports
