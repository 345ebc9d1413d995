"""The demo street's places and organisations, and the questions civic asks of them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.errors import NotFound
from civic.organisation_models import Organisation, OrganisationKind, StaffRole
from civic.place_models import Compound
from civic.places import (
    community_compounds,
    compound_in_street,
    homes_owned,
    organisations_of,
    organisations_serving,
    serves,
    staff_role,
)
from community.models import Role, Street, User
from community.services import create_member, found_community
from extensions import db


@pytest.fixture
def database_url(demo_database_url):
    """Every test here reads the demo street (seeded once a run, copied for each test)."""
    return demo_database_url


@pytest.fixture
def demo(app):
    """The app on its copy of the demo street."""


def _member(login: str) -> User:
    return db.session.scalar(select(User).where((User.username == login) | (User.phone == login)))


def _compound(name: str) -> Compound:
    return db.session.scalar(select(Compound).where(Compound.name == name))


def test_each_compound_is_served_by_its_linked_organisations_and_the_street_department(demo):
    guihua, jinshi5 = _compound("桂花新村"), _compound("金狮河沿5号")
    names = [o.name for o in organisations_serving(guihua)]
    assert names == ["沧浪物业服务有限公司", "沧浪街道城市管理科"]
    company = db.session.scalar(select(Organisation).where(Organisation.name == names[0]))
    assert serves(company, guihua)
    assert not serves(company, jinshi5)
    group = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.SELF_MANAGEMENT)
    )
    assert [o.name for o in organisations_serving(jinshi5)][0] == group.name
    company.is_active = False
    assert not serves(company, guihua)


def test_staff_know_their_organisation_and_role(demo):
    manager, worker, elder = (
        _member("canglang.property"),
        _member("canglang.repair"),
        _member("13900000002"),
    )
    [(company, role)] = organisations_of(manager)
    assert role is StaffRole.MANAGER
    assert staff_role(worker, company) is StaffRole.WORKER
    assert staff_role(elder, company) is None
    assert organisations_of(elder) == []


def test_the_demo_elder_owns_a_home_in_guihua(demo):
    [home] = homes_owned(_member("13900000002"))
    assert home.building.compound.name == "桂花新村"
    assert home.area_dm2 > 0


def test_a_compound_of_another_street_is_not_found(demo):
    guihua = _compound("桂花新村")
    assert compound_in_street(_member("guihua.coord"), guihua.id) is guihua
    far_street = Street(name="双塔街道")
    db.session.add(far_street)
    db.session.flush()
    far_community = found_community(street_id=far_street.id, name="双塔社区")
    far_coordinator = create_member(
        by=None,
        community=far_community,
        display_name="外街社工",
        phone="13700000001",
        role=Role.COORDINATOR,
    )
    with pytest.raises(NotFound):
        compound_in_street(far_coordinator, guihua.id)
    with pytest.raises(NotFound):
        compound_in_street(_member("guihua.coord"), 2**31 + 7)
    names = [c.name for c in community_compounds(guihua.community_id)]
    assert names == sorted(["桂花新村", "桂花公寓"])
