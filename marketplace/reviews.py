"""Rating completed bookings, replies, reports and moderation.

The provider's ``rating_count`` and ``rating_sum`` are kept in step here, in
the same transaction as the review, with the provider row locked, so browsing
never aggregates reviews. A hidden review leaves the rating; unhiding it
brings it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from community.models import Role, User, utcnow
from extensions import db
from marketplace.access import may_book_for, oversees_provider, runs_provider
from marketplace.booking_models import Booking, BookingStatus
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.models import Provider, ProviderCommunity
from marketplace.review_models import Review, ReviewReport

REVIEW_WINDOW = timedelta(days=14)
MAX_TEXT = 1000
MAX_REASON = 300


def _lock_provider(provider_id: int) -> None:
    # Rating counts change under this lock (SQLite: the write transaction already serialises).
    db.session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())


def _move_rating(provider_id: int, count: int, stars: int) -> None:
    _lock_provider(provider_id)
    db.session.execute(
        update(Provider)
        .where(Provider.id == provider_id)
        .values(
            rating_count=Provider.rating_count + count,
            rating_sum=Provider.rating_sum + count * stars,
        )
    )
    # The provider object in the session must show the new counts.
    provider = db.session.get(Provider, provider_id)
    if provider is not None:
        db.session.refresh(provider, ["rating_count", "rating_sum"])


def may_review(actor: User, booking: Booking) -> bool:
    """The booking's resident, family who may book for them, or their coordinator."""
    return actor.id == booking.resident_id or may_book_for(actor, booking.resident)


def review_deadline(booking: Booking) -> datetime | None:
    """Until when the booking may be rated (stored UTC), None if it is not completed."""
    if booking.completed_at is None:
        return None
    return booking.completed_at + REVIEW_WINDOW


def reviewable(actor: User, booking: Booking, now: datetime | None = None) -> bool:
    """True if ``actor`` could rate ``booking`` now (for showing the link)."""
    deadline = review_deadline(booking)
    return (
        booking.status == BookingStatus.COMPLETED
        and deadline is not None
        and (now or utcnow()) <= deadline
        and may_review(actor, booking)
        and not db.session.scalar(select(exists().where(Review.booking_id == booking.id)))
    )


