"""``app.mount_static`` behind real servers (tests/live/test_live_static.py).

The directory is ``public/`` beside the file named by ORIONIS_LIVE_LOG; the test fills it
(and puts a secret next to it) before starting the server.
"""

from __future__ import annotations

import os

from orionis import Application

PUBLIC = os.path.join(os.path.dirname(os.environ.get("ORIONIS_LIVE_LOG", ".")), "public")

app = Application(title="static", docs_url=None, openapi_url=None)
app.get("/health", lambda: "ok")
app.mount_static("/static", PUBLIC, html=True, cache_control="max-age=60")
