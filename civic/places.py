"""Questions about places and organisations that every civic feature asks.

Reach follows ``community.reach``: a compound belongs to one community, an
organisation to one street. These functions read; they never write.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from civic.errors import NotFound
from civic.organisation_models import (
    Organisation,
    OrganisationCompound,
    OrganisationKind,
    OrganisationStaff,
    StaffRole,
)
from civic.place_models import Building, Compound, Home, HomeOwner
from community.models import Community, User
from community.reach import street_id_of
from extensions import db
from input_guard import MAX_ID


def community_compounds(community_id: int) -> list[Compound]:
    """The compounds of one community, by name."""
    return list(
        db.session.scalars(
            select(Compound).where(Compound.community_id == community_id).order_by(Compound.name)
        )
    )


def compound_in_street(actor: User, compound_id: int) -> Compound:
    """The compound with this id if it lies in the actor's street.

    Raises NotFound otherwise (another street's compound is not named to them).
    """
    # Ids reach here from forms too; one past INTEGER would be an error on PostgreSQL.
    compound = db.session.get(Compound, compound_id) if 0 < compound_id <= MAX_ID else None
    if compound is None or compound.community.street_id != street_id_of(actor):
        raise NotFound()
    return compound


def serves(organisation: Organisation, compound: Compound) -> bool:
    """Whether the organisation answers for the compound: a street department for
    every compound of its street, the others for the compounds linked to them."""
    if not organisation.is_active:
        return False
    if organisation.kind == OrganisationKind.STREET_DEPARTMENT:
        street_id = db.session.scalar(
            select(Community.street_id).where(Community.id == compound.community_id)
        )
        return street_id == organisation.street_id
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OrganisationCompound.organisation_id == organisation.id,
                    OrganisationCompound.compound_id == compound.id,
                )
            )
        )
    )


def organisations_serving(compound: Compound) -> list[Organisation]:
    """The active organisations that answer for a compound, linked ones first."""
    linked = select(OrganisationCompound.organisation_id).where(
        OrganisationCompound.compound_id == compound.id
    )
    street_id = compound.community.street_id
    rows = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.is_active,
            Organisation.street_id == street_id,
            Organisation.id.in_(linked) | (Organisation.kind == OrganisationKind.STREET_DEPARTMENT),
        )
        .order_by(Organisation.kind == OrganisationKind.STREET_DEPARTMENT, Organisation.name)
    )
    return list(rows)


def staff_role(member: User, organisation: Organisation) -> StaffRole | None:
    """The member's role for the organisation, or None if they are not its staff."""
    role = db.session.scalar(
        select(OrganisationStaff.role).where(
            OrganisationStaff.organisation_id == organisation.id,
            OrganisationStaff.member_id == member.id,
        )
    )
    return StaffRole(role) if role else None


def organisations_of(member: User) -> list[tuple[Organisation, StaffRole]]:
    """The active organisations the member works for, each with their role."""
    rows = db.session.execute(
        select(Organisation, OrganisationStaff.role)
        .join(OrganisationStaff, OrganisationStaff.organisation_id == Organisation.id)
        .where(OrganisationStaff.member_id == member.id, Organisation.is_active)
        .order_by(Organisation.name)
    )
    return [(organisation, StaffRole(role)) for organisation, role in rows]


def homes_owned(member: User) -> list[Home]:
    """The homes the member owns, with their building and compound loaded."""
    return list(
        db.session.scalars(
            select(Home)
            .join(HomeOwner, HomeOwner.home_id == Home.id)
            .join(Building, Building.id == Home.building_id)
            .where(HomeOwner.member_id == member.id)
            .order_by(Home.id)
        )
    )
