"""Confirmation cards (口令卡) for elders without phones (the other way for them is a
coordinator's call-back: timebank.callbacks).

A coordinator prints an elder a card of CODES_PER_CARD numbered boxes, each a
6-digit one-time code, like the bank code cards elders know. The codes are shown
once, when printed, and stored only as keyed hashes. At the end of a visit its
volunteer, after checking out and within ENTRY_WINDOW of it, asks the elder to
read out one box: a random box no visit was asked for before, fixed for this
visit so that retrying cannot try other boxes. The code of that box confirms
this visit and never another, so a photographed card, or an overheard code,
confirms nothing later; and only a visit the elder's side agreed to, checked
in and out, asks for a box at all.

Guessing is limited: at most MAX_ATTEMPTS_PER_HOUR tries per elder an hour.
Every try is counted (a refused one too) while the elder's row is locked, so
simultaneous tries all count; the caller commits a counted try (CountedCardTry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from community import audit
from community.audit import Action
from community.models import User, utcnow
from community.reach import COORDINATED_COMMUNITY_IDS, coordinates, reach_params
from extensions import db
from timebank.clock import local_today
from timebank.errors import AlreadySettled, NotAllowed, NotFound, TimebankError
from timebank.models import RecordStatus, ServiceRecord
from timebank.visit_models import CardAttempt, CardCode, ConfirmationCard, Visit, VisitStatus
from timebank.visits import post_confirmation

CODES_PER_CARD = 20
CODE_DIGITS = 6
LOW_CODES = 5  # at this many boxes left, the coordinator is told to print a new card
MAX_ATTEMPTS_PER_HOUR = 5
ENTRY_WINDOW = timedelta(hours=1)  # after check-out, the card can confirm the visit


class CountedCardTry(TimebankError):
    """A try of the card that was counted: its attempt row is flushed, and the caller
    commits it (nothing else was written) so that it counts against the hourly limit."""


class WrongCardCode(CountedCardTry):
    """The code is not the one in the box this visit asks for."""

    http_status = 400


class TooManyCardAttempts(CountedCardTry):
    http_status = 429

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Too many tries with this card. Try again in an hour, or ask the family "
                "or a coordinator to confirm."
            )
        )


class CardNotUsable(TimebankError):
    """No card in use, every box used, or the time to enter the card is over."""

    http_status = 409


# --- the keyed hash --------------------------------------------------------------------------


def _code_key() -> bytes:
    """The key the codes are hashed with, derived from the app's secret key: a copy of
    the database alone does not give the codes away (a million guesses would)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"linli confirmation card codes", hashlib.sha256).digest()


def _hash_code(card_id: int, position: int, code: str) -> str:
    message = f"{card_id}:{position}:{code}".encode()
    return hmac.new(_code_key(), message, hashlib.sha256).hexdigest()


# --- the card's public id (its QR code) ------------------------------------------------------


def card_public_id(card: ConfirmationCard) -> str:
    """The id printed in the card's QR code: its number and a keyed tag, so that no one
    can make up another card's address (and a copy of the database alone cannot either).
    It opens nothing by itself: only the volunteer of a visit to the card's elder, signed
    in, is taken anywhere (visit_for_scanned_card)."""
    tag = hmac.new(_code_key(), f"card:{card.id}".encode(), hashlib.sha256).digest()[:10]
    return f"{card.id}-{base64.b32encode(tag).decode().lower()}"


def card_by_public_id(public_id: str) -> ConfirmationCard | None:
    """The card a scanned QR code names, if the id is whole and the card exists."""
    number, _, _tag = (public_id or "").partition("-")
    if not number.isdigit() or len(number) > 12:
        return None
    card = db.session.get(ConfirmationCard, int(number))
    if card is None or not hmac.compare_digest(card_public_id(card), public_id):
        return None
    return card


