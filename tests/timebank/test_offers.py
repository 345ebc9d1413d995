"""Offers: publishing, changing, pausing, listing, and asking a volunteer for their offered help."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from community.services import link_family
from extensions import db
from timebank.aid_models import AidRequest, RequestStatus
from timebank.clock import local_today
from timebank.errors import InvalidRequest, NotAllowed, NotFound
from timebank.offers import (
    OfferDetails,
    ask_for_offer,
    list_offers,
    publish_offer,
    set_offer_active,
    update_offer,
)
from timebank.request_lists import open_requests
from timebank.requests import Need, approve_take, decline_take
from timebank.visit_models import Visit

from .support import key

pytestmark = pytest.mark.usefixtures("english")


def details(**fields) -> OfferDetails:
    fields.setdefault("category", "haircut")
    return OfferDetails(**fields)


def ask(offer, requester, by=None, **fields):
    fields.setdefault("category", offer.category)
    fields.setdefault("estimated_minutes", 45)
    fields.setdefault("needed_on", local_today() + timedelta(days=1))
    return ask_for_offer(
        offer, Need(**fields), requester=requester, by=by or requester, idempotency_key=key()
    )


def test_volunteer_publishes_an_offer_with_weekly_availability(volunteer, elder):
    offer = publish_offer(
        details(
            description="上门理发",
            areas="3号楼, 5号楼",
            weekdays=(1, 4),
            available_from=time(9),
            available_until=time(11),
        ),
        by=volunteer,
    )
    assert offer.weekday_list == [1, 4] and offer.active
    assert [o.id for o in list_offers(elder)] == [offer.id]
    assert list_offers(elder, category="meal") == []


def test_only_volunteers_publish_and_only_the_owner_changes(volunteer, elder, make_member):
    with pytest.raises(NotAllowed):
        publish_offer(details(), by=elder)
    offer = publish_offer(details(), by=volunteer)
    other = make_member("别的志愿者", age=30, is_volunteer=True)
    with pytest.raises(NotAllowed):
        update_offer(offer, details(category="meal"), by=other)
    with pytest.raises(NotAllowed):
        set_offer_active(offer, by=other, active=False)
    update_offer(offer, details(category="meal", weekdays=(0,)), by=volunteer)
    assert (offer.category, offer.weekday_list) == ("meal", [0])


@pytest.mark.parametrize(
    "fields",
    [
        {"category": "nope"},
        {"available_from": time(12), "available_until": time(9)},
        {"weekdays": (7,)},
    ],
)
def test_impossible_offers_are_refused(volunteer, fields):
    with pytest.raises(InvalidRequest):
        publish_offer(details(**fields), by=volunteer)


def test_paused_offer_is_not_listed_nor_askable(volunteer, elder):
    offer = publish_offer(details(), by=volunteer)
    set_offer_active(offer, by=volunteer, active=False)
    assert list_offers(elder) == []
    with pytest.raises(NotFound):
        ask(offer, elder)


def test_asking_makes_a_request_for_that_volunteer_who_accepts_it(volunteer, elder):
    offer = publish_offer(details(), by=volunteer)
    asked = ask(offer, elder, window_start=time(9))
    assert (asked.status, asked.volunteer_id, asked.offer_id) == (
        RequestStatus.TAKEN,
        volunteer.id,
        offer.id,
    )
    assert open_requests(volunteer) == []  # not on the open list: it is for this volunteer
    with pytest.raises(NotAllowed):
        approve_take(asked, by=elder)  # the elder already agreed by asking
    approve_take(asked, by=volunteer)
    assert asked.status == RequestStatus.SCHEDULED
    assert db.session.get(Visit, asked.visit_id).volunteer_id == volunteer.id


def test_a_declined_ask_goes_on_the_open_list(volunteer, elder, make_member):
    offer = publish_offer(details(), by=volunteer)
    asked = ask(offer, elder)
    decline_take(asked, by=volunteer)
    assert (asked.status, asked.volunteer_id, asked.offer_id) == (RequestStatus.OPEN, None, None)
    other = make_member("别的志愿者", age=30, is_volunteer=True)
    assert [s.id for s in open_requests(other)] == [asked.id]


def test_family_asks_for_the_elder_but_not_without_booking_rights(volunteer, elder, make_member):
    offer = publish_offer(details(), by=volunteer)
    daughter, son = make_member("女儿", age=50), make_member("儿子", age=52)
    link_family(elder=elder, relative=daughter, by=elder)
    link_family(elder=elder, relative=son, by=elder, may_book=False)
    asked = ask(offer, elder, by=daughter)
    assert (asked.requester_id, asked.entered_by_id) == (elder.id, daughter.id)
    with pytest.raises(NotAllowed):
        ask(offer, elder, by=son)
    assert db.session.query(AidRequest).count() == 1


def test_cannot_ask_for_your_own_offer_or_in_the_past(volunteer, elder):
    offer = publish_offer(details(), by=volunteer)
    with pytest.raises(NotAllowed):
        ask(offer, volunteer)
    with pytest.raises(InvalidRequest):
        ask(offer, elder, needed_on=local_today() - timedelta(days=1))
    with pytest.raises(InvalidRequest):
        ask(offer, elder, category="meal")
