"""The worker's heartbeat: one row per worker process, rewritten every few seconds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from community.models import utcnow
from extensions import db


class WorkerHeartbeat(db.Model):
    """A worker process (``host:pid``) and when it last said it was alive."""

    __tablename__ = "job_worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


def outside_the_job_queue(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: leave procrastinate's tables, indexes and types (its own
    schema, created by migration 0010) out of autogenerate and ``flask db check``."""
    table = getattr(obj, "table", None)
    names = (name or "", getattr(table, "name", "") or "")
    return not any("procrastinate" in each for each in names)
