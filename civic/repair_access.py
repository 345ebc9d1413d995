"""Who may see a repair request and who may take each of its steps.

A repair has two sides. The resident's side: the resident, family whose link lets
them book (send, accept a price) or confirm (confirm, say it is not fixed), and the
coordinators of the resident's community (the street admin of its street too), who
act for elders without phones. The organisation's side: its manager(s) assign and
price, the worker sent does the work. Anyone else is not told the repair exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from civic.errors import NotAllowed, NotFound
from civic.organisation_models import OrganisationStaff, StaffRole
from civic.places import staff_role
from civic.repair_models import Repair
from community.models import User
from community.reach import CONTACT_PERMISSIONS, member_condition, reaches, reaches_any
from extensions import db
from input_guard import MAX_ID


def on_resident_side(actor: User, repair: Repair, permission: str) -> bool:
    """True if ``actor`` acts for the repair's resident with ``permission``."""
    return reaches(actor, repair.resident, permission)


def role_for(actor: User, repair: Repair) -> StaffRole | None:
    """``actor``'s role for the organisation the repair went to, if any."""
    return staff_role(actor, repair.organisation)


def sees(actor: User, repair: Repair) -> bool:
    """True if ``actor`` is on either side of the repair."""
    return reaches_any(actor, repair.resident, CONTACT_PERMISSIONS) or (
        role_for(actor, repair) is not None
    )


def resident_phone_for(actor: User, repair: Repair) -> str | None:
    """The resident's phone if ``actor``'s part in the repair needs it: the resident's
    side, and the organisation's staff (the worker calls before coming)."""
    if reaches_any(actor, repair.resident, CONTACT_PERMISSIONS) or role_for(actor, repair):
        return repair.resident.phone
    return None


def repair_for(actor: User, repair_id: int) -> Repair:
    """The repair with this id if ``actor`` may see it. Raises NotFound otherwise."""
    repair = db.session.get(Repair, repair_id) if 0 < repair_id <= MAX_ID else None
    if repair is None or not sees(actor, repair):
        raise NotFound()
    return repair


def require_manager(actor: User, repair: Repair) -> None:
    """Raises NotAllowed unless ``actor`` manages the organisation holding the repair."""
    if role_for(actor, repair) is not StaffRole.MANAGER:
        raise NotAllowed()


def require_worker(actor: User, repair: Repair) -> None:
    """Raises NotAllowed unless ``actor`` is the worker sent (or a manager of the
    organisation, who may record a visit for a worker without a phone)."""
    if actor.id != repair.worker_id and role_for(actor, repair) is not StaffRole.MANAGER:
        raise NotAllowed()


def require_resident_side(actor: User, repair: Repair, permission: str) -> None:
    """Raises NotAllowed unless ``actor`` acts for the resident with ``permission``."""
    if not on_resident_side(actor, repair, permission):
        raise NotAllowed()


def resident_side_condition(actor: User) -> ColumnElement[bool]:
    """SQL: repairs of residents ``actor`` acts for (themself, family who may book for
    them, the members of communities they coordinate)."""
    return member_condition(actor, Repair.resident_id, "may_book")


def organisation_condition(actor: User, role: StaffRole | None = None) -> ColumnElement[bool]:
    """SQL: repairs held by organisations ``actor`` works for (as ``role``, if given)."""
    mine = select(OrganisationStaff.organisation_id).where(OrganisationStaff.member_id == actor.id)
    if role is not None:
        mine = mine.where(OrganisationStaff.role == role)
    return Repair.organisation_id.in_(mine)


def visible_condition(actor: User) -> ColumnElement[bool]:
    """SQL: repairs ``actor`` sees from either side."""
    return or_(resident_side_condition(actor), organisation_condition(actor))
