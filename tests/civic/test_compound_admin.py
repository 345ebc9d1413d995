"""A coordinator keeps their community's compounds, buildings, homes and owners; every
step is audited; bad input and other communities are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic import compound_admin as places
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.places import homes_owned
from community.audit_models import AuditEntry
from community.errors import MemberNotFound
from extensions import db


def _audited() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_coordinator_adds_a_compound_building_home_and_owner(english, coordinator, elder):
    compound = places.add_compound(
        elder.community, by=coordinator, name="桂花三村", address="桂花路1号"
    )
    building = places.add_building(compound, by=coordinator, name="3幢")
    home = places.add_home(
        compound, by=coordinator, building_id=building.id, unit="2单元301", area_dm2=7250
    )
    places.record_owner(compound, by=coordinator, home_id=home.id, who=elder.phone)
    assert homes_owned(elder) == [home]
    assert [c for c, _n in places.compounds_kept(coordinator)] == [compound]
    assert places.compounds_kept(coordinator)[0][1] == 1
    assert _audited() == ["compound_added", "building_added", "home_added", "home_owner_recorded"]


def test_bad_input_is_refused_and_writes_nothing(english, coordinator, elder, far_people):
    compound = places.add_compound(elder.community, by=coordinator, name="桂花三村")
    building = places.add_building(compound, by=coordinator, name="3幢")
    before = _audited()
    with pytest.raises(Conflict):
        places.add_compound(elder.community, by=coordinator, name="桂花三村")
    with pytest.raises(InvalidInput):
        places.add_compound(elder.community, by=coordinator, name="  ")
    with pytest.raises(Conflict):
        places.add_building(compound, by=coordinator, name="3幢")
    for area in (0, -5, 100_001):
        with pytest.raises(InvalidInput):
            places.add_home(
                compound, by=coordinator, building_id=building.id, unit="1", area_dm2=area
            )
    with pytest.raises(InvalidInput):
        places.add_home(compound, by=coordinator, building_id=2**40, unit="1", area_dm2=5000)
    with pytest.raises(InvalidInput):
        places.record_owner(compound, by=coordinator, home_id=2**40, who=elder.phone)
    home = places.add_home(
        compound, by=coordinator, building_id=building.id, unit="1", area_dm2=5000
    )
    with pytest.raises(MemberNotFound):  # someone of another street is nobody here
        places.record_owner(
            compound, by=coordinator, home_id=home.id, who=far_people["far_coordinator"].phone
        )
    places.record_owner(compound, by=coordinator, home_id=home.id, who=elder.phone)
    with pytest.raises(Conflict):
        places.record_owner(compound, by=coordinator, home_id=home.id, who=elder.phone)
    assert _audited() == [*before, "home_added", "home_owner_recorded"]


def test_members_and_other_communities_are_refused(english, people, far_people, elder):
    coordinator = people["coordinator"]
    compound = places.add_compound(elder.community, by=coordinator, name="桂花三村")
    with pytest.raises(NotAllowed):
        places.compounds_kept(elder)
    with pytest.raises(NotAllowed):
        places.add_compound(elder.community, by=people["other_coordinator"], name="x")
    assert places.compound_kept(people["street_admin"], compound.id) is compound
    for who in (people["other_coordinator"], *far_people.values()):
        with pytest.raises(NotFound):
            places.compound_kept(who, compound.id)
    with pytest.raises(NotAllowed):
        places.add_building(compound, by=people["other_coordinator"], name="1幢")
