"""The street admin's organisations: add, give and take compounds, name and remove staff;
coordinators read who serves their compounds; another street reaches nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic import organisation_admin as admin
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.places import organisations_serving, staff_role
from community.audit_models import AuditEntry
from community.errors import MemberNotFound
from extensions import db

from .repair_support import make_property


@pytest.fixture
def place(elder, make_member):
    return make_property(elder, make_member)


def _audited() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_street_admin_adds_links_and_staffs_an_organisation(english, people, place, elder):
    street_admin = people["street_admin"]
    group = admin.create_organisation(by=street_admin, name="桂花自管小组", kind="self_management")
    admin.link_compound(group, place.compound.id, by=street_admin)
    assert group in organisations_serving(place.compound)
    with pytest.raises(Conflict):
        admin.link_compound(group, place.compound.id, by=street_admin)
    staff = admin.name_staff(group, elder.phone, "manager", by=street_admin)
    assert staff_role(elder, group) == "manager"
    admin.name_staff(group, elder.phone, "worker", by=street_admin)  # a new role, same row
    assert staff_role(elder, group) == "worker"
    admin.remove_staff(group, staff.id, by=street_admin)
    assert staff_role(elder, group) is None
    admin.unlink_compound(group, place.compound.id, by=street_admin)
    assert group not in organisations_serving(place.compound)
    assert _audited() == [
        "organisation_created",
        "organisation_linked",
        "staff_named",
        "staff_named",
        "staff_removed",
        "organisation_unlinked",
    ]


def test_bad_input_is_refused_and_writes_nothing(english, people, place):
    street_admin = people["street_admin"]
    for name, kind in (("  ", "property_company"), ("新物业", "bank")):
        with pytest.raises(InvalidInput):
            admin.create_organisation(by=street_admin, name=name, kind=kind)
    with pytest.raises(Conflict):
        admin.create_organisation(by=street_admin, name=place.company.name, kind="property_company")
    with pytest.raises(MemberNotFound):
        admin.name_staff(place.company, "nobody-here", "worker", by=street_admin)
    with pytest.raises(NotFound):
        admin.remove_staff(place.company, 2**40, by=street_admin)
    with pytest.raises(NotFound):
        admin.link_compound(place.company, 2**40, by=street_admin)
    department = admin.create_organisation(by=street_admin, name="城管科", kind="street_department")
    with pytest.raises(InvalidInput):
        admin.link_compound(department, place.compound.id, by=street_admin)
    assert _audited() == ["organisation_created"]


def test_only_the_street_admin_changes_and_another_street_reaches_nothing(
    english, people, far_people, place, elder
):
    coordinator = people["coordinator"]
    with pytest.raises(NotAllowed):
        admin.create_organisation(by=coordinator, name="x", kind="property_company")
    with pytest.raises(NotAllowed):
        admin.link_compound(place.company, place.compound.id, by=coordinator)
    with pytest.raises(NotAllowed):
        admin.organisations_for(elder)
    far_admin = far_people["far_street_admin"]
    assert admin.organisations_for(far_admin) == []
    with pytest.raises(NotFound):
        admin.organisation_for(far_admin, place.company.id)
    with pytest.raises(NotFound):
        admin.link_compound(place.company, place.compound.id, by=far_admin)
    with pytest.raises(MemberNotFound):  # a member of another street is nobody here
        admin.name_staff(place.company, far_admin.phone, "worker", by=people["street_admin"])


def test_coordinators_see_who_serves_their_compounds(english, people, place):
    assert admin.organisations_for(people["coordinator"]) == [place.company]
    assert admin.organisation_for(people["coordinator"], place.company.id) is place.company
    assert admin.organisations_for(people["other_coordinator"]) == []
    with pytest.raises(NotFound):
        admin.organisation_for(people["other_coordinator"], place.company.id)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
