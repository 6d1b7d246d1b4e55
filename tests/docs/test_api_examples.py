"""The API reference's examples (docs/examples/api_*.py) run, under both interfaces."""

from __future__ import annotations

from orionis.testing import TestClient
from tests.redis_server import RedisServer


def test_api_orionis(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    module = load("api_orionis")
    with TestClient(module.app, interface=interface) as client:
        module.check(client, interface)


def test_api_middleware(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    module = load("api_middleware")
    with TestClient(module.app, interface=interface) as client:
        module.check(client)


def test_api_middleware_with_redis_sessions(  # type: ignore[no-untyped-def]
    interface: str, load, redis_server: RedisServer
) -> None:
    module = load("api_middleware", NOTES_REDIS=redis_server.url)
    assert module.backend is not None
    with TestClient(module.app, interface=interface) as client:
        module.check(client)


def test_api_security(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    module = load("api_security")
    with TestClient(module.app, interface=interface) as client:
        module.check(client)


def test_api_sse(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    module = load("api_sse")
    with TestClient(module.app, interface=interface) as client:
        module.check(client)


def test_api_testing(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    load("api_testing").test_hello_and_echo(interface)


def test_api_broadcast(interface: str, load) -> None:  # type: ignore[no-untyped-def]
    module = load("api_broadcast")
    with TestClient(module.app, interface=interface) as client:
        module.check(client)


def test_api_broadcast_over_redis(  # type: ignore[no-untyped-def]
    interface: str, load, redis_server: RedisServer
) -> None:
    module = load("api_broadcast", NOTES_BROADCAST=redis_server.url)
    with TestClient(module.app, interface=interface) as client:
        module.check(client)
