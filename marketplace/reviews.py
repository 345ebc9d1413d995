"""Rating completed bookings, the provider's replies, and reports of abuse.

The provider's ``rating_count`` and ``rating_sum`` are kept in step here, in
the same transaction as the review, with the provider row locked, so browsing
never aggregates reviews. A hidden review leaves the rating; unhiding it
brings it back.

A review follows its booking's reach (marketplace.access): the resident's side
rates it, the provider's owner replies, and only the reviewing resident's
coordinators (or street admin) moderate it (marketplace.moderation). Everyone
else sees the reviewer as the form promises: the first character, like 王**.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from community.models import User, utcnow
from extensions import db
from marketplace.access import (
    may_book_for,
    may_read_review,
    may_see_provider,
    may_view_booking,
    runs_provider,
)
from marketplace.booking_models import Booking, BookingStatus
from marketplace.bookings import record_acted_for
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.formatting import masked_name
from marketplace.models import Provider
from marketplace.review_models import Review, ReviewReport

REVIEW_WINDOW = timedelta(days=14)
MAX_TEXT = 1000
MAX_REASON = 300


def _lock_provider(provider_id: int) -> None:
    # Rating counts change under this lock (SQLite: the write transaction already serialises).
    db.session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())


def move_rating(provider_id: int, count: int, stars: int) -> None:
    """Add ``count`` reviews of ``stars`` to the provider's rating (negative: take them out)."""
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
    return may_book_for(actor, booking.resident)


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


def unrated(bookings: Iterable[Booking], now: datetime | None = None) -> set[int]:
    """Ids of the completed ``bookings`` still open for rating and not rated (待评价): one
    query, none when no booking is in its rating window. The caller shows them only
    bookings of the resident's side (marketplace.bookings.bookings_of)."""
    now = now or utcnow()
    open_ids = [
        booking.id
        for booking in bookings
        if booking.status == BookingStatus.COMPLETED
        and booking.completed_at is not None
        and now <= booking.completed_at + REVIEW_WINDOW
    ]
    if not open_ids:
        return set()
    rated = set(
        db.session.scalars(select(Review.booking_id).where(Review.booking_id.in_(open_ids)))
    )
    return set(open_ids) - rated


def booking_to_rate(actor: User, booking_id: int) -> Booking:
    """The booking whose rating page ``actor`` may open.

    Raises NotFound when it does not exist or ``actor`` does not reach it (nothing
    about it is theirs to learn), NotAllowed when they reach it but may not rate it
    (the provider's owner).
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_view_booking(actor, booking):
        raise NotFound(_l("This booking does not exist."))
    if not may_review(actor, booking):
        raise NotAllowed(
            _l("Only the person who received the service (or their family) may rate it.")
        )
    return booking


def check_open_for_rating(booking: Booking, now: datetime | None = None) -> None:
    """Raise Conflict unless ``booking`` is completed, within 14 days, and not yet rated."""
    if booking.status != BookingStatus.COMPLETED:
        raise Conflict(_l("A booking can be rated once it is completed."))
    deadline = review_deadline(booking)
    if deadline is None or (now or utcnow()) > deadline:
        raise Conflict(_l("Bookings can be rated within 14 days of completion; this one is older."))
    if db.session.scalar(select(exists().where(Review.booking_id == booking.id))):
        raise Conflict(_l("This booking has already been rated."))


def booking_to_review(actor: User, booking_id: int, now: datetime | None = None) -> Booking:
    """The booking ``actor`` may rate now; raises NotFound, NotAllowed or Conflict."""
    booking = booking_to_rate(actor, booking_id)
    check_open_for_rating(booking, now)
    return booking


def create_review(
    *, by: User, booking_id: int, stars: int, text: str = "", now: datetime | None = None
) -> Review:
    """Rate a completed booking once, within 14 days; updates the provider's rating.

    ``by`` is recorded as the author (the resident, or family or a coordinator
    writing for them; a coordinator's review is also written to the audit log). Raises NotFound (not ``by``'s to reach), NotAllowed,
    Conflict (not completed, too late, already rated) or InvalidInput (stars
    outside 1–5, text too long), in that order: whoever may not rate learns
    nothing from the rest.
    """
    booking = booking_to_review(by, booking_id, now)
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(_l("Choose from 1 to 5 stars."))
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(_l("Please write at most %(n)s characters.", n=MAX_TEXT))
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
    move_rating(booking.provider_id, 1, stars)
    record_acted_for(by, booking, "rate")
    return review


def find_review(review_id: int) -> Review:
    """The review with this id. Raises NotFound."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_l("No such review."))
    return review


def review_to_reply(actor: User, review_id: int) -> Review:
    """The review ``actor`` may reply to: a shown one of the provider they run.

    Raises NotAllowed (not the provider's owner), NotFound (no such review, or one hidden
    as abusive: its text is for the reviewer's coordinators, see access.may_read_review).
    """
    review = find_review(review_id)
    if not runs_provider(actor, db.session.get(Provider, review.provider_id)):
        raise NotAllowed(_l("Only the provider may reply to its reviews."))
    if not may_read_review(actor, review):
        raise NotFound(_l("No such review."))
    return review


def reply_to_review(*, by: User, review_id: int, text: str) -> Review:
    """The provider's one reply to a review (saying it again edits it).

    Raises NotFound, NotAllowed (not the provider's owner) or InvalidInput.
    """
    review = review_to_reply(by, review_id)
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


def shown_provider(viewer: User | None, provider_id: int) -> Provider:
    """The provider whose page ``viewer`` may open (see access.may_see_provider).

    Raises NotFound otherwise, as for a provider that does not exist.
    """
    # with the communities it serves: its page names them
    provider = db.session.get(Provider, provider_id, options=(joinedload(Provider.communities),))
    if provider is None or not may_see_provider(viewer, provider):
        raise NotFound(_l("No such provider."))
    return provider


def reportable_review(actor: User, review_id: int) -> Review:
    """A review ``actor`` sees on its provider's page and may report: shown, not hidden.

    Raises NotFound otherwise (a hidden review's text is not for a reporter).
    """
    review = db.session.get(Review, review_id)
    if review is None or review.is_hidden:
        raise NotFound(_l("No such review."))
    if not may_see_provider(actor, db.session.get(Provider, review.provider_id)):
        raise NotFound(_l("No such review."))
    return review


def report_review(*, by: User, review_id: int, reason: str) -> ReviewReport:
    """Report a review as abusive, once per person. Raises NotFound, Conflict, InvalidInput."""
    review = reportable_review(by, review_id)
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


def reviewer_name(review: Review) -> str:
    """Who wrote ``review``, as every page and export shows it to others (see masked_name)."""
    return masked_name(review.author.display_name)


def provider_reviews(provider_id: int, *, page: int = 1, per_page: int = 20) -> list[Review]:
    """One page of a provider's reviews, newest first (hidden ones included; the page masks them)."""
    return list(
        db.session.scalars(
            _PAGE_OF_REVIEWS,
            {
                "provider_id": provider_id,
                "limit": per_page + 1,
                "offset": (max(page, 1) - 1) * per_page,
            },
        )
    )


# Built once: every provider page reads it.
_PAGE_OF_REVIEWS = (
    select(Review)
    .where(Review.provider_id == bindparam("provider_id"))
    .order_by(Review.created_at.desc(), Review.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
    .options(joinedload(Review.author))  # the page names each author
)
