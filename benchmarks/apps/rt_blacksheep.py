"""BlackSheep realtime peer (BlackSheep 2.6.4), idiomatic: ``router.add_ws`` with
``receive_text``/``send_text``, and ``ServerSentEventsResponse`` of ``TextServerSentEvent``
over ``rt_common.Hub`` (BlackSheep has no broadcast of its own).

Served with ``granian --interface asgi apps.rt_blacksheep:app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from blacksheep import Application, Request, Response, WebSocket, WebSocketDisconnectError
from blacksheep.server.routing import Router
from blacksheep.server.sse import ServerSentEventsResponse, TextServerSentEvent

from apps.rt_common import STOP, Hub

hub = Hub()
router = Router()


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnectError:
        pass


async def sse(request: Request) -> Response:
    async def events() -> AsyncIterator[TextServerSentEvent]:
        with hub.subscribe() as queue:
            yield TextServerSentEvent("{}", event="ready")
            while (message := await queue.get()) != STOP:
                yield TextServerSentEvent(message)

    return ServerSentEventsResponse(events)


async def publish(request: Request) -> Response:
    hub.publish_query(request.url.query.decode() if request.url.query else "")
    return Response(204)


router.add_ws("/ws", echo)
router.add_get("/sse", sse)
router.add_post("/publish", publish)
app = Application(router=router)
