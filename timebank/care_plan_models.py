"""Recurring care plans: the same help, on the same weekdays, at the same time, by one volunteer."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db
from timebank.visit_models import Visit

WEEKDAYS = range(7)  # Monday = 0, as date.weekday(); the same bits as an offer's weekdays


class PlanStatus(StrEnum):
    ACTIVE = "active"  # visits are generated ahead
    PAUSED = "paused"  # no visits are generated until it is resumed
    ENDED = "ended"  # for good


class CarePlan(db.Model):
    """E.g. meal help every Tuesday and Friday at 11:00 for an elder by one volunteer.

    Its visits are generated ahead (timebank.care_plans.generate_visits); each
    generated Visit carries ``care_plan_id``.
    """

    __tablename__ = "care_plans"
    __table_args__ = (
        CheckConstraint("weekdays > 0 AND weekdays < 128", name="weekdays"),
        CheckConstraint("status IN ('active', 'paused', 'ended')", name="status"),
        CheckConstraint("volunteer_id <> elder_id", name="not_self"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    # One bit per weekday: bit 0 = Monday … bit 6 = Sunday.
    weekdays: Mapped[int]
    time_of_day: Mapped[time]
    start_date: Mapped[date]
    end_date: Mapped[date | None]  # the last day with a visit; None = until ended
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(8), default=PlanStatus.ACTIVE)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    elder: Mapped[User] = relationship(foreign_keys=[elder_id])
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])

    @property
    def weekday_list(self) -> list[int]:
        return [day for day in WEEKDAYS if self.weekdays & (1 << day)]

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE

    def falls_on(self, day: date) -> bool:
        """True if the plan has a visit on ``day`` (its weekday, within its dates)."""
        if day < self.start_date or (self.end_date is not None and day > self.end_date):
            return False
        return bool(self.weekdays & (1 << day.weekday()))


# A plan has at most one live visit a day: generating twice, or two generators at once,
# cannot double it. A visit called off with the whole plan (cancelled) frees its day.
Index(
    "uq_visits_care_plan_day",
    Visit.care_plan_id,
    Visit.scheduled_date,
    unique=True,
    sqlite_where=text("status <> 'cancelled'"),
    postgresql_where=text("status <> 'cancelled'"),
)
