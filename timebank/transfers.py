"""Member-initiated and coordinator-initiated movements of hours.

Gifts to family (or anyone, by community policy), donations to the community
fund (爱心池), grants to priority elders, and reversals of mistakes.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community import audit
from community.audit import Action
from community.models import GiftPolicy, User
from community.reach import active_link, are_family, coordinates, coordinates_community, same_street
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.errors import AlreadySettled, InvalidAmount, NotAllowed, NotFound, SelfTransfer
from timebank.ledger import post_transfer
from timebank.models import AccountKind, Transfer, TransferKind
from timebank.signals import gift_received
from timebank.staff_audit import acted_for


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

    The giver's community decides whether gifts go to family only or to anyone (of
    the street: gifts never cross a street); an elder's family link may exclude
    gifts to that relative (may_receive_gifts). Raises NotAllowed, SelfTransfer and
    the ledger's errors.
    """
    on_behalf_of = _acting_for(by, giver)
    if giver.id == recipient.id:
        raise SelfTransfer()
    if not same_street(giver, recipient):
        raise NotAllowed(_l("Hours can be given only to members of your own street."))
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
    acted_for(
        by,
        giver,
        "hours_given",
        target=f"transfer:{transfer_id}",
        to=recipient.id,
        minutes=minutes,
    )
    return transfer_id


def donate_hours(
    *, member: User, minutes: int, by: User, idempotency_key: str, memo: str = ""
) -> int:
    """Donate hours to the member's community fund (爱心池); return the transfer's id.

    Raises NotAllowed and the ledger's errors.
    """
    on_behalf_of = _acting_for(by, member)
    transfer_id = post_transfer(
        from_account_id=member_account(member).id,
        to_account_id=community_account(member.community_id, AccountKind.FUND).id,
        minutes=minutes,
        kind=TransferKind.DONATION,
        idempotency_key=idempotency_key,
        entered_by=by,
        on_behalf_of=on_behalf_of,
        memo=memo,
    )
    acted_for(by, member, "hours_donated", target=f"transfer:{transfer_id}", minutes=minutes)
    return transfer_id


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
    """A coordinator grants hours from the fund or the guarantee account to a priority elder
    (recorded in the audit log as HOURS_GRANTED).

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
    transfer_id = post_transfer(
        from_account_id=community_account(elder.community_id, source).id,
        to_account_id=member_account(elder).id,
        minutes=minutes,
        kind=TransferKind.GRANT,
        idempotency_key=idempotency_key,
        entered_by=by,
        memo=memo,
    )
    audit.record(
        Action.HOURS_GRANTED,
        actor=by,
        subject=elder,
        target=f"transfer:{transfer_id}",
        after={"minutes": minutes, "source": str(source), "memo": memo.strip()},
    )
    return transfer_id


def reverse_transfer(transfer: Transfer, *, by: User, reason: str, idempotency_key: str) -> int:
    """Undo a mistaken transfer with an opposite transfer naming it; return its id.

    Both accounts' communities must be ``by``'s to coordinate (a reversal takes
    hours back from one side and returns them to the other). Nothing is deleted.
    A transfer is reversed at most once, and reversals are not themselves reversed
    (post a new transfer instead). Recorded in the audit log (TRANSFER_REVERSED).
    Raises NotAllowed, AlreadySettled, InvalidAmount and the ledger's errors (e.g.
    the receiver has already spent the hours: BelowFloor).
    """
    if not may_reverse(by, transfer):
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
    reversal_id = post_transfer(
        from_account_id=transfer.to_account_id,
        to_account_id=transfer.from_account_id,
        minutes=transfer.amount_minutes,
        kind=TransferKind.REVERSAL,
        idempotency_key=idempotency_key,
        entered_by=by,
        memo=reason,
        reverses_id=transfer.id,
    )
    holder = transfer.to_account.user or transfer.from_account.user
    audit.record(
        Action.TRANSFER_REVERSED,
        actor=by,
        subject=holder,
        community=None if holder else transfer.from_account.community,
        target=f"transfer:{transfer.id}",
        before={"transfer": transfer.id, "kind": transfer.kind, "minutes": transfer.amount_minutes},
        after={"reversal": reversal_id, "reason": reason.strip()},
    )
    return reversal_id


# --- who may see and undo a transfer -------------------------------------------------------


def _communities(transfer: Transfer) -> tuple:
    return (transfer.from_account.community, transfer.to_account.community)


def may_reverse(actor: User, transfer: Transfer) -> bool:
    """True if ``actor`` coordinates the communities of both of the transfer's accounts."""
    return all(coordinates_community(actor, c) for c in _communities(transfer))


def transfer_for(actor: User, transfer_id: int) -> Transfer:
    """The transfer ``transfer_id`` for a coordinator of either account's community.

    Raises NotFound, NotAllowed.
    """
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(_l("This transfer does not exist."))
    if not any(coordinates_community(actor, c) for c in _communities(transfer)):
        raise NotAllowed(_l("Only a coordinator of this community may see this."))
    return transfer
