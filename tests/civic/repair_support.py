"""A compound with the elder's home, the property company serving it, its manager
周建国 and its worker 吴师傅 (for repairs' tests and the permission table's scene)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time, timedelta

from civic.clock import local_today
from civic.organisation_models import (
    Organisation,
    OrganisationCompound,
    OrganisationKind,
    OrganisationStaff,
    StaffRole,
)
from civic.place_models import Building, Compound, Home, HomeOwner
from civic.repairs import send_repair
from community.models import User
from extensions import db


@dataclass
class Property:
    compound: Compound
    home: Home
    company: Organisation
    manager: User
    worker: User


def make_property(elder: User, make_member, *, name: str = "桂花新村") -> Property:
    """桂花新村 in the elder's community, their home in it, and 桂花物业 serving it."""
    compound = Compound(community_id=elder.community_id, name=name, address="沧浪区桂花路8号")
    building = Building(compound=compound, name="1幢")
    home = Home(building=building, unit="1单元101", area_dm2=6000)
    db.session.add_all([compound, building, home])
    db.session.flush()
    db.session.add(HomeOwner(home_id=home.id, member_id=elder.id))
    company = Organisation(
        street_id=elder.community.street_id,
        name=f"{name}物业",
        kind=OrganisationKind.PROPERTY_COMPANY,
        phone="0512-65101234",
    )
    db.session.add(company)
    db.session.flush()
    db.session.add(OrganisationCompound(organisation_id=company.id, compound_id=compound.id))
    manager = make_member("周建国", age=48, community=elder.community)
    worker = make_member("吴师傅", age=52, community=elder.community)
    db.session.add_all(
        [
            OrganisationStaff(
                organisation_id=company.id, member_id=manager.id, role=StaffRole.MANAGER
            ),
            OrganisationStaff(
                organisation_id=company.id, member_id=worker.id, role=StaffRole.WORKER
            ),
        ]
    )
    db.session.flush()
    return Property(compound, home, company, manager, worker)


def tomorrow():
    return local_today() + timedelta(days=1)


def send_for(
    resident: User,
    home: Home,
    *,
    by: User | None = None,
    what: str = "水龙头滴水",
    photos: list[bytes] = (),
):
    """A repair of ``resident``'s home, home tomorrow 9:00-12:00."""
    return send_repair(
        resident,
        by=by or resident,
        where=f"home:{home.id}",
        place_detail="",
        description=what,
        day=tomorrow(),
        start=time(9),
        end=time(12),
        idempotency_key=uuid.uuid4().hex,
        photos=photos,
    )
