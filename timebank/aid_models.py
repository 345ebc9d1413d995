"""Mutual aid: requests for help (needs) and the services volunteers offer.

A request moves open → taken → scheduled → done, or is cancelled; a volunteer
taking it and the requester's side approving it schedules a visit
(timebank.scheduling), whose id the request keeps.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

import timebank.visit_models  # noqa: F401  (the visits table aid_requests.visit_id refers to)
from community.models import Community, User, utcnow
from extensions import db

WEEKDAYS = range(7)  # Monday = 0, as date.weekday()


class RequestStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Offer(db.Model):
    """What a volunteer can do, where and when; residents ask for it by name."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("weekdays >= 0 AND weekdays < 128", name="weekdays"),
        CheckConstraint(
            "available_from IS NULL OR available_until IS NULL OR available_from < available_until",
            name="hours_in_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    # Buildings or communities served, in the volunteer's own words.
    areas: Mapped[str] = mapped_column(Text, default="")
    # One bit per weekday: bit 0 = Monday … bit 6 = Sunday.
    weekdays: Mapped[int] = mapped_column(default=0)
    available_from: Mapped[time | None]
    available_until: Mapped[time | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    volunteer: Mapped[User] = relationship()

    @property
    def weekday_list(self) -> list[int]:
        return [day for day in WEEKDAYS if self.weekdays & (1 << day)]


class AidRequest(db.Model):
    """A need posted by an elder, or for them by family or a coordinator."""

    __tablename__ = "aid_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'taken', 'scheduled', 'done', 'cancelled')", name="status"
        ),
        CheckConstraint("urgency IN ('normal', 'urgent')", name="urgency"),
        CheckConstraint("estimated_minutes > 0", name="minutes_positive"),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start < window_end",
            name="window_in_order",
        ),
        CheckConstraint(
            "status NOT IN ('taken', 'scheduled', 'done') OR volunteer_id IS NOT NULL",
            name="taken_has_volunteer",
        ),
        CheckConstraint("volunteer_id IS NULL OR volunteer_id <> requester_id", name="not_self"),
        Index("ix_aid_requests_status_community", "status", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    category: Mapped[str] = mapped_column(String(20))
    needed_on: Mapped[date | None]
    window_start: Mapped[time | None]
    window_end: Mapped[time | None]
    flexible: Mapped[bool] = mapped_column(default=False)
    building: Mapped[str] = mapped_column(String(20), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    estimated_minutes: Mapped[int]
    urgency: Mapped[str] = mapped_column(String(10), default=Urgency.NORMAL)
    private_notes: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.OPEN)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    taken_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), unique=True)
    flagged_at: Mapped[datetime | None]
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    community: Mapped[Community] = relationship()
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    offer: Mapped[Offer | None] = relationship()

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT
