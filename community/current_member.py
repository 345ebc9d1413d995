"""The signed-in member of each request, read together with their unread count.

Every signed-in page needs both (the header shows "消息 (n)"), so they come
in one query when Flask-Login loads the member at the start of the request,
with the member's community (their street decides what they reach).
The same query's row says whether the session is still good: its version must
be the member's current one (community.sign_in), and the member not suspended.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

import storage
from community.models import User
from community.notification_models import Notification
from community.notifications import unread_count
from community.sign_in import parse_session_id
from extensions import db

_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate(User)
    .scalar_subquery()
)
# Built once: a statement made anew for each request costs more to look up in
# SQLAlchemy's compiled cache than the query costs to run. The member's community
# comes in the same row: the rule of reach (their street) and many pages need it,
# and it would otherwise cost a query of its own on each of them.
_MEMBER_AND_UNREAD = (
    select(User, _UNREAD)
    .where(User.id == bindparam("member_id"))
    .options(joinedload(User.community))
)


def load_member(session_id: str) -> User | None:
    """Flask-Login's user loader: the member of a session or remember cookie.

    ``session_id`` is "<id>.<session_version>" (User.get_id). None if it is
    malformed, names nobody, carries an ended version, or the member is suspended.
    Their unread count, read in the same query, is kept for this request's header.
    """
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    member_id, version = parsed
    row = db.session.execute(_MEMBER_AND_UNREAD, {"member_id": member_id}).first()
    if row is None:
        return None
    member, unread = row
    if member.session_version != version or not member.is_active_member:
        return None
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
