"""Who may see a logged visit (deciding on it is timebank.visits.may_decide)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from community.models import User
from community.reach import coordinates, family_may
from extensions import db
from timebank.errors import NotAllowed, NotFound
from timebank.models import ServiceRecord


def may_view_visit(actor: User, record: ServiceRecord) -> bool:
    """True if ``actor`` took part in the visit or looks after one of its people.

    That is the volunteer, the recipient, whoever entered it, family allowed to
    confirm for the recipient, and coordinators of the recipient's or the
    volunteer's community.
    """
    if actor.id in (record.volunteer_id, record.recipient_id, record.entered_by_id):
        return True
    return (
        family_may(actor, record.recipient, "may_confirm")
        or coordinates(actor, record.recipient)
        or coordinates(actor, record.volunteer)
    )


def visit_for(actor: User, record_id: int) -> ServiceRecord:
    """The visit ``record_id`` as seen by ``actor``.

    Raises NotFound for an unknown id and NotAllowed when ``actor`` may not see it.
    """
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound(_l("This visit does not exist."))
    if not may_view_visit(actor, record):
        raise NotAllowed(_l("You may not see this visit."))
    return record
