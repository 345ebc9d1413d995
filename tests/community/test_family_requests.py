"""Family link requests: asking, consenting (perhaps to less), declining, ending — and who may."""

from __future__ import annotations

import pytest

from community.errors import InvalidMember, NotPermitted
from community.family import (
    LinkAlreadyAnswered,
    consent_family_link,
    decline_family_link,
    end_family_link,
    family_overview,
    pending_link_requests,
    request_family_link,
)
from community.models import LinkStatus, Role
from community.notifications import inbox, render
from community.reach import family_may

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def daughter(make_member):
    return make_member("王小红", age=45)


@pytest.fixture
def asked(daughter, elder):
    """The daughter asked to book and confirm for the elder, not to receive gifts."""
    return request_family_link(
        by=daughter,
        elder=elder,
        relation="女儿",
        may_book=True,
        may_confirm=True,
        may_receive_gifts=False,
    )


def test_a_request_waits_and_grants_nothing_until_answered(asked, daughter, elder):
    assert asked.status == LinkStatus.REQUESTED
    assert not family_may(daughter, elder, "may_book")
    [message] = inbox(elder)
    assert render(message) == "王小红 asks to be linked to 王秀英 as family (女儿). Please answer."
    assert message.link == f"/family/requests/{asked.id}"


def test_the_elder_consents_and_the_relative_may_act_and_hears_of_it(asked, daughter, elder):
    consent_family_link(asked, by=elder, may_book=True, may_confirm=True, may_receive_gifts=False)
    assert asked.status == LinkStatus.ACTIVE
    assert asked.consented_by_id == elder.id
    assert family_may(daughter, elder, "may_book")
    assert family_may(daughter, elder, "may_confirm")
    assert render(inbox(daughter)[0]) == "王秀英 answered your family link request: agreed."


def test_consent_may_narrow_what_was_asked(asked, daughter, elder):
    consent_family_link(asked, by=elder, may_book=False, may_confirm=True, may_receive_gifts=False)
    assert not family_may(daughter, elder, "may_book")
    assert family_may(daughter, elder, "may_confirm")


def test_consent_never_gives_more_than_was_asked(asked, daughter, elder):
    with pytest.raises(InvalidMember, match="asked for, or less"):
        consent_family_link(
            asked, by=elder, may_book=True, may_confirm=True, may_receive_gifts=True
        )
    assert asked.status == LinkStatus.REQUESTED
    assert not family_may(daughter, elder, "may_receive_gifts")


def test_a_coordinator_consents_only_after_checking_in_person(asked, coordinator, daughter, elder):
    with pytest.raises(NotPermitted, match="in person"):
        consent_family_link(
            asked, by=coordinator, may_book=True, may_confirm=False, may_receive_gifts=False
        )
    consent_family_link(
        asked,
        by=coordinator,
        may_book=True,
        may_confirm=False,
        may_receive_gifts=False,
        checked_in_person=True,
    )
    assert asked.consented_by_id == coordinator.id
    assert family_may(daughter, elder, "may_book")
    assert not family_may(daughter, elder, "may_confirm")


def test_who_may_not_answer(asked, daughter, make_member, other_community, subtests):
    neighbour = make_member("邻居", age=50)
    stranger_coordinator = make_member("外社工", role=Role.COORDINATOR, community=other_community)
    for who in (daughter, neighbour, stranger_coordinator):
        with subtests.test(who=who.display_name):
            with pytest.raises(NotPermitted):
                consent_family_link(
                    asked,
                    by=who,
                    may_book=True,
                    may_confirm=True,
                    may_receive_gifts=False,
                    checked_in_person=True,
                )
            with pytest.raises(NotPermitted):
                decline_family_link(asked, by=who)
    assert asked.status == LinkStatus.REQUESTED


def test_declining_records_who_and_tells_the_relative(asked, coordinator, daughter, elder):
    decline_family_link(asked, by=coordinator)
    assert asked.status == LinkStatus.REVOKED
    assert asked.ended_by_id == coordinator.id
    assert asked.consented_by_id is None
    assert not family_may(daughter, elder, "may_book")
    assert render(inbox(daughter)[0]) == "王秀英 answered your family link request: declined."
    with pytest.raises(LinkAlreadyAnswered):
        consent_family_link(
            asked, by=elder, may_book=True, may_confirm=True, may_receive_gifts=False
        )


