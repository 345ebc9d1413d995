"""``/readyz``: may this instance take traffic? The database answers, its migrations are
at head, Redis answers (when REDIS_URL is set) and a job worker beat recently.

JSON either way; 503 when any check fails. The answer names each check and, for a
failure, only the kind of error (never a connection string or a message with one).
"""

from __future__ import annotations

from datetime import datetime

import redis
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import func, select, text

from community.models import utcnow
from extensions import db
from jobs.models import WorkerHeartbeat

bp = Blueprint("readiness", __name__)

HEADS = "linli_migration_heads"


def worker_heartbeat_age(now: datetime | None = None) -> float | None:
    """Seconds since the newest worker heartbeat, or None when no worker has one."""
    newest = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if newest is None:
        return None
    return max(0.0, ((now or utcnow()) - newest).total_seconds())


def _migration_heads(app: Flask) -> set[str]:
    """The head revisions of the app's migration scripts (read once per app)."""
    heads = app.extensions.get(HEADS)
    if heads is None:
        config = AlembicConfig()
        config.set_main_option("script_location", app.extensions["migrate"].directory)
        heads = app.extensions[HEADS] = set(ScriptDirectory.from_config(config).get_heads())
    return heads


def _check_database() -> dict:
    db.session.execute(text("SELECT 1"))
    return {"ok": True}


def _check_migrations() -> dict:
    applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    heads = _migration_heads(current_app)
    return {"ok": applied == heads, "at": sorted(applied), "head": sorted(heads)}


def _check_redis() -> dict:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "configured": False}
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True, "configured": True}


def _check_worker() -> dict:
    age = worker_heartbeat_age()
    limit = current_app.config["WORKER_STALE_SECONDS"]
    return {
        "ok": age is not None and age <= limit,
        "heartbeat_age_seconds": None if age is None else round(age, 1),
    }


CHECKS = {
    "database": _check_database,
    "migrations": _check_migrations,
    "redis": _check_redis,
    "worker": _check_worker,
}


@bp.get("/readyz")
def readyz():
    """Each check's outcome; 200 when all pass, else 503."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # any failure is an answer here, never a 500
            db.session.rollback()
            results[name] = {"ok": False, "error": type(error).__name__}
    ready = all(result["ok"] for result in results.values())
    db.session.rollback()  # end the read: a load balancer calls this every few seconds
    response = jsonify({"ready": ready, "checks": results})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
