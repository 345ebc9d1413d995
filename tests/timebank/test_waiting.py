"""What waits for a member (timebank.waiting): visits to confirm, a volunteer to approve,
a resident who asked a volunteer, today's visits — for the member and each elder they
act for with consent, never anyone else's."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest

from community.services import link_family
from extensions import db
from tests.conftest import counted_statements
from timebank.clock import local_today
from timebank.offers import OfferDetails, ask_for_offer, publish_offer
from timebank.requests import Need, approve_take, post_request, take_request
from timebank.visit_models import Visit, VisitStatus
from timebank.visits import confirm_visit, log_visit
from timebank.waiting import waiting_for

pytestmark = pytest.mark.usefixtures("english")


def _key() -> str:
    return uuid.uuid4().hex


def visit_logged(volunteer, recipient, days_ago: int = 1):
    return log_visit(
        volunteer=volunteer,
        recipient=recipient,
        category="meal",
        service_date=local_today() - timedelta(days=days_ago),
        minutes=60,
        entered_by=volunteer,
        idempotency_key=_key(),
    )


def request_taken(requester, volunteer, *, by=None):
    need = Need(category="errands", estimated_minutes=60, needed_on=local_today())
    request = post_request(need, requester=requester, by=by or requester, idempotency_key=_key())
    return take_request(request, volunteer=volunteer)


def kinds(group) -> list[str]:
    return [item.kind for item in group.items]


def lines(group) -> list[str]:
    return [str(item.text) for item in group.items]


def test_nothing_waits_for_a_new_member(elder):
    groups = waiting_for(elder)
    assert len(groups) == 1 and groups[0].member.id == elder.id and groups[0].is_viewer
    assert groups[0].items == []


def test_a_visit_to_confirm_waits_for_the_person_served_not_the_volunteer(elder, volunteer):
    record = visit_logged(volunteer, elder)
    [mine] = waiting_for(elder)
    assert kinds(mine) == ["visit_to_confirm"]
    item = mine.items[0]
    assert str(item.text).startswith("李志愿 helped you on ")
    assert str(item.text).endswith("Meal help, 1 h. Please confirm it.")
    assert (item.endpoint, dict(item.values)) == ("timebank.visit", {"record_id": record.id})
    assert waiting_for(volunteer)[0].items == []  # the volunteer waits, but has nothing to do
    confirm_visit(record, by=elder)
    assert waiting_for(elder)[0].items == []  # answered: gone


def test_a_volunteer_who_took_a_request_waits_for_the_elders_agreement(elder, volunteer):
    request = request_taken(elder, volunteer)
    [mine] = waiting_for(elder)
    assert kinds(mine) == ["help_to_approve"]
    item = mine.items[0]
    assert str(item.text).startswith("李志愿 would like to help you: Errands")
    assert str(item.text).endswith("Please agree.")
    assert str(item.button) == "Agree to the help"
    assert (item.endpoint, dict(item.values), item.anchor) == (
        "aid.request_page",
        {"request_id": request.id},
        "approve-title",
    )
    approve_take(request, by=elder)
    assert waiting_for(elder)[0].items == []


def test_a_resident_who_asked_a_volunteers_offer_waits_for_the_volunteer(elder, volunteer):
    offer = publish_offer(
        OfferDetails(category="errands", weekdays=(0, 1, 2, 3, 4, 5, 6)), by=volunteer
    )
    need = Need(category="errands", estimated_minutes=60, needed_on=local_today())
    ask_for_offer(offer, need, requester=elder, by=elder, idempotency_key=_key())
    assert waiting_for(elder)[0].items == []  # asking was the elder's agreement
    [mine] = waiting_for(volunteer)
    assert kinds(mine) == ["asked_to_help"]
    assert str(mine.items[0].text).startswith("王秀英 asked you for help: Errands")


def test_family_see_each_linked_elders_items_under_the_elders_name(
    elder, family, volunteer, make_member
):
    record = visit_logged(volunteer, elder)
    request_taken(elder, volunteer)
    groups = waiting_for(family)
    assert [g.member.id for g in groups] == [family.id, elder.id]
    mine, hers = groups
    assert mine.items == []
    assert sorted(kinds(hers)) == ["help_to_approve", "visit_to_confirm"]
    assert kinds(hers)[0] == "help_to_approve"  # agreeing to a visit comes before confirming
    assert any(line.startswith("李志愿 helped 王秀英 on ") for line in lines(hers))
    assert {item.member_id for item in hers.items} == {elder.id}
    assert record.id in [item.values.get("record_id") for item in hers.items]


def test_family_see_only_what_the_elder_consented_to(elder, volunteer, make_member):
    confirms_only = make_member("只确认", age=45)
    link_family(by=elder, elder=elder, relative=confirms_only, may_book=False)
    gifts_only = make_member("只收礼", age=45)
    link_family(by=elder, elder=elder, relative=gifts_only, may_book=False, may_confirm=False)
    visit_logged(volunteer, elder)
    request_taken(elder, volunteer)
    _mine, hers = waiting_for(confirms_only)
    assert kinds(hers) == ["visit_to_confirm"]  # approving a volunteer needs may_book
    assert [g.member.id for g in waiting_for(gifts_only)] == [gifts_only.id]


def test_nobody_else_sees_an_elders_items(elder, volunteer, coordinator, make_member):
    stranger = make_member("路人", age=40)
    visit_logged(volunteer, elder)
    request_taken(elder, volunteer)
    for person in (stranger, coordinator):  # the coordinator's queues are on the desk
        assert [g.items for g in waiting_for(person)] == [[]]


def test_a_volunteer_sees_todays_visits_in_time_order(volunteer, elder, make_member):
    other = make_member("赵奶奶", age=80)
    today = local_today()
    for recipient, day, at, status in (
        (other, today, time(15, 0), VisitStatus.SCHEDULED),
        (elder, today, time(9, 30), VisitStatus.SCHEDULED),
        (elder, today + timedelta(days=1), time(9, 0), VisitStatus.SCHEDULED),  # tomorrow
        (other, today, time(8, 0), VisitStatus.CANCELLED),
    ):
        db.session.add(
            Visit(
                volunteer_id=volunteer.id,
                recipient_id=recipient.id,
                category="meal",
                scheduled_date=day,
                scheduled_time=at,
                status=status,
                entered_by_id=volunteer.id,
            )
        )
    db.session.flush()
    [mine] = waiting_for(volunteer)
    assert lines(mine) == [
        "Today at 9:30 AM: Meal help for 王秀英.",
        "Today at 3:00 PM: Meal help for 赵奶奶.",
    ]
    assert {item.endpoint for item in mine.items} == {"visits.visit"}


def test_the_list_costs_the_same_statements_however_much_waits(
    elder, family, volunteer, make_member
):
    visit_logged(volunteer, elder)
    request_taken(elder, volunteer)
    db.session.flush()
    db.session.expire_all()
    with counted_statements() as few:
        waiting_for(family)
    for n in range(6):
        helper = make_member(f"帮手{n}", age=60, is_volunteer=True)
        visit_logged(helper, elder, days_ago=n + 1)
        request_taken(elder, helper)
    db.session.flush()
    db.session.expire_all()
    with counted_statements() as many:
        groups = waiting_for(family)
    assert len(groups[1].items) == 14
    assert len(many) == len(few)
