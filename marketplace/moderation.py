"""Moderating reviews: the coordinators' queue, hiding, showing again and keeping.

Only the reviewing resident's coordinators (or the street admin) moderate a
review, never someone who runs the provider reviewed (marketplace.access).
Honest negative reviews stay: a review is hidden only with a logged reason.
Each step is written to the audit log after its own writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from community import audit
from community.audit import Action
from community.models import User, utcnow
from extensions import db
from marketplace.access import may_moderate_review, review_staff_condition, runs_provider
from marketplace.errors import Conflict, InvalidInput, NotAllowed
from marketplace.models import Provider
from marketplace.review_models import Review, ReviewReport
from marketplace.reviews import MAX_REASON, find_review, move_rating


def review_to_moderate(actor: User, review_id: int) -> Review:
    """The review, if ``actor`` moderates it (see access.may_moderate_review).

    Raises NotFound, NotAllowed: a coordinator of another community served by the
    same provider, or one who runs the provider, moderates none of its reviews.
    """
    review = find_review(review_id)
    if not may_moderate_review(actor, review):
        if runs_provider(actor, db.session.get(Provider, review.provider_id)):
            raise NotAllowed(_l("You run this provider, so another coordinator must decide."))
        raise NotAllowed(
            _l("Only a coordinator of the reviewer's community may hide or keep this review.")
        )
    return review


def moderated_review_ids(actor: User | None, shown: list[Review]) -> set[int]:
    """The ids of the reviews of ``shown`` that ``actor`` moderates (one query)."""
    if actor is None or not actor.is_coordinator or not shown:
        return set()
    return set(
        db.session.scalars(
            select(Review.id).where(
                Review.id.in_([review.id for review in shown]), review_staff_condition(actor)
            )
        )
    )


def _close_reports(review: Review, by: User) -> int:
    """Close the review's open reports; how many were open."""
    closed = db.session.execute(
        update(ReviewReport)
        .where(ReviewReport.review_id == review.id, ReviewReport.handled_at.is_(None))
        .values(handled_by_id=by.id, handled_at=utcnow())
    )
    return closed.rowcount or 0


def _audit(action: Action, review: Review, by: User, before: dict, after: dict) -> None:
    """The moderation step in the audit log, about the reviewing resident."""
    audit.record(
        action,
        actor=by,
        subject=review.booking.resident,
        target=f"review:{review.id}",
        before=before,
        after=after,
    )


def hide_review(*, by: User, review_id: int, reason: str) -> Review:
    """Hide an abusive review with a logged reason; it leaves the provider's rating.

    Raises NotFound, NotAllowed, InvalidInput (no reason) or Conflict (already hidden).
    """
    review = review_to_moderate(by, review_id)
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
    move_rating(review.provider_id, -1, review.stars)
    reports = _close_reports(review, by)
    _audit(
        Action.REVIEW_HIDDEN,
        review,
        by,
        {"hidden": False},
        {"hidden": True, "reason": reason, "reports_closed": reports},
    )
    return review


def unhide_review(*, by: User, review_id: int) -> Review:
    """Show a hidden review again; it counts in the rating again.

    The last hiding (who, when, why) stays recorded. Raises NotFound,
    NotAllowed or Conflict (not hidden).
    """
    review = review_to_moderate(by, review_id)
    if not review.is_hidden:
        raise Conflict(_l("This review is not hidden."))
    review.is_hidden = False
    db.session.flush()
    move_rating(review.provider_id, 1, review.stars)
    _audit(
        Action.REVIEW_SHOWN,
        review,
        by,
        {"hidden": True, "reason": review.hidden_reason},
        {"hidden": False},
    )
    return review


def keep_review(*, by: User, review_id: int) -> Review:
    """Close a review's open reports and leave it shown. Raises NotFound, NotAllowed."""
    review = review_to_moderate(by, review_id)
    reports = _close_reports(review, by)
    db.session.flush()
    _audit(
        Action.REVIEW_KEPT,
        review,
        by,
        {"open_reports": reports},
        {"open_reports": 0, "hidden": review.is_hidden},
    )
    return review


@dataclass(frozen=True, slots=True)
class ReportedReview:
    review: Review
    provider_name: str
    reports: int
    reasons: list[str]


def moderation_queue(by: User) -> list[ReportedReview]:
    """Reviews with open reports by ``by``'s residents (a street admin: of their street),
    oldest report first; none of a provider ``by`` runs. Raises NotAllowed for members."""
    if not by.is_coordinator:
        raise NotAllowed(_l("Only coordinators moderate reviews."))
    rows = db.session.execute(
        select(Review, Provider.name, func.min(ReviewReport.created_at))
        .join(ReviewReport, ReviewReport.review_id == Review.id)
        .join(Provider, Provider.id == Review.provider_id)
        .where(ReviewReport.handled_at.is_(None), review_staff_condition(by))
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