@dataclass(frozen=True)
class ScannedCard:
    """Where scanning a card takes its visit's volunteer: the visit, and whether its card
    code may be entered now (checked out, not yet answered) or it is still under way."""

    visit: Visit
    ready: bool


def visit_for_scanned_card(
    actor: User, public_id: str, *, now: datetime | None = None
) -> ScannedCard:
    """The visit of ``actor`` to the elder whose card they scanned with their phone's camera:
    the latest one checked out within ENTRY_WINDOW whose hours wait for an answer (the card
    confirms it), else one of today's still under way or due (check out first).

    Raises NotFound for a card not in use or made up, and for anyone who has no such
    visit to its elder: the card says nothing about its elder to them.
    """
    now = now or utcnow()
    card = card_by_public_id(public_id)
    if card is None or card.revoked_at is not None:
        raise NotFound(_l("This card is not in use."))
    mine = select(Visit).where(Visit.volunteer_id == actor.id, Visit.recipient_id == card.elder_id)
    done = db.session.scalar(
        mine.join(ServiceRecord, ServiceRecord.id == Visit.service_record_id)
        .where(
            Visit.status == VisitStatus.DONE,
            Visit.checked_out_at >= now - ENTRY_WINDOW,
            ServiceRecord.status == RecordStatus.PENDING,
        )
        .order_by(Visit.checked_out_at.desc())
        .limit(1)
    )
    if done is not None:
        return ScannedCard(done, ready=True)
    under_way = db.session.scalar(
        mine.where(
            Visit.status.in_((VisitStatus.IN_PROGRESS, VisitStatus.SCHEDULED)),
            Visit.scheduled_date == local_today(),
        )
        .order_by(Visit.status, Visit.scheduled_time)  # "in_progress" before "scheduled"
        .limit(1)
    )
    if under_way is not None:
        return ScannedCard(under_way, ready=False)
    raise NotFound(_l("You have no visit to confirm with this card now."))


# --- issuing and revoking ----------------------------------------------------------------


@dataclass(frozen=True)
class PrintedCard:
    """A new card and its codes by box number, to print now: they are never shown again."""

    card: ConfirmationCard
    codes: list[tuple[int, str]]


def active_card(elder: User) -> ConfirmationCard | None:
    """The elder's card that is in use, if any."""
    return db.session.scalar(
        select(ConfirmationCard).where(
            ConfirmationCard.elder_id == elder.id, ConfirmationCard.revoked_at.is_(None)
        )
    )


def boxes_left(card: ConfirmationCard) -> int:
    """How many of the card's boxes no visit has asked for yet."""
    return db.session.scalar(
        select(func.count(CardCode.id)).where(
            CardCode.card_id == card.id, CardCode.asked_for_record_id.is_(None)
        )
    )


def _check_coordinator(by: User, elder: User) -> None:
    if not coordinates(by, elder):
        raise NotAllowed(_l("Only a coordinator of this member's community can manage the card."))


def _new_codes() -> list[str]:
    """CODES_PER_CARD different random 6-digit codes."""
    codes: list[str] = []
    while len(codes) < CODES_PER_CARD:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in codes:
            codes.append(code)
    return codes


def issue_card(elder: User, *, by: User) -> PrintedCard:
    """Issue the elder a new card and return it with its codes (shown now, never again).

    Issuing again revokes the card in use first. Recorded in the audit log
    (CARD_ISSUED). Raises NotAllowed.
    """
    _check_coordinator(by, elder)
    old = active_card(elder)
    if old is not None:
        old.revoked_at = utcnow()
        old.revoked_by_id = by.id
        db.session.flush()  # the partial unique index allows one active card
    card = ConfirmationCard(elder_id=elder.id, issued_by_id=by.id)
    db.session.add(card)
    db.session.flush()
    codes = list(enumerate(_new_codes(), start=1))
    db.session.add_all(
        CardCode(card_id=card.id, position=position, code_hash=_hash_code(card.id, position, code))
        for position, code in codes
    )
    db.session.flush()
    audit.record(
        Action.CARD_ISSUED,
        actor=by,
        subject=elder,
        target=f"card:{card.id}",
        before={"card": old.id} if old is not None else None,
        after={"card": card.id, "boxes": CODES_PER_CARD},
    )
    return PrintedCard(card, codes)


