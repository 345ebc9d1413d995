"""Who may act for whom: coordinators, street admins and consenting family."""

from __future__ import annotations

import pytest

from community.models import Role, Street
from community.reach import (
    active_link,
    are_family,
    coordinates,
    coordinates_community,
    family_may,
    linked_elders,
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
