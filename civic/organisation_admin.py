"""The street admin's work on organisations: add a property company, self-management
group or street department; give it compounds of the street and take them away;
name its staff (a manager, workers) and remove them. Every step is audited.

Coordinators read which organisations serve their community's compounds. Nothing
of another street is reached: its organisations are not found.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.organisation_models import (
    Organisation,
    OrganisationCompound,
    OrganisationKind,
    OrganisationStaff,
    StaffRole,
)
from civic.place_models import Compound
from civic.places import compound_in_street
from community import audit
from community.audit import Action
from community.models import Community, Role, User
from community.reach import find_in_street, street_id_of
from extensions import db
from input_guard import MAX_ID


def _street_admin(actor: User) -> None:
    if actor.role != Role.STREET_ADMIN:
        raise NotAllowed(_l("Only the street office manages property organisations."))


def _serving_community(community_id: int):
    """SQL: organisations linked to a compound of the community."""
    linked = (
        select(OrganisationCompound.organisation_id)
        .join(Compound, Compound.id == OrganisationCompound.compound_id)
        .where(Compound.community_id == community_id)
    )
    return Organisation.id.in_(linked)


def organisations_for(actor: User) -> list[Organisation]:
    """The street admin: every organisation of their street. A coordinator: those serving
    their community's compounds, and the street's departments. Raises NotAllowed else."""
    query = select(Organisation).where(Organisation.street_id == street_id_of(actor))
    if actor.role == Role.COORDINATOR:
        query = query.where(
            or_(
                _serving_community(actor.community_id),
                Organisation.kind == OrganisationKind.STREET_DEPARTMENT,
            )
        )
    elif actor.role != Role.STREET_ADMIN:
        raise NotAllowed(_l("Only coordinators and the street office see this."))
    return list(db.session.scalars(query.order_by(Organisation.kind, Organisation.name)))


def organisation_for(actor: User, organisation_id: int) -> Organisation:
    """The organisation if ``actor`` may see it (as ``organisations_for``).

    Raises NotFound otherwise (another street's is not named to them).
    """
    found = db.session.get(Organisation, organisation_id) if 0 < organisation_id <= MAX_ID else None
    if found is None or actor.role not in (Role.COORDINATOR, Role.STREET_ADMIN):
        raise NotFound()
    if found not in organisations_for(actor):
        raise NotFound()
    return found


def compounds_served(organisation: Organisation) -> list[Compound]:
    """The compounds linked to the organisation, by name."""
    return list(
        db.session.scalars(
            select(Compound)
            .join(OrganisationCompound, OrganisationCompound.compound_id == Compound.id)
            .where(OrganisationCompound.organisation_id == organisation.id)
            .order_by(Compound.name)
        )
    )


def street_compounds(actor: User) -> list[Compound]:
    """Every compound of ``actor``'s street, by community then name (for linking)."""
    return list(
        db.session.scalars(
            select(Compound)
            .join(Community, Community.id == Compound.community_id)
            .where(Community.street_id == street_id_of(actor))
            .order_by(Community.name, Compound.name)
        )
    )


def staff_list(organisation: Organisation) -> list[OrganisationStaff]:
    """The organisation's staff rows, managers first."""
    return list(
        db.session.scalars(
            select(OrganisationStaff)
            .where(OrganisationStaff.organisation_id == organisation.id)
            .order_by(OrganisationStaff.role, OrganisationStaff.id)
        )
    )


def create_organisation(*, by: User, name: str, kind: str, phone: str = "") -> Organisation:
    """Add an organisation to the street admin's street.

    Raises NotAllowed (not a street admin), InvalidInput (no name, unknown kind),
    Conflict (the street has one of that name).
    """
    _street_admin(by)
    name = name.strip()
    if not name:
        raise InvalidInput(_l("Give the organisation a name."))
    if kind not in set(OrganisationKind):
        raise InvalidInput(_l("Choose what kind of organisation it is."))
    street_id = street_id_of(by)
    taken = db.session.scalar(
        select(Organisation.id).where(
            Organisation.street_id == street_id, Organisation.name == name
        )
    )
    if taken:
        raise Conflict(_l("The street already has an organisation of that name."))
    organisation = Organisation(
        street_id=street_id,
        name=name[:80],
        kind=kind,
        phone=phone.strip()[:20],
        created_by_id=by.id,
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        Action.ORGANISATION_CREATED,
        actor=by,
        target=f"organisation:{organisation.id}",
        after={"name": organisation.name, "kind": kind},
    )
    return organisation


def _admin_of(by: User, organisation: Organisation) -> None:
    _street_admin(by)
    if organisation.street_id != street_id_of(by):
        raise NotFound()


def link_compound(organisation: Organisation, compound_id: int, *, by: User) -> None:
    """The organisation serves the compound (of the admin's street) from now on.

    Raises NotAllowed, NotFound (another street's compound), InvalidInput (a street
    department serves every compound already), Conflict (already linked).
    """
    _admin_of(by, organisation)
    compound = compound_in_street(by, compound_id)
    if organisation.kind == OrganisationKind.STREET_DEPARTMENT:
        raise InvalidInput(_l("A street department serves every compound of the street already."))
    exists = db.session.scalar(
        select(OrganisationCompound.id).where(
            OrganisationCompound.organisation_id == organisation.id,
            OrganisationCompound.compound_id == compound.id,
        )
    )
    if exists:
        raise Conflict(_l("It already serves this compound."))
    db.session.add(
        OrganisationCompound(
            organisation_id=organisation.id, compound_id=compound.id, linked_by_id=by.id
        )
    )
    db.session.flush()
    audit.record(
        Action.ORGANISATION_LINKED,
        actor=by,
        community=compound.community,
        target=f"organisation:{organisation.id}",
        after={"compound": compound.name},
    )


def unlink_compound(organisation: Organisation, compound_id: int, *, by: User) -> None:
    """The organisation no longer serves the compound. Raises NotAllowed, NotFound."""
    _admin_of(by, organisation)
    compound = compound_in_street(by, compound_id)
    removed = db.session.execute(
        delete(OrganisationCompound).where(
            OrganisationCompound.organisation_id == organisation.id,
            OrganisationCompound.compound_id == compound.id,
        )
    )
    if removed.rowcount != 1:
        raise NotFound()
    audit.record(
        Action.ORGANISATION_UNLINKED,
        actor=by,
        community=compound.community,
        target=f"organisation:{organisation.id}",
        before={"compound": compound.name},
    )


def name_staff(organisation: Organisation, who: str, role: str, *, by: User) -> OrganisationStaff:
    """Make a member of the street (named by phone, username or number) the
    organisation's manager or worker; someone already on its staff gets the new role.

    Raises NotAllowed, NotFound, MemberNotFound (nobody of this street), InvalidInput.
    """
    _admin_of(by, organisation)
    if role not in set(StaffRole):
        raise InvalidInput(_l("Choose a manager or a worker."))
    member = find_in_street(by, who)
    staff = db.session.scalar(
        select(OrganisationStaff).where(
            OrganisationStaff.organisation_id == organisation.id,
            OrganisationStaff.member_id == member.id,
        )
    )
    before = {"staff_role": staff.role} if staff else None
    if staff is None:
        staff = OrganisationStaff(organisation_id=organisation.id, member_id=member.id)
        db.session.add(staff)
    staff.role = role
    db.session.flush()
    audit.record(
        Action.STAFF_NAMED,
        actor=by,
        subject=member,
        target=f"organisation:{organisation.id}",
        before=before,
        after={"staff_role": role},
    )
    return staff


def remove_staff(organisation: Organisation, staff_id: int, *, by: User) -> None:
    """Take a member off the organisation's staff. Raises NotAllowed, NotFound."""
    _admin_of(by, organisation)
    staff = db.session.get(OrganisationStaff, staff_id) if 0 < staff_id <= MAX_ID else None
    if staff is None or staff.organisation_id != organisation.id:
        raise NotFound()
    member, role = staff.member, staff.role
    db.session.delete(staff)
    db.session.flush()
    audit.record(
        Action.STAFF_REMOVED,
        actor=by,
        subject=member,
        target=f"organisation:{organisation.id}",
        before={"staff_role": role},
    )