def revoke_card(card: ConfirmationCard, *, by: User) -> ConfirmationCard:
    """Revoke a lost card: none of its codes confirms any more. Recorded in the audit log
    (CARD_REVOKED). Raises NotAllowed, AlreadySettled."""
    _check_coordinator(by, card.elder)
    if card.revoked_at is not None:
        raise AlreadySettled(_l("This card was already revoked."))
    card.revoked_at = utcnow()
    card.revoked_by_id = by.id
    db.session.flush()
    audit.record(
        Action.CARD_REVOKED,
        actor=by,
        subject=card.elder,
        target=f"card:{card.id}",
        before={"card": card.id, "boxes_left": boxes_left(card)},
        after={"revoked": True},
    )
    return card


def cards_running_low(actor: User) -> list[tuple[User, int]]:
    """Elders ``actor`` coordinates whose card in use has LOW_CODES boxes left or fewer,
    with how many, fewest first (for the desk: print them a new card)."""
    rows = db.session.execute(_RUNNING_LOW, reach_params(actor))
    return [(elder, count) for elder, count in rows]


_CODES_LEFT = func.count(CardCode.id).filter(CardCode.asked_for_record_id.is_(None))
# Built once: the desk shows it on every request. Read from the cards in use, each joined
# to its elder (not from every member of the community, which grows with it).
_RUNNING_LOW = (
    select(User, _CODES_LEFT)
    .select_from(ConfirmationCard)
    .join(User, User.id == ConfirmationCard.elder_id)
    .join(CardCode, CardCode.card_id == ConfirmationCard.id)
    .where(ConfirmationCard.revoked_at.is_(None), User.community_id.in_(COORDINATED_COMMUNITY_IDS))
    .group_by(User.id)
    .having(_CODES_LEFT <= LOW_CODES)
    .order_by(_CODES_LEFT, User.display_name)
)


# --- the volunteer enters the elder's code -------------------------------------------------


@dataclass(frozen=True)
class CardEntry:
    """What the volunteer's page asks for: the box of the elder's card to read out."""

    visit: Visit
    record: ServiceRecord
    card: ConfirmationCard
    position: int
    closes_at: datetime  # naive UTC: after this the card no longer confirms the visit


def _checked_out_record(actor: User, visit: Visit, now: datetime) -> ServiceRecord:
    """The visit's logged record, if ``actor`` may still enter the card code for it.

    Raises NotAllowed (not the visit's volunteer), NotFound (not checked out yet),
    AlreadySettled (answered already), CardNotUsable (the time is over).
    """
    if actor.id != visit.volunteer_id:
        raise NotAllowed(_l("Only the volunteer of this visit can enter the card code."))
    record = visit.service_record
    if record is None or visit.checked_out_at is None:
        raise NotFound(_l("Check out of the visit first."))
    if record.status != RecordStatus.PENDING:
        raise AlreadySettled(_l("This visit has already been answered."))
    if now > visit.checked_out_at + ENTRY_WINDOW:
        raise CardNotUsable(
            _l(
                "The card confirms a visit only within an hour of checking out. "
                "%(name)s or their family can confirm online, or a coordinator will call.",
                name=visit.recipient.display_name,
            )
        )
    return record


def _lock_elder(elder: User) -> None:
    """Lock the elder's row: their card's tries and boxes are counted one at a time
    (SQLite: writers are serialised already)."""
    db.session.execute(select(User.id).where(User.id == elder.id).with_for_update())


