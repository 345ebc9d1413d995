"""Confirmation cards for elders without phones, and confirmation by a coordinator's call-back.

A coordinator issues an elder a printed card with a 6-digit code; the code is
stored hashed and shown only once, right after issuing. At the end of a visit
the volunteer types the code in as the elder's confirmation. Guessing is
limited: at most MAX_ATTEMPTS_PER_HOUR tries per elder an hour, counted in
card_attempts — a refused try keeps its attempt row (see WrongCardCode).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

import community.models as community_models
from community.models import User, utcnow
from community.reach import coordinates
from extensions import db
from timebank.errors import AlreadySettled, InvalidVisit, NotAllowed, NotFound, TimebankError
from timebank.models import RecordStatus, ServiceRecord
from timebank.visit_models import CardAttempt, ConfirmationCard, Visit
from timebank.visits import confirm_visit, post_confirmation

CODE_DIGITS = 6
MAX_ATTEMPTS_PER_HOUR = 5


class WrongCardCode(TimebankError):
    """The code does not match the elder's active card (or the card was revoked).

    The attempt was counted and flushed: the caller commits it (and nothing
    else was written) so that wrong guesses count against the hourly limit.
    """

    http_status = 400


class TooManyCardAttempts(TimebankError):
    http_status = 429

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Too many tries with this card. Try again in an hour, or ask the family "
                "or a coordinator to confirm."
            )
        )


def _hash_code(code: str) -> str:
    # read at call time: the test suite swaps in a cheap method
    return generate_password_hash(code, method=community_models.PASSWORD_HASH_METHOD)


def active_card(elder: User) -> ConfirmationCard | None:
    """The elder's card that is in use, if any."""
    return db.session.scalar(
        select(ConfirmationCard).where(
            ConfirmationCard.elder_id == elder.id, ConfirmationCard.revoked_at.is_(None)
        )
    )


def _check_coordinator(by: User, elder: User) -> None:
    if not coordinates(by, elder):
        raise NotAllowed(_l("Only a coordinator of this member's community can manage the card."))


def issue_card(elder: User, *, by: User) -> tuple[ConfirmationCard, str]:
    """Issue the elder a new card and return it with its code (shown now, never again).

    Issuing again revokes the card in use first. Raises NotAllowed.
    """
    _check_coordinator(by, elder)
    old = active_card(elder)
    if old is not None:
        old.revoked_at = utcnow()
        old.revoked_by_id = by.id
        db.session.flush()  # the partial unique index allows one active card
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    card = ConfirmationCard(elder_id=elder.id, code_hash=_hash_code(code), issued_by_id=by.id)
    db.session.add(card)
    db.session.flush()
    return card, code


def revoke_card(card: ConfirmationCard, *, by: User) -> ConfirmationCard:
    """Revoke a lost card: its code no longer confirms. Raises NotAllowed, AlreadySettled."""
    _check_coordinator(by, card.elder)
    if card.revoked_at is not None:
        raise AlreadySettled(_l("This card was already revoked."))
    card.revoked_at = utcnow()
    card.revoked_by_id = by.id
    db.session.flush()
    return card


def attempts_in_last_hour(elder: User) -> int:
    """How many times the elder's card code was tried in the last hour."""
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(
        select(func.count(CardAttempt.id)).where(
            CardAttempt.elder_id == elder.id, CardAttempt.created_at > since
        )
    )


def confirm_with_card(record: ServiceRecord, code: str, *, by: User) -> int:
    """The volunteer enters the elder's card code as the elder's confirmation; post the hours.

    Recorded as decided by the volunteer on behalf of the elder, method "card".
    Returns the transfer's id. Raises NotAllowed (not this visit's volunteer),
    AlreadySettled, TooManyCardAttempts (429: the 6th try within an hour, even
    with the right code), WrongCardCode (wrong code, or no card in use; the
    attempt is counted) and the ledger's errors.
    """
    if by.id != record.volunteer_id:
        raise NotAllowed(_l("Only the volunteer of this visit can enter the card code."))
    if record.status != RecordStatus.PENDING:
        raise AlreadySettled(_l("This visit has already been answered."))
    elder = record.recipient
    if attempts_in_last_hour(elder) >= MAX_ATTEMPTS_PER_HOUR:
        raise TooManyCardAttempts()
    card = active_card(elder)
    code = (code or "").strip().replace(" ", "")
    matches = card is not None and check_password_hash(card.code_hash, code)
    attempt = CardAttempt(
        elder_id=elder.id, attempted_by_id=by.id, service_record_id=record.id, succeeded=matches
    )
    db.session.add(attempt)
    db.session.flush()
    if not matches:
        raise WrongCardCode(
            _l("This code does not match %(name)s's card.", name=elder.display_name)
        )
    return post_confirmation(record, by=by, method="card")


def confirm_by_callback(record: ServiceRecord, *, by: User, note: str) -> int:
    """A coordinator phoned the elder, who confirmed the visit; post the hours.

    Recorded as method "callback" with the coordinator's note of the call.
    Raises NotAllowed, InvalidVisit (no note), AlreadySettled and the ledger's errors.
    """
    if by.id == record.volunteer_id or not coordinates(by, record.recipient):
        raise NotAllowed(_l("Only a coordinator of this community can confirm by call-back."))
    if not (note or "").strip():
        raise InvalidVisit(_l("Write down when you called and what was said."))
    return confirm_visit(record, by=by, method="callback", note=note)


def card_for(actor: User, card_id: int) -> ConfirmationCard:
    """The card ``card_id`` as a coordinator of its elder sees it. Raises NotFound, NotAllowed."""
    card = db.session.get(ConfirmationCard, card_id)
    if card is None:
        raise NotFound(_l("This card does not exist."))
    _check_coordinator(actor, card.elder)
    return card


def elder_for_cards(actor: User, elder_id: int) -> User:
    """The member ``elder_id`` whose cards ``actor`` manages. Raises NotFound, NotAllowed."""
    elder = db.session.get(User, elder_id)
    if elder is None:
        raise NotFound(_l("This member does not exist."))
    _check_coordinator(actor, elder)
    return elder


def record_for_callback(actor: User, record_id: int) -> ServiceRecord:
    """The logged visit ``record_id`` that ``actor`` may confirm by call-back.

    Raises NotFound, NotAllowed.
    """
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound(_l("This visit does not exist."))
    if actor.id == record.volunteer_id or not coordinates(actor, record.recipient):
        raise NotAllowed(_l("Only a coordinator of this community can confirm by call-back."))
    return record


def record_for_card_entry(actor: User, visit: Visit) -> ServiceRecord:
    """The logged record of a checked-out visit, for its volunteer to enter the elder's code.

    Raises NotAllowed (not the visit's volunteer), NotFound (not checked out yet).
    """
    if actor.id != visit.volunteer_id:
        raise NotAllowed(_l("Only the volunteer of this visit can enter the card code."))
    if visit.service_record is None:
        raise NotFound(_l("Check out of the visit first."))
    return visit.service_record
