"""Taking back (撤回) one's own gift or donation of hours, free, within a short window.

The MIIT elder-friendly web spec asks that a resident may undo their own money or
hours step for a while at no cost. Here that is a gift of hours or a donation to the
community fund the member made themself, taken back within UNDO_MINUTES of posting:
a reversal transfer naming the original, posted through the ledger (nothing is
deleted), entered by the member. A transfer is reversed at most once (the unique
``reverses_id``), so however many times the button is pressed, it is taken back once.
A coordinator's reversal of a mistake is timebank.transfers.reverse_transfer, with its
own rules and a reason; this is the member's own, with no reason asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User, utcnow
from extensions import db
from timebank.errors import AlreadySettled, BelowFloor, NotAllowed, NotFound, TimebankError
from timebank.ledger import post_transfer
from timebank.models import Account, Transfer, TransferKind
from timebank.signals import gift_taken_back

# The member's own steps that may be taken back.
TAKE_BACK_KINDS = frozenset({TransferKind.GIFT, TransferKind.DONATION})
MEMO = "taken back"
# Two servers' clocks may differ this much; a step stamped further ahead was not just made.
CLOCK_SLACK = timedelta(minutes=1)


class TooLateToTakeBack(TimebankError):
    """The window to take a step back is over."""

    http_status = 409


def undo_window() -> timedelta:
    """How long after a step it may be taken back (the UNDO_MINUTES setting)."""
    return timedelta(minutes=int(current_app.config["UNDO_MINUTES"]))


def minutes_left(moment: datetime, now: datetime | None = None) -> int:
    """Whole minutes (rounded up) left to take back a step made at ``moment`` (naive UTC)."""
    now = now or utcnow()
    if moment > now + CLOCK_SLACK:
        return 0  # stamped ahead of this server's clock (a seeded record): not just made
    left = min(moment + undo_window() - now, undo_window())
    seconds = int(left.total_seconds())
    return max(0, -(-seconds // 60))


@dataclass(frozen=True, slots=True)
class SentHours:
    """A gift or donation as its giver sees it after sending it."""

    transfer: Transfer
    reversed_by: Transfer | None
    minutes_left: int  # 0 once it can no longer be taken back

    @property
    def may_take_back(self) -> bool:
        return self.reversed_by is None and self.minutes_left > 0


def _own_step(actor: User, transfer: Transfer) -> bool:
    """True if ``actor`` gave these hours from their own account, themself."""
    return (
        transfer.kind in TAKE_BACK_KINDS
        and transfer.entered_by_id == actor.id
        and transfer.on_behalf_of_id is None
        and transfer.from_account.user_id == actor.id
    )


def _reversal_of(transfer_id: int) -> Transfer | None:
    return db.session.scalar(select(Transfer).where(Transfer.reverses_id == transfer_id))


def sent_hours_for(actor: User, transfer_id: int, *, now: datetime | None = None) -> SentHours:
    """``actor``'s own gift or donation ``transfer_id``, and whether it may still be taken back.

    Raises NotFound for any other transfer (someone else's stays private).
    """
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None or not _own_step(actor, transfer):
        raise NotFound(_l("This transfer does not exist."))
    reversed_by = _reversal_of(transfer.id)
    left = 0 if reversed_by is not None else minutes_left(transfer.created_at, now)
    return SentHours(transfer, reversed_by, left)


def take_back_hours(transfer: Transfer, *, by: User, now: datetime | None = None) -> int:
    """Take back ``by``'s own gift or donation within the window; return the reversal's id.

    The reversal moves the same minutes back from the receiving account, through the
    ledger (locks, floors, the hash chain), entered by ``by``. Raises NotAllowed (not
    their own step), TooLateToTakeBack (the window is over), AlreadySettled (taken
    back before, also by a simultaneous press) and BelowFloor (the receiver has already
    spent the hours).
    """
    now = now or utcnow()
    if not _own_step(by, transfer):
        raise NotAllowed(_l("You can take back only hours you gave yourself."))
    if now > transfer.created_at + undo_window():
        raise TooLateToTakeBack(
            _l(
                "It is more than %(n)s minutes since, so it can no longer be taken back. "
                "A coordinator can help if it was a mistake.",
                n=current_app.config["UNDO_MINUTES"],
            )
        )
    # Checked before posting for a plain answer; the unique reverses_id settles a race.
    if _reversal_of(transfer.id) is not None:
        raise AlreadySettled(_l("This was already taken back."))
    try:
        reversal_id = post_transfer(
            from_account_id=transfer.to_account_id,
            to_account_id=transfer.from_account_id,
            minutes=transfer.amount_minutes,
            kind=TransferKind.REVERSAL,
            idempotency_key=f"take-back:{transfer.id}",
            entered_by=by,
            memo=MEMO,
            reverses_id=transfer.id,
        )
    except BelowFloor:
        raise BelowFloor(
            _l("The hours have already been used, so they cannot be taken back.")
        ) from None
    receiver = db.session.scalar(
        select(Account.user_id).where(Account.id == transfer.to_account_id)
    )
    if transfer.kind == TransferKind.GIFT and receiver is not None:
        gift_taken_back.send(
            db.session.get(User, receiver), giver=by, minutes=transfer.amount_minutes
        )
    return reversal_id


def takeable(actor: User, member: User, lines: Iterable, *, now: datetime | None = None) -> dict:
    """transfer id → minutes left, for the statement lines ``actor`` may still take back.

    Only the member's own statement, only the newest lines within the window: one
    query, and none when no line is recent enough.
    """
    if actor.id != member.id:
        return {}
    now = now or utcnow()
    since = now - undo_window()
    fresh = [
        line.transfer_id
        for line in lines
        if line.kind in TAKE_BACK_KINDS and line.delta < 0 and line.created_at >= since
    ]
    if not fresh:
        return {}
    rows = db.session.execute(
        select(Transfer.id, Transfer.created_at).where(
            Transfer.id.in_(fresh),
            Transfer.entered_by_id == actor.id,
            Transfer.on_behalf_of_id.is_(None),
        )
    ).all()
    reversed_ids = set(
        db.session.scalars(select(Transfer.reverses_id).where(Transfer.reverses_id.in_(fresh)))
    )
    return {
        transfer_id: minutes_left(created_at, now)
        for transfer_id, created_at in rows
        if transfer_id not in reversed_ids and minutes_left(created_at, now) > 0
    }
