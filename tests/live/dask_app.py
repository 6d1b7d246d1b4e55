"""``executor="process"`` routes on a Dask cluster, as docs/handlers.md shows it (live tests).

The scheduler address comes from ``ORIONIS_DASK_SCHEDULER``; each server worker process
connects its own client at import and closes it at shutdown.
"""

from __future__ import annotations

import os

from distributed import Client

from orionis import Application, Lifespan
from tests.http import process_jobs

client = Client(os.environ["ORIONIS_DASK_SCHEDULER"], timeout=60)
app = Application(process_executor=client.get_executor(pure=False))
app.on(Lifespan.SHUTDOWN, client.close)
app.get("/health", lambda: {"pid": os.getpid()})
app.get("/who/{n:int}", process_jobs.whoami, executor="process")