def booking_to_review(actor: User, booking_id: int, now: datetime | None = None) -> Booking:
    """The booking ``actor`` may rate now; raises NotFound, NotAllowed or Conflict."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(_l("No such booking."))
    if not may_review(actor, booking):
        raise NotAllowed(
            _l("Only the person who received the service (or their family) may rate it.")
        )
    if booking.status != BookingStatus.COMPLETED:
        raise Conflict(_l("A booking can be rated once it is completed."))
    deadline = review_deadline(booking)
    if deadline is None or (now or utcnow()) > deadline:
        raise Conflict(_l("Bookings can be rated within 14 days of completion; this one is older."))
    if db.session.scalar(select(exists().where(Review.booking_id == booking.id))):
        raise Conflict(_l("This booking has already been rated."))
    return booking


def create_review(
    *, by: User, booking_id: int, stars: int, text: str = "", now: datetime | None = None
) -> Review:
    """Rate a completed booking once, within 14 days; updates the provider's rating.

    ``by`` is recorded as the author (the resident, or family or a coordinator
    writing for them). Raises NotFound, NotAllowed, Conflict (not completed,
    too late, already rated) or InvalidInput (stars outside 1–5, text too long).
    """
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(_l("Choose from 1 to 5 stars."))
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(_l("Please write at most %(n)s characters.", n=MAX_TEXT))
    booking = booking_to_review(by, booking_id, now)
    review = Review(
        booking_id=booking.id,
        provider_id=booking.provider_id,
        author_id=by.id,
        stars=stars,
        text=text,
    )
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError as error:  # a second tab posted at the same moment
        raise Conflict(_l("This booking has already been rated.")) from error
    _move_rating(booking.provider_id, 1, stars)
    return review


def _review(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_l("No such review."))
    return review


def reply_to_review(*, by: User, review_id: int, text: str) -> Review:
    """The provider's one reply to a review (saying it again edits it).

    Raises NotFound, NotAllowed (not the provider's owner) or InvalidInput.
    """
    review = _review(review_id)
    provider = db.session.get(Provider, review.provider_id)
    if not runs_provider(by, provider):
        raise NotAllowed(_l("Only the provider may reply to its reviews."))
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_l("Write your reply."))
    if len(text) > MAX_TEXT:
        raise InvalidInput(_l("Please write at most %(n)s characters.", n=MAX_TEXT))
    review.reply_text = text
    review.replied_by_id = by.id
    review.replied_at = utcnow()
    db.session.flush()
    return review


def report_review(*, by: User, review_id: int, reason: str) -> ReviewReport:
    """Report a review as abusive, once per person. Raises NotFound, Conflict, InvalidInput."""
    review = _review(review_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Say briefly what is wrong with this review."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(_l("Please write at most %(n)s characters.", n=MAX_REASON))
    already = select(
        exists().where(ReviewReport.review_id == review.id, ReviewReport.reporter_id == by.id)
    )
    if db.session.scalar(already):
        raise Conflict(_l("You have already reported this review."))
    report = ReviewReport(review_id=review.id, reporter_id=by.id, reason=reason)
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_l("You have already reported this review.")) from error
    return report


def check_may_moderate(actor: User, provider: Provider) -> None:
    """A coordinator overseeing the provider who does not run it; raises NotAllowed."""
    if not oversees_provider(actor, provider):
        raise NotAllowed(_l("Only a coordinator of a community this provider serves may do this."))
    if runs_provider(actor, provider):
        raise NotAllowed(_l("You run this provider, so another coordinator must decide."))


def may_moderate(actor: User, provider: Provider) -> bool:
    return oversees_provider(actor, provider) and not runs_provider(actor, provider)


def _close_reports(review: Review, by: User) -> None:
    db.session.execute(
        update(ReviewReport)
        .where(ReviewReport.review_id == review.id, ReviewReport.handled_at.is_(None))
        .values(handled_by_id=by.id, handled_at=utcnow())
    )


def hide_review(*, by: User, review_id: int, reason: str) -> Review:
    """Hide an abusive review with a logged reason; it leaves the provider's rating.

    Raises NotFound, NotAllowed, InvalidInput (no reason) or Conflict (already hidden).
    """
    review = _review(review_id)
    provider = db.session.get(Provider, review.provider_id)
    check_may_moderate(by, provider)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Give the reason for hiding this review."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(_l("Please write at most %(n)s characters.", n=MAX_REASON))
    if review.is_hidden:
        raise Conflict(_l("This review is already hidden."))
    review.is_hidden = True
    review.hidden_reason = reason
    review.hidden_by_id = by.id
    review.hidden_at = utcnow()
    db.session.flush()
    _move_rating(provider.id, -1, review.stars)
    _close_reports(review, by)
    return review


def unhide_review(*, by: User, review_id: int) -> Review:
    """Show a hidden review again; it counts in the rating again.

    The last hiding (who, when, why) stays recorded. Raises NotFound,
    NotAllowed or Conflict (not hidden).
    """
    review = _review(review_id)
    provider = db.session.get(Provider, review.provider_id)
    check_may_moderate(by, provider)
    if not review.is_hidden:
        raise Conflict(_l("This review is not hidden."))
    review.is_hidden = False
    db.session.flush()
    _move_rating(provider.id, 1, review.stars)
    return review


def keep_review(*, by: User, review_id: int) -> Review:
    """Close a review's open reports and leave it shown. Raises NotFound, NotAllowed."""
    review = _review(review_id)
    check_may_moderate(by, db.session.get(Provider, review.provider_id))
    _close_reports(review, by)
    db.session.flush()
    return review


@dataclass(frozen=True, slots=True)
class ReportedReview:
    review: Review
    provider_name: str
    reports: int
    reasons: list[str]


def moderation_queue(by: User) -> list[ReportedReview]:
    """Reviews with open reports, of providers ``by`` oversees (oldest report first)."""
    if by.role not in (Role.COORDINATOR, Role.STREET_ADMIN):
        raise NotAllowed(_l("Only coordinators moderate reviews."))
    if by.role == Role.STREET_ADMIN:
        overseen = Provider.street_id == by.community.street_id
    else:
        overseen = exists().where(
            ProviderCommunity.provider_id == Provider.id,
            ProviderCommunity.community_id == by.community_id,
        )
    rows = db.session.execute(
        select(Review, Provider.name, func.min(ReviewReport.created_at))
        .join(ReviewReport, ReviewReport.review_id == Review.id)
        .join(Provider, Provider.id == Review.provider_id)
        .where(ReviewReport.handled_at.is_(None), overseen, Provider.owner_id != by.id)
        .group_by(Review.id, Provider.name)
        .order_by(func.min(ReviewReport.created_at))
    ).all()
    reasons: dict[int, list[str]] = {}
    ids = [row[0].id for row in rows]
    if ids:
        for review_id, reason in db.session.execute(
            select(ReviewReport.review_id, ReviewReport.reason)
            .where(ReviewReport.review_id.in_(ids), ReviewReport.handled_at.is_(None))
            .order_by(ReviewReport.id)
        ):
            reasons.setdefault(review_id, []).append(reason)
    return [
        ReportedReview(row[0], row[1], len(reasons.get(row[0].id, [])), reasons.get(row[0].id, []))
        for row in rows
    ]


def provider_reviews(provider_id: int, *, page: int = 1, per_page: int = 20) -> list[Review]:
    """One page of a provider's reviews, newest first (hidden ones included; the page masks them)."""
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.provider_id == provider_id)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(per_page + 1)
            .offset((max(page, 1) - 1) * per_page)
        )
    )
