"""The signed-in member of each request, read together with their unread count.

Every signed-in page needs both (the header shows "消息 (n)"), so they come
in one query when Flask-Login loads the member at the start of the request.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import bindparam, func, select

import storage
from community.models import User
from community.notification_models import Notification
from community.notifications import unread_count
from extensions import db

_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate(User)
    .scalar_subquery()
)
# Built once: a statement made anew for each request costs more to look up in
# SQLAlchemy's compiled cache than the query costs to run.
_MEMBER_AND_UNREAD = select(User, _UNREAD).where(User.id == bindparam("member_id"))


def load_member(user_id: str) -> User | None:
    """Flask-Login's user loader: the member with ``user_id`` (None if there is none).

    Their unread count, read in the same query, is kept for this request's header.
    """
    if not user_id.isdigit():
        return None
    row = db.session.execute(_MEMBER_AND_UNREAD, {"member_id": int(user_id)}).first()
    if row is None:
        return None
    member, unread = row
    g.unread_at_sign_in = (member.id, unread)
    return member


def unread_messages(member: User) -> int:
    """How many messages ``member`` has not read, for the header.

    A request that only reads cannot change the count, so the one read at
    sign-in serves; a request that may write (it may have opened a message or
    sent the member one) counts again.
    """
    if not storage.write_intent.get():
        member_id, count = g.get("unread_at_sign_in", (None, 0))
        if member_id == member.id:
            return count
    return unread_count(member)
