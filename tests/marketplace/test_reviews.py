"""Reviews: who may rate what and when, replies, reports, hiding and the provider's counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import Role, utcnow
from community.services import link_family
from extensions import db
from marketplace.booking_models import BookingStatus
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.moderation import hide_review, keep_review, moderation_queue, unhide_review
from marketplace.review_models import Review, ReviewReport
from marketplace.reviews import create_review, reply_to_review, report_review
from tests.marketplace.booking_support import add_booking

# Messages are read in English (the msgids), whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def booking_row(resident, item, *, status=BookingStatus.COMPLETED, completed_days_ago=1):
    """A booking of ``item`` by ``resident`` (rows only), completed that many days ago."""
    starts = utcnow() - timedelta(days=completed_days_ago, hours=3)
    return add_booking(
        item,
        starts,
        resident=resident,
        status=status,
        ends_at=starts + timedelta(minutes=item.duration_minutes),
        completed_at=utcnow() - timedelta(days=completed_days_ago)
        if status == BookingStatus.COMPLETED
        else None,
    )


@pytest.fixture
def make_booking(app, cleaning):
    """make_booking(resident, status=completed, completed_days_ago=1, item=cleaning)."""

    def make(resident, *, item=cleaning, **fields):
        return booking_row(resident, item, **fields)

    return make


def _reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


def test_the_resident_rates_a_completed_booking_and_the_counts_move(elder, make_booking):
    booking = make_booking(elder)
    review = create_review(by=elder, booking_id=booking.id, stars=4, text="阿姨很细心")
    db.session.commit()
    provider = booking.provider
    db.session.refresh(provider)
    assert (provider.rating_count, provider.rating_sum) == (1, 4)
    assert review.author_id == elder.id and review.provider_id == provider.id


def test_family_who_may_book_writes_for_the_elder_and_is_recorded(elder, make_member, make_booking):
    son = make_member("王建国", age=50)
    link_family(by=elder, elder=elder, relative=son, relation="儿子")
    booking = make_booking(elder)
    review = create_review(by=son, booking_id=booking.id, stars=5)
    assert review.author_id == son.id


def test_the_coordinator_may_write_for_the_elder(elder, coordinator, make_booking):
    booking = make_booking(elder)
    assert create_review(by=coordinator, booking_id=booking.id, stars=3).author_id == coordinator.id


@pytest.mark.parametrize(
    "status", [BookingStatus.ACCEPTED, BookingStatus.REQUESTED, BookingStatus.CANCELLED]
)
def test_a_booking_not_completed_cannot_be_rated(elder, make_booking, status):
    booking = make_booking(elder, status=status)
    with pytest.raises(Conflict):
        create_review(by=elder, booking_id=booking.id, stars=5)
    assert _reviews() == 0


def test_someone_elses_booking_cannot_be_rated(elder, make_member, make_booking):
    booking = make_booking(elder)
    with pytest.raises(NotFound):  # nothing of a booking one does not reach, not even that it is
        create_review(by=make_member("邻居"), booking_id=booking.id, stars=1)
    assert _reviews() == 0


def test_a_second_review_is_refused_and_counts_stay(elder, make_booking):
    booking = make_booking(elder)
    create_review(by=elder, booking_id=booking.id, stars=5)
    with pytest.raises(Conflict, match="already"):
        create_review(by=elder, booking_id=booking.id, stars=1)
    db.session.refresh(booking.provider)
    assert (booking.provider.rating_count, booking.provider.rating_sum) == (1, 5)
    assert _reviews() == 1


def test_after_fourteen_days_it_is_too_late(elder, make_booking):
    on_time = make_booking(elder, completed_days_ago=13)
    late = make_booking(elder, completed_days_ago=15)
    create_review(by=elder, booking_id=on_time.id, stars=4)
    with pytest.raises(Conflict, match="14 days"):
        create_review(by=elder, booking_id=late.id, stars=4)
    assert _reviews() == 1


@pytest.mark.parametrize("stars", [0, 6])
def test_stars_outside_one_to_five_are_refused(elder, make_booking, stars):
    with pytest.raises(InvalidInput):
        create_review(by=elder, booking_id=make_booking(elder).id, stars=stars)


def test_text_over_1000_characters_is_refused(elder, make_booking):
    with pytest.raises(InvalidInput):
        create_review(by=elder, booking_id=make_booking(elder).id, stars=4, text="好" * 1001)


def test_only_the_owner_replies_and_may_edit_the_reply(elder, provider_owner, make_booking):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=2)
    with pytest.raises(NotAllowed):
        reply_to_review(by=elder, review_id=review.id, text="我自己回复")
    reply_to_review(by=provider_owner, review_id=review.id, text="抱歉，下次改进。")
    reply_to_review(by=provider_owner, review_id=review.id, text="抱歉，已安排回访。")
    assert review.reply_text == "抱歉，已安排回访。" and review.replied_by_id == provider_owner.id


def test_a_member_reports_a_review_once(elder, volunteer, make_booking):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=1, text="骗子")
    report_review(by=volunteer, review_id=review.id, reason="辱骂")
    with pytest.raises(Conflict):
        report_review(by=volunteer, review_id=review.id, reason="再报一次")
    with pytest.raises(InvalidInput):
        report_review(by=elder, review_id=review.id, reason=" ")
    assert db.session.scalar(select(func.count(ReviewReport.id))) == 1


def test_hiding_takes_the_review_out_of_the_rating_and_unhiding_restores(
    elder, coordinator, volunteer, make_booking
):
    kept = create_review(by=elder, booking_id=make_booking(elder).id, stars=5)
    abusive = create_review(by=elder, booking_id=make_booking(elder).id, stars=1, text="骂人的话")
    report_review(by=volunteer, review_id=abusive.id, reason="辱骂")
    provider = kept.booking.provider
    assert (provider.rating_count, provider.rating_sum) == (2, 6)
    assert [r.review.id for r in moderation_queue(coordinator)] == [abusive.id]

    hide_review(by=coordinator, review_id=abusive.id, reason="含有辱骂")
    db.session.commit()
    db.session.refresh(provider)
    assert (provider.rating_count, provider.rating_sum) == (1, 5)
    assert abusive.hidden_by_id == coordinator.id and abusive.hidden_at is not None
    assert moderation_queue(coordinator) == []
    with pytest.raises(Conflict):
        hide_review(by=coordinator, review_id=abusive.id, reason="再藏一次")

    unhide_review(by=coordinator, review_id=abusive.id)
    db.session.refresh(provider)
    assert (provider.rating_count, provider.rating_sum) == (2, 6)
    with pytest.raises(Conflict):
        unhide_review(by=coordinator, review_id=abusive.id)


def test_hiding_needs_a_reason_and_a_coordinator_who_does_not_run_the_provider(
    elder, make_member, make_booking, make_provider, make_item
):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=1)
    coordinator = make_member("李社工", age=40, role=Role.COORDINATOR)
    with pytest.raises(InvalidInput):
        hide_review(by=coordinator, review_id=review.id, reason="  ")
    with pytest.raises(NotAllowed):
        hide_review(by=elder, review_id=review.id, reason="不喜欢")

    own = make_provider("社工自己的店", owner=coordinator)
    own_review = create_review(
        by=elder, booking_id=make_booking(elder, item=make_item(own)).id, stars=1
    )
    with pytest.raises(NotAllowed):
        hide_review(by=coordinator, review_id=own_review.id, reason="差评")
    assert not own_review.is_hidden


def test_keeping_a_reported_review_closes_its_reports(elder, coordinator, volunteer, make_booking):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=2, text="一般")
    report_review(by=volunteer, review_id=review.id, reason="我觉得不公平")
    keep_review(by=coordinator, review_id=review.id)
    assert moderation_queue(coordinator) == []
    assert not review.is_hidden


def test_only_coordinators_have_a_moderation_queue(elder):
    with pytest.raises(NotAllowed):
        moderation_queue(elder)
