"""The marketplace's reach: a booking, its dispute and its review belong to the resident's side.

A provider serving two communities (A: 桂花新村, B: 金狮河沿, same street) has a
booking from each. Who reaches A's booking: the resident, family whose link
allows booking, A's coordinator, the street admin of this street, and the
provider's owner. Not: B's coordinator (who oversees the same provider), staff
of another street, family without may_book, other members.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.models import utcnow
from community.services import link_family
from extensions import db
from marketplace import access, bookings, disputes, moderation, reviews, transitions
from marketplace.booking_models import Booking
from marketplace.errors import NotAllowed, NotFound
from marketplace.review_models import Review

pytestmark = pytest.mark.usefixtures("english")

# who reaches community A's resident's booking (True) and who does not
REACH = {
    "elder": True,
    "family": True,
    "family_without_booking": False,
    "volunteer": False,
    "provider_owner": True,
    "other_provider": False,
    "coordinator": True,
    "other_coordinator": False,
    "street_admin": True,
    "far_coordinator": False,
    "far_street_admin": False,
}
# who decides a dispute or moderates a review of A's resident: their staff only
STAFF = {name: name in ("coordinator", "street_admin") for name in REACH}


def disputed_booking(make_booking, item, resident) -> Booking:
    """A booking the provider marked done and the resident disputed (paid on site)."""
    starts = utcnow() - timedelta(days=1)
    return make_booking(
        item,
        resident,
        starts_at=starts,
        status="disputed",
        delivered_at=starts + timedelta(hours=2),
        subsidy=False,
    )


def completed_booking(make_booking, item, resident) -> Booking:
    starts = utcnow() - timedelta(days=2)
    return make_booking(
        item,
        resident,
        starts_at=starts,
        status="completed",
        delivered_at=starts + timedelta(hours=2),
        completed_at=starts + timedelta(hours=3),
        subsidy=False,
    )


# --- seeing a booking -------------------------------------------------------------------


@pytest.mark.parametrize("who", list(REACH))
def test_who_sees_a_residents_booking(who, actors, two_sided, elder, make_booking):
    booking = make_booking(two_sided, elder, status="accepted", subsidy=False)
    if REACH[who]:
        assert bookings.booking_for(actors[who], booking.id) is booking
    else:
        with pytest.raises(NotFound) as refused:
            bookings.booking_for(actors[who], booking.id)
        assert booking.title not in str(refused.value.message)


@pytest.mark.parametrize("who", list(REACH))
def test_actions_on_a_booking_follow_reach(who, actors, two_sided, elder, make_booking):
    booking = make_booking(two_sided, elder, status="requested", subsidy=False)
    shown = transitions.actions_for(booking, actors[who])
    if who in ("elder", "family", "coordinator", "street_admin"):
        assert shown == ["cancel"]
    elif who == "provider_owner":
        assert shown == ["accept", "decline", "cancel"]
    else:
        assert shown == []


@pytest.mark.parametrize("who", ["other_coordinator", "far_coordinator", "far_street_admin"])
def test_staff_out_of_reach_cannot_cancel_or_confirm_for_the_resident(
    who, actors, two_sided, elder, make_booking
):
    booking = make_booking(two_sided, elder, status="accepted", subsidy=False)
    with pytest.raises(NotAllowed):
        transitions.cancel(booking, by=actors[who])
    booking.delivered_at = utcnow()
    with pytest.raises(NotAllowed):
        transitions.confirm(booking, by=actors[who])
    assert booking.status == "accepted"


def test_a_family_members_list_follows_the_link(actors, two_sided, elder, family, make_booking):
    booked = make_booking(two_sided, elder, booked_by=family, status="accepted", subsidy=False)
    upcoming, _earlier = bookings.bookings_of(family)
    assert booked in upcoming
    link_family(by=elder, elder=elder, relative=family, may_book=False)
    upcoming, _earlier = bookings.bookings_of(family)
    assert booked not in upcoming
    with pytest.raises(NotFound):
        bookings.booking_for(family, booked.id)


def test_the_residents_phone_only_to_those_whose_work_needs_it(
    actors, two_sided, elder, make_booking
):
    live = make_booking(two_sided, elder, status="accepted", subsidy=False)
    done = completed_booking(make_booking, two_sided, elder)
    for who in ("elder", "family", "coordinator", "street_admin"):
        assert bookings.resident_phone_for(actors[who], live) == elder.phone
        assert bookings.resident_phone_for(actors[who], done) == elder.phone
    # the provider calls about a booking still to be served, not one that is over
    assert bookings.resident_phone_for(actors["provider_owner"], live) == elder.phone
    assert bookings.resident_phone_for(actors["provider_owner"], done) is None
    for who in ("other_coordinator", "far_coordinator", "volunteer", "family_without_booking"):
        assert bookings.resident_phone_for(actors[who], live) is None


# --- disputes ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", list(STAFF))
def test_who_decides_a_dispute(who, actors, two_sided, elder, make_booking):
    booking = disputed_booking(make_booking, two_sided, elder)
    if STAFF[who]:
        disputes.resolve_dispute(booking, by=actors[who], outcome="uphold", note="做完了")
        assert booking.status == "completed"
        return
    with pytest.raises((NotAllowed, NotFound)):
        disputes.resolve_dispute(
            booking, by=actors[who], outcome="refund", refund_fen=8000, note="退款"
        )
    db.session.refresh(booking)
    assert (booking.status, booking.refunded_fen) == ("disputed", 0)


def test_the_dispute_queue_holds_only_ones_own_residents(
    actors, two_sided, elder, b_resident, make_booking
):
    a = disputed_booking(make_booking, two_sided, elder)
    b = disputed_booking(make_booking, two_sided, b_resident)
    assert disputes.disputes_for(actors["coordinator"]) == [a]
    assert disputes.disputes_for(actors["other_coordinator"]) == [b]
    assert set(disputes.disputes_for(actors["street_admin"])) == {a, b}
    assert disputes.disputes_for(actors["far_coordinator"]) == []
    assert disputes.disputes_for(actors["far_street_admin"]) == []
    with pytest.raises(NotAllowed):
        disputes.disputes_for(actors["provider_owner"])


def test_a_coordinator_running_the_provider_does_not_decide_its_disputes(
    make_member, make_provider, make_item, elder, make_booking
):
    from community.models import Role

    owner = make_member("开店社工", age=40, role=Role.COORDINATOR)
    item = make_item(make_provider("社工的店", owner=owner))
    booking = disputed_booking(make_booking, item, elder)
    with pytest.raises(NotAllowed):
        disputes.resolve_dispute(booking, by=owner, outcome="uphold", note="x")
    assert disputes.disputes_for(owner) == []


# --- reviews ----------------------------------------------------------------------------


def reported_review(make_booking, item, resident, reporter) -> Review:
    booking = completed_booking(make_booking, item, resident)
    review = reviews.create_review(by=resident, booking_id=booking.id, stars=1, text="骂人的话")
    reviews.report_review(by=reporter, review_id=review.id, reason="辱骂")
    return review


@pytest.mark.parametrize("who", list(STAFF))
def test_who_moderates_a_residents_review(who, actors, two_sided, elder, make_booking):
    review = reported_review(make_booking, two_sided, elder, actors["volunteer"])
    if STAFF[who]:
        moderation.hide_review(by=actors[who], review_id=review.id, reason="辱骂")
        assert review.is_hidden
        moderation.unhide_review(by=actors[who], review_id=review.id)
        moderation.keep_review(by=actors[who], review_id=review.id)
        return
    for moderate in (
        lambda: moderation.hide_review(by=actors[who], review_id=review.id, reason="x"),
        lambda: moderation.keep_review(by=actors[who], review_id=review.id),
    ):
        with pytest.raises(NotAllowed):
            moderate()
    review.is_hidden, review.hidden_reason = True, "测试"
    with pytest.raises(NotAllowed):
        moderation.unhide_review(by=actors[who], review_id=review.id)


def test_the_moderation_queue_holds_only_ones_own_residents(
    actors, two_sided, elder, b_resident, make_booking
):
    a = reported_review(make_booking, two_sided, elder, actors["volunteer"])
    b = reported_review(make_booking, two_sided, b_resident, actors["volunteer"])

    def queued(who):
        return [entry.review for entry in moderation.moderation_queue(actors[who])]

    assert queued("coordinator") == [a]
    assert queued("other_coordinator") == [b]
    assert set(queued("street_admin")) == {a, b}
    assert queued("far_coordinator") == [] and queued("far_street_admin") == []


def test_moderated_reviews_on_a_page_are_only_ones_own_residents(
    actors, two_sided, elder, b_resident, make_booking
):
    a = reported_review(make_booking, two_sided, elder, actors["volunteer"])
    b = reported_review(make_booking, two_sided, b_resident, actors["volunteer"])
    page = [a, b]
    assert moderation.moderated_review_ids(actors["coordinator"], page) == {a.id}
    assert moderation.moderated_review_ids(actors["other_coordinator"], page) == {b.id}
    assert moderation.moderated_review_ids(actors["street_admin"], page) == {a.id, b.id}
    for who in ("far_street_admin", "provider_owner", "elder", "volunteer"):
        assert moderation.moderated_review_ids(actors[who], page) == set()


@pytest.mark.parametrize("who", list(REACH))
def test_rating_a_booking_one_does_not_reach_is_not_found(
    who, actors, two_sided, elder, make_booking
):
    booking = completed_booking(make_booking, two_sided, elder)
    if who in ("elder", "family", "coordinator", "street_admin"):
        assert reviews.booking_to_rate(actors[who], booking.id) is booking
        return
    error = NotAllowed if REACH[who] else NotFound  # the owner reaches it but may not rate it
    with pytest.raises(error) as refused:
        reviews.create_review(by=actors[who], booking_id=booking.id, stars=5)
    assert booking.title not in str(refused.value.message)
    assert db.session.query(Review).count() == 0


@pytest.mark.parametrize("who", list(REACH))
def test_a_hidden_review_is_read_by_the_reviewers_coordinators_alone(
    who, actors, two_sided, elder, make_booking
):
    """The provider owner once read (and answered) a review hidden as abusive on its reply
    page: its text is for the reviewing resident's coordinators, until it is shown again."""
    review = reported_review(make_booking, two_sided, elder, actors["volunteer"])
    assert access.may_read_review(actors[who], review)  # shown: whoever sees the provider
    moderation.hide_review(by=actors["coordinator"], review_id=review.id, reason="辱骂")
    assert access.may_read_review(actors[who], review) == STAFF[who]
    if who == "provider_owner":
        with pytest.raises(NotFound):
            reviews.review_to_reply(actors[who], review.id)
        with pytest.raises(NotFound):
            reviews.reply_to_review(by=actors[who], review_id=review.id, text="胡说")
        assert review.reply_text == ""
        moderation.unhide_review(by=actors["coordinator"], review_id=review.id)
        assert reviews.review_to_reply(actors[who], review.id) is review
