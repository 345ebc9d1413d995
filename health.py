"""``/healthz``: the process is up and answers (for a load balancer or an orchestrator).

It reads no database, no session and no template, so it is cheap and says only that
this process can serve; whether the database, the migrations, Redis and the worker
are well is ``/readyz``'s question. It answers over plain HTTP too (the load balancer
asks from inside), is never cached, and is not written to the request log.
"""

from __future__ import annotations

from flask import Flask, Response


def healthz() -> Response:
    """200 "ok" whenever this process answers."""
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


def register_health(app: Flask) -> None:
    """Add /healthz, exempt from the HTTPS redirect (after register_security)."""
    view = app.extensions["talisman"](force_https=False)(healthz)
    app.add_url_rule("/healthz", endpoint="healthz", view_func=view, methods=["GET"])