def _box_for(record: ServiceRecord, card: ConfirmationCard) -> CardCode:
    """The box of ``card`` this visit asks for: chosen at random among the boxes no visit
    was asked for, the first time, and the same ever after. Call with the elder locked.

    Raises CardNotUsable when every box has been asked for.
    """
    box = db.session.scalar(
        select(CardCode).where(
            CardCode.card_id == card.id, CardCode.asked_for_record_id == record.id
        )
    )
    if box is not None:
        return box
    free = db.session.scalars(
        select(CardCode).where(CardCode.card_id == card.id, CardCode.asked_for_record_id.is_(None))
    ).all()
    if not free:
        raise CardNotUsable(
            _l(
                "Every box of %(name)s's card has been used. A coordinator prints a new card; "
                "until then %(name)s or their family can confirm online.",
                name=record.recipient.display_name,
            )
        )
    box = secrets.choice(free)
    box.asked_for_record_id = record.id
    box.asked_at = utcnow()
    db.session.flush()
    return box


def _card_in_use(record: ServiceRecord) -> ConfirmationCard:
    card = active_card(record.recipient)
    if card is None:
        raise CardNotUsable(
            _l(
                "%(name)s has no confirmation card in use. They or their family can confirm "
                "online, or a coordinator will call them.",
                name=record.recipient.display_name,
            )
        )
    return card


def card_entry_for(actor: User, visit: Visit, *, now: datetime | None = None) -> CardEntry:
    """The box of the elder's card the visit's volunteer asks for (chosen and kept the
    first time: this writes). Raises NotAllowed, NotFound, AlreadySettled, CardNotUsable."""
    now = now or utcnow()
    record = _checked_out_record(actor, visit, now)
    _lock_elder(record.recipient)
    card = _card_in_use(record)
    box = _box_for(record, card)
    return CardEntry(visit, record, card, box.position, visit.checked_out_at + ENTRY_WINDOW)


def attempts_in_last_hour(elder: User, now: datetime | None = None) -> int:
    """How many times the elder's card was tried in the hour before ``now``."""
    since = (now or utcnow()) - timedelta(hours=1)
    return db.session.scalar(
        select(func.count(CardAttempt.id)).where(
            CardAttempt.elder_id == elder.id, CardAttempt.created_at > since
        )
    )


def confirm_with_card(visit: Visit, code: str, *, by: User, now: datetime | None = None) -> int:
    """The visit's volunteer enters the code the elder read out from the box asked for,
    as the elder's confirmation; post the hours. The box is spent.

    Recorded as decided by the volunteer on behalf of the elder, method "card".
    Returns the transfer's id. Raises NotAllowed (not this visit's volunteer),
    NotFound (not checked out), AlreadySettled, CardNotUsable (no card, no box
    left, the hour after check-out is over: nothing counted), TooManyCardAttempts
    (429: the 6th try within an hour, even with the right code) and WrongCardCode
    (counted: both are CountedCardTry) and the ledger's errors.
    """
    now = now or utcnow()
    record = _checked_out_record(by, visit, now)
    elder = record.recipient
    _lock_elder(elder)
    card = _card_in_use(record)
    too_many = attempts_in_last_hour(elder, now) >= MAX_ATTEMPTS_PER_HOUR
    box = _box_for(record, card)
    entered = (code or "").strip().replace(" ", "")
    matches = (
        not too_many
        and box.used_at is None
        and hmac.compare_digest(box.code_hash, _hash_code(card.id, box.position, entered))
    )
    db.session.add(
        CardAttempt(
            elder_id=elder.id,
            attempted_by_id=by.id,
            service_record_id=record.id,
            succeeded=matches,
            created_at=now,
        )
    )
    db.session.flush()
    if too_many:
        raise TooManyCardAttempts()
    if not matches:
        raise WrongCardCode(
            _l(
                "This is not the number in box %(box)s of %(name)s's card.",
                box=box.position,
                name=elder.display_name,
            )
        )
    box.used_at = now
    db.session.flush()
    return post_confirmation(record, by=by, method="card")


# --- the coordinator's cards -------------------------------------------------------------


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
