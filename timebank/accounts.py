"""Opening and finding hour accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, text

from community.models import Community, User
from community.signals import community_founded, member_joined, policy_changing
from extensions import db
from timebank.errors import AboveCap, BelowFloor, NotFound
from timebank.models import Account, AccountKind
from timebank.summaries import connect_summaries


def open_member_account(user: User) -> Account:
    """Open ``user``'s hour account (once). Receives community.member_joined."""
    account = db.session.scalar(select(Account).where(Account.user_id == user.id))
    if account is None:
        account = Account(kind=AccountKind.MEMBER, user_id=user.id, community_id=user.community_id)
        db.session.add(account)
        db.session.flush()
    return account


def open_community_accounts(community: Community) -> None:
    """Open a community's fund and guarantee accounts. Receives community.community_founded."""
    existing = set(
        db.session.scalars(
            select(Account.kind).where(
                Account.community_id == community.id, Account.user_id.is_(None)
            )
        )
    )
    for kind in (AccountKind.FUND, AccountKind.GUARANTEE):
        if kind not in existing:
            db.session.add(Account(kind=kind, community_id=community.id))
    db.session.flush()


def open_provider_account(community_id: int) -> Account:
    """Open a new account for a marketplace provider's earnings in hours (floor 0, no cap).

    The provider keeps its id; the time bank never needs to know who owns it.
    """
    account = Account(kind=AccountKind.PROVIDER, community_id=community_id)
    db.session.add(account)
    db.session.flush()
    return account


# Built once: most pages read the member's account, and a statement made anew each
# time costs more to build and look up in SQLAlchemy's cache than the query costs.
_ACCOUNT_OF_MEMBER = select(Account).where(Account.user_id == bindparam("user_id"))


def member_account(user: User) -> Account:
    """The hour account of ``user``. Raises NotFound if it was never opened."""
    account = db.session.scalar(_ACCOUNT_OF_MEMBER, {"user_id": user.id})
    if account is None:
        raise NotFound(_l("This member has no hour account."))
    return account


def community_account(community_id: int, kind: str) -> Account:
    """The fund or guarantee account of a community. Raises NotFound."""
    account = db.session.scalar(
        select(Account).where(Account.community_id == community_id, Account.kind == kind)
    )
    if account is None:
        raise NotFound(_l("This community has no %(kind)s account.", kind=kind))
    return account


# The fund and guarantee accounts, written out as the partial index
# uq_accounts_community_system has them: with bound values SQLite cannot use that index
# and reads every account of the community.
IS_POOL = text("accounts.kind IN ('fund', 'guarantee')")
_POOLS = select(Account).where(Account.community_id == bindparam("community_id"), IS_POOL)


def pool_accounts(community_id: int) -> tuple[Account, Account]:
    """The community's fund and guarantee accounts, in one query. Raises NotFound."""
    found = {
        account.kind: account
        for account in db.session.scalars(_POOLS, {"community_id": community_id})
    }
    for kind in (AccountKind.FUND, AccountKind.GUARANTEE):
        if kind not in found:
            raise NotFound(_l("This community has no %(kind)s account.", kind=kind))
    return found[AccountKind.FUND], found[AccountKind.GUARANTEE]


def check_policy_fits(
    community: Community, *, floor_minutes: int, storage_cap_minutes: int
) -> None:
    """Refuse a new floor or cap that members' accounts already break.

    Receives community.policy_changing. Raises BelowFloor or AboveCap with the count.
    """
    members = (
        select(Account.id)
        .where(Account.community_id == community.id, Account.kind == AccountKind.MEMBER)
        .with_for_update()
    )
    db.session.execute(members).all()  # hold them still while the policy changes
    scope = (Account.community_id == community.id, Account.kind == AccountKind.MEMBER)
    over = db.session.scalar(
        select(func.count()).where(*scope, Account.balance_minutes > storage_cap_minutes)
    )
    if over:
        raise AboveCap(
            _l("%(n)s members already hold more than the new cap; it cannot be that low.", n=over)
        )
    under = db.session.scalar(
        select(func.count()).where(
            *scope, Account.balance_minutes - Account.held_minutes < floor_minutes
        )
    )
    if under:
        raise BelowFloor(
            _l(
                "%(n)s members are already below that credit limit; it cannot be that small.",
                n=under,
            )
        )


def connect_signals() -> None:
    """Subscribe to community's signals (idempotent: blinker keeps one of each)."""
    member_joined.connect(open_member_account)
    community_founded.connect(open_community_accounts)
    policy_changing.connect(check_policy_fits)
    connect_summaries()
