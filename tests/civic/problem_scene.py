"""Places, an organisation and its staff for the problem tests and the permission table."""

from __future__ import annotations

import io

from PIL import Image

from civic.organisation_models import (
    Organisation,
    OrganisationCompound,
    OrganisationKind,
    OrganisationStaff,
    StaffRole,
)
from civic.place_models import Building, Compound
from civic.problems import NewProblem, report_problem
from community.models import Community, User
from extensions import db


def compound_in(community: Community, name: str = "桂花新村") -> Compound:
    compound = Compound(community_id=community.id, name=name)
    db.session.add(compound)
    db.session.flush()
    db.session.add(Building(compound_id=compound.id, name="3幢"))
    db.session.flush()
    return compound


def property_company(compound: Compound, *staff: User, name: str = "吴门物业") -> Organisation:
    """A property company serving ``compound``; the first of ``staff`` is its manager."""
    company = Organisation(
        street_id=compound.community.street_id,
        name=name,
        kind=OrganisationKind.PROPERTY_COMPANY,
        phone="0512-6500000",
    )
    db.session.add(company)
    db.session.flush()
    db.session.add(OrganisationCompound(organisation_id=company.id, compound_id=compound.id))
    for number, member in enumerate(staff):
        role = StaffRole.MANAGER if number == 0 else StaffRole.WORKER
        db.session.add(
            OrganisationStaff(organisation_id=company.id, member_id=member.id, role=role)
        )
    db.session.flush()
    return company


def jpeg(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 90)).save(out, "JPEG")
    return out.getvalue()


def a_problem(
    reporter: User,
    compound: Compound,
    *,
    by: User | None = None,
    category: str = "lighting",
    urgency: str = "soon",
    words: str = "3幢2单元楼道灯坏了，晚上看不见台阶",
    photos: list[bytes] = (),
):
    return report_problem(
        by=by or reporter,
        reporter=reporter,
        report=NewProblem(
            category=category,
            compound_id=compound.id,
            description=words,
            urgency=urgency,
            spot="2单元楼道",
        ),
        photos=list(photos),
    )