def test_asking_twice_or_when_linked_is_refused_but_asking_again_after_a_no_works(
    asked, daughter, elder
):
    with pytest.raises(LinkAlreadyAnswered, match="still awaited"):
        request_family_link(by=daughter, elder=elder)
    decline_family_link(asked, by=elder)
    again = request_family_link(by=daughter, elder=elder, may_receive_gifts=False)
    assert again.id == asked.id and again.status == LinkStatus.REQUESTED
    assert again.ended_by_id is None
    consent_family_link(again, by=elder, may_book=True, may_confirm=True, may_receive_gifts=False)
    with pytest.raises(LinkAlreadyAnswered, match="already linked"):
        request_family_link(by=daughter, elder=elder)


def test_nobody_links_to_themself_or_asks_for_nothing(daughter, elder):
    with pytest.raises(InvalidMember):
        request_family_link(by=elder, elder=elder)
    with pytest.raises(InvalidMember, match="at least one"):
        request_family_link(
            by=daughter, elder=elder, may_book=False, may_confirm=False, may_receive_gifts=False
        )


def test_either_side_or_a_coordinator_ends_a_link_and_others_may_not(
    asked, coordinator, daughter, elder, make_member, subtests
):
    consent_family_link(asked, by=elder, may_book=True, may_confirm=True, may_receive_gifts=False)
    neighbour = make_member("邻居", age=50)
    with pytest.raises(NotPermitted):
        end_family_link(asked, by=neighbour)
    assert family_may(daughter, elder, "may_book")
    for who in (daughter, elder, coordinator):
        with subtests.test(who=who.display_name):
            asked.status = LinkStatus.ACTIVE
            end_family_link(asked, by=who)
            assert asked.ended_by_id == who.id
            assert not family_may(daughter, elder, "may_book")
    with pytest.raises(LinkAlreadyAnswered):
        end_family_link(asked, by=elder)


def test_family_overview_shows_both_directions_and_requests(asked, daughter, elder, make_member):
    son = make_member("王小明", age=48)
    son_link = request_family_link(by=son, elder=elder)
    consent_family_link(son_link, by=elder, may_book=True, may_confirm=True, may_receive_gifts=True)
    mine = family_overview(elder)
    assert [link.relative_id for link in mine.acting_for_me] == [son.id]
    assert [link.relative_id for link in mine.to_answer] == [daughter.id]
    theirs = family_overview(daughter)
    assert [link.elder_id for link in theirs.asked] == [elder.id]
    assert family_overview(son).i_act_for == [son_link]


def test_pending_requests_for_the_coordinators_of_the_elders_community(
    asked, coordinator, make_member, other_community, volunteer
):
    far_elder = make_member("李奶奶", age=88, community=other_community)
    far = request_family_link(by=volunteer, elder=far_elder)
    other_coordinator = make_member("外社工", role=Role.COORDINATOR, community=other_community)
    street_admin = make_member("街道管理员", role=Role.STREET_ADMIN)
    assert pending_link_requests(coordinator) == [asked]
    assert pending_link_requests(other_coordinator) == [far]
    assert pending_link_requests(street_admin) == [asked, far]
    with pytest.raises(NotPermitted):
        pending_link_requests(volunteer)


# --- nothing crosses a street ---------------------------------------------------------------


@pytest.fixture
def far_relative(make_member, far_people):
    return make_member("远方亲戚", age=48, community=far_people["far_coordinator"].community)


def test_a_family_link_request_never_crosses_a_street(far_relative, elder):
    with pytest.raises(NotPermitted):
        request_family_link(by=far_relative, elder=elder, relation="侄女")
    assert inbox(elder) == []


def test_a_family_link_is_never_made_across_streets(far_relative, elder, coordinator):
    from community.services import link_family

    for by in (elder, coordinator):
        with pytest.raises(NotPermitted):
            link_family(by=by, elder=elder, relative=far_relative, relation="侄女")
    assert not family_may(far_relative, elder, "may_book")


def test_another_streets_staff_answer_no_family_request(asked, far_people):
    for who in far_people.values():
        with pytest.raises(NotPermitted):
            consent_family_link(
                asked,
                by=who,
                may_book=True,
                may_confirm=True,
                may_receive_gifts=False,
                checked_in_person=True,
            )
        assert asked not in pending_link_requests(who)
