"""``memory://``: publish and subscribe inside one process (one worker, tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orionis.broadcast import Deliver

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """Delivers a published message straight to this process's subscribers. Use Redis as
    soon as there is more than one worker: other processes never see these messages."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def connect(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def disconnect(self) -> None:
        self._deliver = None

    async def subscribe(self, channel: str) -> None:
        pass  # Broadcast keeps the subscribers; nothing to confirm

    async def unsubscribe(self, channel: str) -> None:
        pass

    async def publish(self, channel: str, message: str) -> None:
        if self._deliver is not None:
            self._deliver(channel, message)
