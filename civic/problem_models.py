"""Problems residents report (民意) and their follow-through to the end (督办).

A problem is reported by a resident (``reporter``), perhaps entered for them by family,
a coordinator or a grid worker (``entered_by``). It is about a compound of the
community, maybe a building or a described spot. A coordinator triages it: accepts it
and names who holds it (the community office, or an organisation serving the
compound) with a deadline, declines it with a reason, or merges it into another. The
holder answers, works on it and closes it; the reporter confirms or reopens it and
rates the handling. Every step is a ``ProblemStep`` (the problem's history).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.organisation_models import Organisation
from civic.place_models import Building, Compound
from community.models import Community, User, utcnow
from extensions import db


class ProblemCategory(StrEnum):
    ROAD = "road"
    DRAINS = "drains"
    LIGHTING = "lighting"
    WALLS = "walls"  # walls and stairwells
    LIFTS = "lifts"
    SAFETY = "safety"
    HYGIENE = "hygiene"
    NOISE = "noise"  # noise and neighbours
    ELDER_CARE = "elder_care"
    OTHER = "other"


class Urgency(StrEnum):
    URGENT = "urgent"
    SOON = "soon"
    NORMAL = "normal"


class ProblemStatus(StrEnum):
    REPORTED = "reported"  # waiting for a coordinator
    ACCEPTED = "accepted"  # held by a party, with a deadline
    IN_PROGRESS = "in_progress"  # the party answered and works on it
    CLOSED = "closed"  # the party says it is fixed; the reporter confirms or reopens
    CONFIRMED = "confirmed"  # fixed (by the reporter's word, or 7 days' silence)
    DECLINED = "declined"
    MERGED = "merged"  # the same as another problem, followed there


# Seen on the board and counted as not finished.
OPEN_STATUSES = (
    ProblemStatus.REPORTED,
    ProblemStatus.ACCEPTED,
    ProblemStatus.IN_PROGRESS,
    ProblemStatus.CLOSED,
)
# Held by a party and due by a deadline.
HELD_STATUSES = (ProblemStatus.ACCEPTED, ProblemStatus.IN_PROGRESS)
# Accepted at some point: a party holds it, or held it until it was fixed.
ACCEPTED_STATUSES = (*HELD_STATUSES, ProblemStatus.CLOSED, ProblemStatus.CONFIRMED)


class Problem(db.Model):
    __tablename__ = "civic_problems"
    __table_args__ = (
        CheckConstraint(
            "category IN ('road', 'drains', 'lighting', 'walls', 'lifts', 'safety', "
            "'hygiene', 'noise', 'elder_care', 'other')",
            name="category_known",
        ),
        CheckConstraint("urgency IN ('urgent', 'soon', 'normal')", name="urgency_known"),
        CheckConstraint(
            "status IN ('reported', 'accepted', 'in_progress', 'closed', 'confirmed', "
            "'declined', 'merged')",
            name="status_known",
        ),
        CheckConstraint("description <> ''", name="description_given"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        CheckConstraint("me_too_count >= 0", name="me_too_not_negative"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_into_itself"),
        # the board: a community's open problems, newest first
        Index("ix_civic_problems_board", "community_id", "status", "id"),
        Index("ix_civic_problems_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    compound_id: Mapped[int] = mapped_column(ForeignKey("civic_compounds.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("civic_buildings.id"))
    spot: Mapped[str] = mapped_column(String(80), default="")  # "3幢2单元楼道", "东门口"
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(8), default=Urgency.NORMAL)
    status: Mapped[str] = mapped_column(String(12), default=ProblemStatus.REPORTED)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # the holder: an organisation, or (None once accepted) the community office
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("civic_organisations.id"), index=True
    )
    due_on: Mapped[date | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("civic_problems.id"))
    me_too_count: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None]
    # the report form's own key: the same form sent twice (a double tap) reports once
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    triaged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]  # confirmed, declined or merged

    community: Mapped[Community] = relationship()
    compound: Mapped[Compound] = relationship()
    building: Mapped[Building | None] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    organisation: Mapped[Organisation | None] = relationship()
    photos: Mapped[list[ProblemPhoto]] = relationship(
        back_populates="problem", order_by="ProblemPhoto.id"
    )
    steps: Mapped[list[ProblemStep]] = relationship(
        back_populates="problem", order_by="ProblemStep.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def was_accepted(self) -> bool:
        return self.status in ACCEPTED_STATUSES

    @property
    def on_behalf(self) -> bool:
        return self.entered_by_id != self.reporter_id


class PhotoStage(StrEnum):
    REPORT = "report"  # what the reporter saw
    CLOSURE = "closure"  # what the party left


class ProblemPhoto(db.Model):
    """A cleaned photo of a problem, kept in the photo store under ``key``."""

    __tablename__ = "civic_problem_photos"
    __table_args__ = (CheckConstraint("stage IN ('report', 'closure')", name="stage_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("civic_problems.id"), index=True)
    stage: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    problem: Mapped[Problem] = relationship(back_populates="photos")


class ProblemSupport(db.Model):
    """A member's "我也遇到了" (me too): one per member and problem."""

    __tablename__ = "civic_problem_supports"
    __table_args__ = (UniqueConstraint("problem_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("civic_problems.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StepKind(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"
    MERGED_IN = "merged_in"  # another report was merged into this one
    ANSWERED = "answered"  # the party answered and started work
    CLOSED = "closed"
    CONFIRMED = "confirmed"
    AUTO_CONFIRMED = "auto_confirmed"
    REOPENED = "reopened"


class ProblemStep(db.Model):
    """One step of a problem's life, shown as its history."""

    __tablename__ = "civic_problem_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("civic_problems.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    problem: Mapped[Problem] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship()
