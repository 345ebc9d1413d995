"""Who may act for whom: coordinators, street admins and consenting family."""

from __future__ import annotations

import pytest

from community.models import Role, Street
from community.reach import (
    active_link,
    agrees_for,
    are_family,
    coordinated_member_ids,
    coordinates,
    coordinates_community,
    family_may,
    in_street,
    linked_elders,
    may_see_contact,
    reaches_any,
    street_communities,
)
from community.services import found_community, link_family, revoke_family_link
from extensions import db


def test_coordinator_coordinates_own_community_only(community, coordinator, elder, make_community):
    elsewhere = make_community()
    assert coordinates_community(coordinator, community)
    assert coordinates(coordinator, elder)
    assert not coordinates_community(coordinator, elsewhere)


def test_street_admin_coordinates_every_community_of_the_street(
    community, make_member, make_community
):
    admin = make_member(age=45, role=Role.STREET_ADMIN)
    assert coordinates_community(admin, community)
    assert coordinates_community(admin, make_community())
    other_street = Street(name="另一条街道")
    db.session.add(other_street)
    db.session.flush()
    assert not coordinates_community(admin, found_community(street_id=other_street.id, name="远"))


def test_members_coordinate_nobody(community, volunteer, elder):
    assert not coordinates_community(volunteer, community)
    assert not coordinates(volunteer, elder)
    assert not coordinates(elder, elder)


def test_family_permissions_follow_the_link(elder, make_member):
    son, neighbour = make_member(age=50), make_member(age=70)
    link_family(by=elder, elder=elder, relative=son, may_book=True, may_confirm=False)
    assert family_may(son, elder, "may_book")
    assert not family_may(son, elder, "may_confirm")
    assert not family_may(neighbour, elder, "may_book")
    # the link gives the relative rights over the elder, not the other way round
    assert not family_may(elder, son, "may_book")
    assert linked_elders(son, "may_book") == [elder]
    assert linked_elders(son, "may_confirm") == []


def test_family_is_symmetric_and_ends_with_revocation(elder, make_member):
    son = make_member(age=50)
    assert not are_family(elder, son)
    link = link_family(by=elder, elder=elder, relative=son)
    assert active_link(elder, son) == link
    assert are_family(elder, son) and are_family(son, elder)
    revoke_family_link(link, by=elder)
    assert active_link(elder, son) is None
    assert not are_family(son, elder)
    assert not family_may(son, elder, "may_confirm")
    assert linked_elders(son, "may_confirm") == []


def test_unknown_permission_is_a_programming_error(elder, volunteer):
    with pytest.raises(ValueError):
        family_may(volunteer, elder, "may_spend")
    with pytest.raises(ValueError):
        linked_elders(volunteer, "is_admin")


# --- the time bank's additions -----------------------------------------------------------------


def test_agreeing_for_a_member_is_their_side_only(people, make_member):
    elder = people["elder"]
    helper = make_member("只能确认的亲戚", age=50)
    link_family(by=elder, elder=elder, relative=helper, may_book=False, may_confirm=True)
    on_side = {"elder", "family", "coordinator", "street_admin"}
    for who, person in people.items():
        assert agrees_for(person, elder) == (who in on_side), who
    assert not agrees_for(helper, elder)  # may confirm, not book
    assert reaches_any(helper, elder, ("may_book", "may_confirm"))
    assert not reaches_any(helper, elder, ("may_book",))
    with pytest.raises(ValueError):
        reaches_any(people["volunteer"], elder, ("may_spend",))


def test_a_phone_is_for_the_member_family_acting_for_them_and_their_coordinators(people):
    elder = people["elder"]
    may_see = {who for who, person in people.items() if may_see_contact(person, elder)}
    assert may_see == {"elder", "family", "coordinator", "street_admin"}


def test_the_street_is_the_actors(people, far_people, community, other_community):
    far = far_people["far_coordinator"]
    assert in_street(people["elder"], other_community)
    assert not in_street(far, community)
    assert street_communities(people["volunteer"]) == sorted(
        [community, other_community], key=lambda c: (c.name, c.id)
    )
    assert street_communities(far) == [far.community]
    ids = set(db.session.scalars(coordinated_member_ids(people["other_coordinator"])))
    assert people["other_coordinator"].id in ids and people["elder"].id not in ids
    assert set(db.session.scalars(coordinated_member_ids(people["elder"]))) == set()
