"""Tutorial step 11: production settings. Rate limits (Redis across workers and machines),
trusted hosts, the client address from a trusted proxy, health checks.

    NOTES_REDIS=redis://127.0.0.1:6379 NOTES_HOSTS=notes.example \\
        granian --interface rsgi --workers 4 --host 0.0.0.0 tutorial_11_deploy:app
"""

import os

from orionis import Application
from orionis.middleware import (
    ProxyHeadersMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)

# unset: each worker counts alone; redis://host:6379/0: every worker and machine, one count
STORAGE = os.environ.get("NOTES_REDIS") or "memory://"
HOSTS = os.environ.get("NOTES_HOSTS", "localhost,127.0.0.1,testserver").split(",")

app = Application(title="Notes", debug=False)
app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["127.0.0.1"])  # X-Forwarded-For
app.add_middleware(TrustedHostMiddleware, allowed_hosts=HOSTS)
app.add_middleware(SecurityHeadersMiddleware)
app.add_middleware(
    RateLimitMiddleware,
    limit="100/minute",  # per client address
    storage=STORAGE,
)
app.add_health_route("/healthz")  # liveness; readiness at /healthz/ready


# A tighter limit for one route. A plain string ("5/hour") would count in this process only:
# pass a limiter to share the count through Redis too.
@app.post("/notes", rate_limit=RateLimitMiddleware("5/hour", storage=STORAGE))
async def create_note() -> tuple[dict, int]:
    return {"created": True}, 201
