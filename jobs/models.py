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
