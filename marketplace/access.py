"""Who may act for a resident, and who runs or oversees a provider.

Pure functions of the people involved (and the provider's communities);
services call them and raise marketplace errors.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from community.models import Role, User
from community.reach import coordinates_community
from extensions import db
from marketplace.errors import NotAllowed, NotFound
from marketplace.models import Provider
from timebank.aid_access import on_requester_side, requesters_on_side


def may_book_for(actor: User, resident: User) -> bool:
    """The resident, family whose link allows booking, or the resident's coordinator."""
    return on_requester_side(actor, resident)


def residents_booked_for(actor: User, residents: Iterable[User]) -> set[int]:
    """The ids of ``residents`` that ``actor`` may book for (one family query for them all)."""
    return requesters_on_side(actor, residents)


def resident_for(actor: User, resident_id: int | None) -> User:
    """Whom ``actor`` books for: themself, or ``resident_id`` if they may book for them.

    Raises NotFound for an unknown id, NotAllowed when they may not.
    """
    if resident_id is None or resident_id == actor.id:
        return actor
    resident = db.session.get(User, resident_id)
    if resident is None:
        raise NotFound(_l("No member found for “%(who)s”.", who="#" + str(resident_id)))
    if not may_book_for(actor, resident):
        raise NotAllowed(_l("You may only book for yourself or for family who agreed."))
    return resident


def runs_provider(actor: User, provider: Provider) -> bool:
    """True if ``actor`` is the provider's owner (the account that applied for it)."""
    return actor.id == provider.owner_id


def oversees_provider(actor: User, provider: Provider) -> bool:
    """True for a street admin of the provider's street, or a coordinator of a community it serves."""
    if actor.role == Role.STREET_ADMIN:
        return actor.community.street_id == provider.street_id
    return any(coordinates_community(actor, c) for c in provider.communities)


def check_runs_provider(actor: User, provider: Provider) -> None:
    """Raise NotAllowed unless ``actor`` runs ``provider``."""
    if not runs_provider(actor, provider):
        raise NotAllowed(_l("Only the provider itself may do this."))


def check_oversees_provider(actor: User, provider: Provider) -> None:
    """Raise NotAllowed unless ``actor`` coordinates a community the provider serves."""
    if not oversees_provider(actor, provider):
        raise NotAllowed(_l("Only a coordinator of a community this provider serves may do this."))
