"""Contact days (社情民意联系日): a day and place where residents raise problems with the
community, officials and property companies, and the meeting's answer to each topic.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.organisation_models import Organisation
from civic.problem_models import Problem
from community.models import Community, User, utcnow
from extensions import db


class ContactDayStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class TopicOutcome(StrEnum):
    WAITING = "waiting"  # not yet heard
    ANSWERED = "answered"  # answered on the spot
    FOLLOWED = "followed"  # handed to a responsible party with a deadline


class ContactDay(db.Model):
    __tablename__ = "civic_contact_days"
    __table_args__ = (
        CheckConstraint("place <> ''", name="place_given"),
        CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    held_on: Mapped[date]
    starts_at: Mapped[time]
    place: Mapped[str] = mapped_column(String(120))
    # Who else attends, one per line ("街道城管科 李科长"), besides the organisations named.
    guests: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=ContactDayStatus.SCHEDULED)
    # What the meeting said as a whole, written when it is marked held.
    summary: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship()
    organisations: Mapped[list[ContactDayOrganisation]] = relationship(
        back_populates="contact_day", order_by="ContactDayOrganisation.id"
    )
    topics: Mapped[list[ContactDayTopic]] = relationship(
        back_populates="contact_day", order_by="ContactDayTopic.id"
    )


class ContactDayOrganisation(db.Model):
    """An organisation (property company, street department…) asked to attend."""

    __tablename__ = "civic_contact_day_organisations"
    __table_args__ = (UniqueConstraint("contact_day_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_day_id: Mapped[int] = mapped_column(ForeignKey("civic_contact_days.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("civic_organisations.id"))

    contact_day: Mapped[ContactDay] = relationship(back_populates="organisations")
    organisation: Mapped[Organisation] = relationship()


class ContactDayTopic(db.Model):
    """A resident's sign-up: the topic they will raise, and what the meeting did with it."""

    __tablename__ = "civic_contact_day_topics"
    __table_args__ = (
        UniqueConstraint("contact_day_id", "resident_id"),
        CheckConstraint("topic <> ''", name="topic_given"),
        CheckConstraint("outcome IN ('waiting', 'answered', 'followed')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_day_id: Mapped[int] = mapped_column(ForeignKey("civic_contact_days.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    signed_up_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(12), default=TopicOutcome.WAITING)
    # The answer given on the spot, or what was agreed when it is followed.
    answer: Mapped[str] = mapped_column(Text, default="")
    # Followed: who answers for it and by when.
    responsible_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("civic_organisations.id")
    )
    due_on: Mapped[date | None]
    # Followed: the tracked problem the meeting turned the topic into (督办).
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("civic_problems.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact_day: Mapped[ContactDay] = relationship(back_populates="topics")
    resident: Mapped[User] = relationship(foreign_keys=[resident_id])
    signed_up_by: Mapped[User] = relationship(foreign_keys=[signed_up_by_id])
    responsible_organisation: Mapped[Organisation | None] = relationship()
    problem: Mapped[Problem | None] = relationship()
