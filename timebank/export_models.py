"""A report too big to stream in one request, written to a file by the worker.

The row is the truth about the file: the job that writes it is only a prompt
(on SQLite a queued job lives in one process's memory), so the worker's
periodic sweep also starts exports whose job was lost and takes over those whose
writer stopped beating (``progress_at``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db


class ExportStatus(StrEnum):
    QUEUED = "queued"  # waiting for the worker
    RUNNING = "running"  # being written; rows_written grows
    DONE = "done"  # the file is ready to download until expires_at
    FAILED = "failed"  # the writer gave up; the requester may ask again


IN_FLIGHT = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ReportExport(db.Model):
    """One requested export (report, period, language) and how far its file has got."""

    __tablename__ = "report_exports"
    __table_args__ = (
        # one export of the same report and period in flight per member: a second
        # request (a double tap, ten at once) is answered with the first one
        Index(
            "uq_report_exports_in_flight",
            "requested_by_id",
            "report",
            "period_start",
            "period_end",
            "locale",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_report_exports_status", "status", "progress_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    report: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date]
    period_end: Mapped[date]
    as_of: Mapped[date]  # the members report lists members as of this day
    locale: Mapped[str] = mapped_column(String(10))  # headers and labels are in it
    status: Mapped[str] = mapped_column(String(10), default=ExportStatus.QUEUED)
    rows_expected: Mapped[int] = mapped_column(default=0)  # counted when asked for
    rows_written: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(80))
    file_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    progress_at: Mapped[datetime | None]  # the writer's last sign of life
    finished_at: Mapped[datetime | None]

    requested_by: Mapped[User] = relationship()

    @property
    def in_flight(self) -> bool:
        return self.status in IN_FLIGHT

    @property
    def percent(self) -> int:
        """How much is written, 0–100 (100 only when done)."""
        if self.status == ExportStatus.DONE:
            return 100
        if self.rows_expected <= 0:
            return 0
        return min(99, self.rows_written * 100 // self.rows_expected)
