"""Member-initiated and coordinator-initiated movements of hours.

Gifts to family (or anyone, by community policy), donations to the community
fund (爱心池), grants to priority elders, and reversals of mistakes.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import GiftPolicy, User
from community.reach import active_link, are_family, coordinates, coordinates_community
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.errors import AlreadySettled, InvalidAmount, NotAllowed, NotFound, SelfTransfer
from timebank.ledger import post_transfer
from timebank.models import Account, AccountKind, Transfer, TransferKind
from timebank.signals import gift_received


def _acting_for(by: User, member: User) -> User | None:
    """Who ``by`` acts for: None when acting for themself. Raises NotAllowed."""
    if by.id == member.id:
        return None
    if coordinates(by, member):
        return member
    raise NotAllowed(_l("You may only do this for yourself."))


def gift_hours(
    *,
    giver: User,
    recipient: User,
    minutes: int,
    by: User,
    idempotency_key: str,
    memo: str = "",
) -> int:
    """Give hours from ``giver`` to ``recipient``; return the transfer's id.

    The giver's community decides whether gifts go to family only or to anyone;
    an elder's family link may exclude gifts to that relative (may_receive_gifts).
    Raises NotAllowed, SelfTransfer and the ledger's errors.
    """
    on_behalf_of = _acting_for(by, giver)
    if giver.id == recipient.id:
        raise SelfTransfer()
    if not recipient.is_active_member:
        raise NotAllowed(_l("This member's account is closed."))
    link = active_link(giver, recipient)  # the recipient is a relative of the giving elder
    if link is not None and not link.may_receive_gifts:
        # The elder's consent to this link leaves out gifts to this relative.
        raise NotAllowed(_l("This relative's family link does not allow receiving hours as gifts."))
    if giver.community.gift_recipients == GiftPolicy.FAMILY and not are_family(giver, recipient):
        raise NotAllowed(_l("In your community, hours can be given to linked family only."))
    transfer_id = post_transfer(
        from_account_id=member_account(giver).id,
        to_account_id=member_account(recipient).id,
        minutes=minutes,
        kind=TransferKind.GIFT,
        idempotency_key=idempotency_key,
        entered_by=by,
        on_behalf_of=on_behalf_of,
        memo=memo,
    )
    gift_received.send(recipient, giver=giver, minutes=minutes, transfer_id=transfer_id)
    return transfer_id


def donate_hours(
    *, member: User, minutes: int, by: User, idempotency_key: str, memo: str = ""
) -> int:
    """Donate hours to the member's community fund (爱心池); return the transfer's id.

    Raises NotAllowed and the ledger's errors.
    """
    on_behalf_of = _acting_for(by, member)
    return post_transfer(
        from_account_id=member_account(member).id,
        to_account_id=community_account(member.community_id, AccountKind.FUND).id,
        minutes=minutes,
        kind=TransferKind.DONATION,
        idempotency_key=idempotency_key,
        entered_by=by,
        on_behalf_of=on_behalf_of,
        memo=memo,
    )


GRANT_SOURCES = (AccountKind.FUND, AccountKind.GUARANTEE)


def grant_hours(
    *,
    elder: User,
    minutes: int,
    source: str,
    by: User,
    memo: str,
    idempotency_key: str,
) -> int:
    """A coordinator grants hours from the fund or the guarantee account to a priority elder.

    Raises NotAllowed, InvalidAmount and the ledger's errors (the fund cannot go below zero).
    """
    if not coordinates(by, elder):
        raise NotAllowed(_l("Only a coordinator of the elder's community can grant hours."))
    if not elder.is_priority:
        raise NotAllowed(_l("Hours can be granted only to priority elders."))
    if source not in GRANT_SOURCES:
        raise InvalidAmount(_l("Choose where the hours come from."))
    if not (memo or "").strip():
        raise InvalidAmount(_l("Write down why the hours are granted."))
    return post_transfer(
        from_account_id=community_account(elder.community_id, source).id,
        to_account_id=member_account(elder).id,
        minutes=minutes,
        kind=TransferKind.GRANT,
        idempotency_key=idempotency_key,
        entered_by=by,
        memo=memo,
    )


def reverse_transfer(transfer: Transfer, *, by: User, reason: str, idempotency_key: str) -> int:
    """Undo a mistaken transfer with an opposite transfer naming it; return its id.

    Nothing is deleted. A transfer is reversed at most once, and reversals are
    not themselves reversed (post a new transfer instead). Raises NotAllowed,
    AlreadySettled, InvalidAmount and the ledger's errors (e.g. the receiver
    has already spent the hours: BelowFloor).
    """
    source = db.session.get(Account, transfer.from_account_id)
    if source is None:
        raise NotFound()
    if not (by.is_coordinator and coordinates_community(by, source.community)):
        raise NotAllowed(_l("Only a coordinator of this community can reverse a transfer."))
    if transfer.kind == TransferKind.REVERSAL:
        raise AlreadySettled(_l("A reversal cannot be reversed; make a new transfer instead."))
    if not (reason or "").strip():
        raise InvalidAmount(_l("Write down why this transfer is reversed."))
    # Checked before posting: once reversed, the receiver usually has no hours
    # left and the ledger would say "not enough hours" instead. The unique
    # reverses_id still guards the race between two coordinators.
    if db.session.scalar(select(Transfer.id).where(Transfer.reverses_id == transfer.id)):
        raise AlreadySettled(_l("This transfer was already reversed."))
    return post_transfer(
        from_account_id=transfer.to_account_id,
        to_account_id=transfer.from_account_id,
        minutes=transfer.amount_minutes,
        kind=TransferKind.REVERSAL,
        idempotency_key=idempotency_key,
        entered_by=by,
        memo=reason,
        reverses_id=transfer.id,
    )
