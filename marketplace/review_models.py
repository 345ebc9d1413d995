"""Reviews of completed bookings, the provider's replies, reports and moderation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db
from marketplace.booking_models import Booking


class Review(db.Model):
    """One resident's rating of one completed booking (1–5 stars and text)."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("stars >= 1 AND stars <= 5", name="stars"),
        # hiding needs a reason, always
        CheckConstraint("NOT is_hidden OR hidden_reason <> ''", name="hidden_has_reason"),
        Index("ix_reviews_provider", "provider_id", "is_hidden", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stars: Mapped[int]
    text: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply_text: Mapped[str] = mapped_column(String(1000), default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[datetime | None]
    is_hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None]

    booking: Mapped[Booking] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])


class ReviewReport(db.Model):
    """Someone's report that a review is abusive; once per person per review."""

    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # set when a coordinator dealt with it (hid the review or kept it)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None]

    review: Mapped[Review] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
