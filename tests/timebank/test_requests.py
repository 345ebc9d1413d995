"""Requests for help: posting, the open list, taking, approving, declining, cancelling, flagging."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from community.models import Role, utcnow
from community.reach import active_link
from community.services import link_family, revoke_family_link
from extensions import db
from timebank.aid_access import private_notes_for
from timebank.aid_models import AidRequest, RequestStatus, Urgency
from timebank.clock import local_today
from timebank.errors import (
    AlreadySettled,
    AlreadySubmitted,
    InvalidRequest,
    InvalidVisit,
    NotAllowed,
)
from timebank.offers import OfferDetails, ask_for_offer, publish_offer
from timebank.request_lists import open_requests, unclaimed_requests
from timebank.requests import (
    Need,
    approve_take,
    cancel_request,
    decline_take,
    flag_unclaimed,
    post_request,
    take_request,
)
from timebank.scheduling import cancel_visit, check_in, check_out
from timebank.signals import request_posted, request_taken
from timebank.visit_models import Visit, VisitStatus
from timebank.visits import confirm_visit

from .support import key

pytestmark = pytest.mark.usefixtures("english")


def need(**fields) -> Need:
    fields.setdefault("category", "meal")
    fields.setdefault("estimated_minutes", 60)
    fields.setdefault("needed_on", local_today() + timedelta(days=2))
    return Need(**fields)


def post(requester, by=None, **fields) -> AidRequest:
    return post_request(
        need(**fields), requester=requester, by=by or requester, idempotency_key=key()
    )


# --- posting -----------------------------------------------------------------------


def test_elder_posts_a_need_that_volunteers_see(elder, volunteer):
    heard = []

    def hear(sender, **extra):
        heard.append(sender)

    with request_posted.connected_to(hear):
        posted = post(elder, building="3", unit="201", private_notes="钥匙在门垫下")
    assert posted.status == RequestStatus.OPEN
    assert posted.entered_by_id == elder.id and posted.on_behalf_of_id is None
    assert heard == [posted]
    seen = open_requests(volunteer)
    assert [s.id for s in seen] == [posted.id]
    assert not hasattr(seen[0], "private_notes")


def test_family_with_booking_posts_for_the_elder_recorded_as_on_behalf(elder, family):
    posted = post(elder, by=family)
    assert posted.requester_id == elder.id
    assert (posted.entered_by_id, posted.on_behalf_of_id) == (family.id, elder.id)


def test_coordinator_posts_for_an_elder_without_a_phone(elder, coordinator):
    posted = post(elder, by=coordinator)
    assert (posted.entered_by_id, posted.on_behalf_of_id) == (coordinator.id, elder.id)


def test_family_link_without_booking_is_refused(make_member, elder):
    son = make_member("王儿子", age=52)
    link_family(elder=elder, relative=son, by=elder, may_book=False)
    with pytest.raises(NotAllowed) as refused:
        post(elder, by=son)
    assert refused.value.http_status == 403
    assert "does not allow" in str(refused.value.message)
    assert db.session.query(AidRequest).count() == 0


def test_revoked_family_link_is_refused(elder, family):
    revoke_family_link(active_link(elder, family), by=elder)
    with pytest.raises(NotAllowed):
        post(elder, by=family)


def test_stranger_and_other_coordinator_cannot_post_for_an_elder(
    make_member, make_community, elder
):
    stranger = make_member("路人", age=40)
    other = make_member("外社工", age=41, role=Role.COORDINATOR, community=make_community())
    for actor in (stranger, other):
        with pytest.raises(NotAllowed):
            post(elder, by=actor)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"needed_on": local_today() - timedelta(days=1)}, "past"),
        ({"category": "skydiving"}, "kind of help"),
        ({"estimated_minutes": 0}, "Estimate between"),
        ({"estimated_minutes": 13 * 60}, "Estimate between"),
        ({"needed_on": None}, "flexible"),
        ({"window_start": time(11), "window_end": time(10)}, "after the earliest"),
        ({"window_end": time(10)}, "earliest time too"),
        ({"building": "x" * 21}, "too long"),
    ],
)
def test_impossible_needs_are_refused_with_a_clear_message(elder, fields, message):
    with pytest.raises(InvalidRequest) as refused:
        post(elder, **fields)
    assert refused.value.http_status == 400
    assert message in str(refused.value.message)
    assert db.session.query(AidRequest).count() == 0


def test_flexible_need_without_a_date_is_accepted(elder):
    assert post(elder, needed_on=None, flexible=True).needed_on is None


def test_same_form_sent_twice_posts_once(elder):
    once = key()
    post_request(need(), requester=elder, by=elder, idempotency_key=once)
    with pytest.raises(AlreadySubmitted):
        post_request(need(), requester=elder, by=elder, idempotency_key=once)


# --- the open list -------------------------------------------------------------------


def test_open_list_filters_by_category_community_and_day(
    make_member, make_community, elder, volunteer
):
    other_elder = make_member("赵老", age=80, community=make_community())
    day = local_today() + timedelta(days=3)
    meal = post(elder, needed_on=day)
    cleaning = post(elder, category="cleaning", needed_on=day + timedelta(days=1))
    flexible = post(other_elder, needed_on=None, flexible=True)
    assert {s.id for s in open_requests(volunteer)} == {meal.id, cleaning.id, flexible.id}
    assert [s.id for s in open_requests(volunteer, category="cleaning")] == [cleaning.id]
    assert [s.id for s in open_requests(volunteer, community_id=other_elder.community_id)] == [
        flexible.id
    ]
    assert {s.id for s in open_requests(volunteer, on_date=day)} == {meal.id, flexible.id}


def test_open_list_puts_urgent_first_and_hides_taken_and_own(elder, volunteer, make_member):
    normal = post(elder)
    urgent = post(elder, urgency=Urgency.URGENT)
    taken = post(elder)
    take_request(taken, volunteer=make_member("另一位志愿者", age=30, is_volunteer=True))
    post(volunteer)  # the volunteer's own need is not on their list
    assert [s.id for s in open_requests(volunteer)] == [urgent.id, normal.id]


def test_private_notes_only_for_the_requesters_side_and_the_volunteer_it_agreed_to(
    elder, family, volunteer, coordinator, make_member
):
    other_volunteer = make_member("别的志愿者", age=30, is_volunteer=True)
    posted = post(elder, by=family, private_notes="钥匙在门垫下")
    assert private_notes_for(volunteer, posted) is None
    take_request(posted, volunteer=volunteer)
    # a take waits for the elder's side: taking each open request and withdrawing must not
    # collect where everyone's key is (issue 9)
    assert private_notes_for(volunteer, posted) is None
    approve_take(posted, by=elder)
    assert private_notes_for(volunteer, posted) == "钥匙在门垫下"
    for allowed in (elder, family, coordinator):
        assert private_notes_for(allowed, posted) == "钥匙在门垫下"
    assert private_notes_for(other_volunteer, posted) is None


def test_a_volunteer_asked_by_name_reads_the_notes_before_accepting(elder, volunteer):
    offer = publish_offer(OfferDetails(category="haircut"), by=volunteer)
    asked = ask_for_offer(
        offer,
        Need(
            category="haircut",
            estimated_minutes=30,
            needed_on=local_today() + timedelta(days=2),
            private_notes="请按两次门铃",
        ),
        requester=elder,
        by=elder,
        idempotency_key=key(),
    )
    assert asked.status == RequestStatus.TAKEN
    assert private_notes_for(volunteer, asked) == "请按两次门铃"


# --- taking, approving, declining, cancelling ---------------------------------------------


def test_volunteer_takes_and_elder_approves_which_schedules_a_visit(elder, volunteer):
    posted = post(elder, window_start=time(10), window_end=time(11))
    heard = []

    def hear(sender, **extra):
        heard.append(sender)

    with request_taken.connected_to(hear):
        take_request(posted, volunteer=volunteer)
    assert heard == [posted]
    assert (posted.status, posted.volunteer_id) == (RequestStatus.TAKEN, volunteer.id)
    approve_take(posted, by=elder)
    visit = db.session.get(Visit, posted.visit_id)
    assert posted.status == RequestStatus.SCHEDULED and posted.approved_by_id == elder.id
    assert (visit.volunteer_id, visit.recipient_id) == (volunteer.id, elder.id)
    assert (visit.scheduled_date, visit.scheduled_time) == (posted.needed_on, time(10))
    assert visit.status == VisitStatus.SCHEDULED


def test_flexible_request_needs_a_date_at_approval(elder, coordinator, volunteer):
    posted = post(elder, needed_on=None, flexible=True)
    take_request(posted, volunteer=volunteer)
    with pytest.raises(InvalidRequest):
        approve_take(posted, by=coordinator)
    day = local_today() + timedelta(days=5)
    approve_take(posted, by=coordinator, scheduled_date=day, scheduled_time=time(15))
    assert db.session.get(Visit, posted.visit_id).scheduled_date == day
    assert posted.approved_by_id == coordinator.id


def test_cannot_take_your_own_request(make_member):
    helper = make_member("互助者", age=66, is_volunteer=True)
    with pytest.raises(NotAllowed) as refused:
        take_request(post(helper), volunteer=helper)
    assert "your own" in str(refused.value.message)


def test_only_volunteers_take_and_only_once(elder, volunteer, make_member):
    posted = post(elder)
    with pytest.raises(NotAllowed):
        take_request(posted, volunteer=make_member("非志愿者", age=40))
    take_request(posted, volunteer=volunteer)
    with pytest.raises(AlreadySettled):
        take_request(posted, volunteer=make_member("晚到", age=30, is_volunteer=True))
    assert posted.volunteer_id == volunteer.id


def test_volunteer_cannot_approve_their_own_take_nor_can_a_stranger(elder, volunteer, make_member):
    posted = post(elder)
    take_request(posted, volunteer=volunteer)
    for actor in (volunteer, make_member("路人", age=40)):
        with pytest.raises(NotAllowed):
            approve_take(posted, by=actor)
    assert posted.status == RequestStatus.TAKEN and posted.visit_id is None


def test_family_without_booking_cannot_approve(elder, volunteer, make_member):
    son = make_member("王儿子", age=52)
    link_family(elder=elder, relative=son, by=elder, may_book=False)
    posted = post(elder)
    take_request(posted, volunteer=volunteer)
    with pytest.raises(NotAllowed):
        approve_take(posted, by=son)


def test_declining_puts_the_request_back_on_the_open_list(elder, family, volunteer):
    posted = post(elder)
    take_request(posted, volunteer=volunteer)
    decline_take(posted, by=family)
    assert (posted.status, posted.volunteer_id) == (RequestStatus.OPEN, None)
    assert [s.id for s in open_requests(volunteer)] == [posted.id]


def test_cancel_by_the_requesters_side_records_who(elder, family, volunteer):
    posted = post(elder)
    with pytest.raises(NotAllowed):
        cancel_request(posted, by=volunteer)
    cancel_request(posted, by=family)
    assert posted.status == RequestStatus.CANCELLED and posted.cancelled_by_id == family.id
    with pytest.raises(AlreadySettled):
        take_request(posted, volunteer=volunteer)


def scheduled(elder, volunteer) -> AidRequest:
    posted = post(elder, needed_on=local_today(), window_start=time(10), window_end=time(11))
    take_request(posted, volunteer=volunteer)
    return approve_take(posted, by=elder)


def test_cancelling_a_scheduled_request_cancels_its_visit_too(elder, family, volunteer):
    posted = scheduled(elder, volunteer)
    with pytest.raises(NotAllowed):
        cancel_request(posted, by=volunteer)
    assert db.session.get(Visit, posted.visit_id).status == VisitStatus.SCHEDULED
    cancel_request(posted, by=family)
    visit = db.session.get(Visit, posted.visit_id)
    assert (posted.status, posted.cancelled_by_id) == (RequestStatus.CANCELLED, family.id)
    assert visit.status == VisitStatus.CANCELLED and f"#{posted.id}" in visit.note
    with pytest.raises(AlreadySettled):
        cancel_request(posted, by=family)


def test_a_request_whose_visit_has_started_cannot_be_cancelled(elder, volunteer):
    posted = scheduled(elder, volunteer)
    visit = db.session.get(Visit, posted.visit_id)
    check_in(visit, by=volunteer)
    with pytest.raises(InvalidVisit):
        cancel_request(posted, by=elder)
    assert (posted.status, visit.status) == (RequestStatus.SCHEDULED, VisitStatus.IN_PROGRESS)


def test_a_request_whose_visit_was_called_off_on_its_own_page_can_still_be_cancelled(
    elder, volunteer
):
    posted = scheduled(elder, volunteer)
    visit = db.session.get(Visit, posted.visit_id)
    cancel_visit(visit, by=volunteer)
    cancel_request(posted, by=elder)
    assert (posted.status, visit.status) == (RequestStatus.CANCELLED, VisitStatus.CANCELLED)


# --- unclaimed ------------------------------------------------------------------------


def test_unclaimed_requests_are_flagged_and_shown_oldest_first(
    elder, coordinator, make_member, make_community
):
    old = post(elder)
    urgent = post(elder, urgency=Urgency.URGENT)
    fresh = post(elder)
    now = utcnow()
    old.created_at = now - timedelta(hours=49)
    urgent.created_at = now - timedelta(hours=5)
    fresh.created_at = now - timedelta(hours=3)
    db.session.flush()
    assert flag_unclaimed(now, hours=48, urgent_hours=4) == 2
    assert flag_unclaimed(now, hours=48, urgent_hours=4) == 0  # flagged once
    db.session.refresh(fresh)
    assert fresh.flagged_at is None
    assert [r.id for r in unclaimed_requests(coordinator)] == [old.id, urgent.id, fresh.id]
    other = make_member("外社工", age=41, role=Role.COORDINATOR, community=make_community())
    assert unclaimed_requests(other) == []
    with pytest.raises(NotAllowed):
        unclaimed_requests(elder)


def test_flag_unclaimed_cli_uses_the_configured_threshold(app, elder):
    posted = post(elder)
    posted.created_at = utcnow() - timedelta(hours=10)
    db.session.commit()
    app.config["AID_UNCLAIMED_HOURS"] = 8
    result = app.test_cli_runner().invoke(args=["aid", "flag-unclaimed"])
    assert result.exit_code == 0 and "flagged 1" in result.output
    db.session.refresh(posted)
    assert posted.flagged_at is not None


def test_request_is_done_once_its_visit_is_confirmed(elder, volunteer):
    posted = post(elder, needed_on=local_today())
    take_request(posted, volunteer=volunteer)
    approve_take(posted, by=elder)
    visit = db.session.get(Visit, posted.visit_id)
    arrived = utcnow()
    check_in(visit, by=volunteer, at=arrived)
    check_out(visit, by=volunteer, at=arrived + timedelta(minutes=50))
    assert posted.status == RequestStatus.SCHEDULED  # logged, not yet confirmed
    confirm_visit(visit.service_record, by=elder)
    db.session.refresh(posted)
    assert posted.status == RequestStatus.DONE
