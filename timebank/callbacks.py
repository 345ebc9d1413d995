"""Confirmation by a coordinator's call-back: the elder's coordinator phones them, and
confirms the visit for them when they say it happened as logged."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from community.models import User
from community.reach import coordinates
from extensions import db
from timebank.errors import InvalidVisit, NotAllowed, NotFound
from timebank.models import ServiceRecord
from timebank.visits import confirm_visit


def may_call_back(actor: User, record: ServiceRecord) -> bool:
    """True if ``actor`` may confirm ``record`` by phoning the elder: a coordinator of the
    elder's community who is not the visit's volunteer (and not the elder themself)."""
    return actor.id not in (record.volunteer_id, record.recipient_id) and coordinates(
        actor, record.recipient
    )


def _check_may_call_back(actor: User, record: ServiceRecord) -> None:
    if not may_call_back(actor, record):
        raise NotAllowed(_l("Only a coordinator of this community can confirm by call-back."))


def record_for_callback(actor: User, record_id: int) -> ServiceRecord:
    """The logged visit ``record_id`` that ``actor`` may confirm by call-back.

    Raises NotFound, NotAllowed.
    """
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound(_l("This visit does not exist."))
    _check_may_call_back(actor, record)
    return record


def confirm_by_callback(record: ServiceRecord, *, by: User, note: str) -> int:
    """A coordinator of the elder phoned them, and they confirmed the visit; post the hours.

    Recorded as method "callback" with the coordinator's note of the call (and in
    the audit log, as acting for the elder). Raises NotAllowed, InvalidVisit (no
    note), AlreadySettled and the ledger's errors.
    """
    _check_may_call_back(by, record)
    if not (note or "").strip():
        raise InvalidVisit(_l("Write down when you called and what was said."))
    return confirm_visit(record, by=by, method="callback", note=note)
