"""Group sessions: a coordinator logs one community activity and every participant is credited.

A birthday party at the community hall with 20 volunteers × 2 hours is entered
once. The COMMUNITY pays for its own activities: each participant's minutes
come from the community's guarantee account (the hours it issues), by one
service transfer per participant. Group sessions are not visits: nobody is
served one-to-one, nobody confirms, and no visit signal is sent.

All or nothing: every participant is checked (known, active, of this community,
named once, under the daily earning cap and the storage cap) before anything is
posted, and any refusal names who; the view rolls back on any error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from community import audit
from community.audit import Action
from community.errors import MemberNotFound
from community.models import Community, User
from community.reach import community_condition, coordinates_community, find_in_street
from extensions import db
from idempotency import add_once
from timebank.accounts import community_account, member_account
from timebank.categories import BY_CODE
from timebank.clock import local_today
from timebank.errors import (
    AboveCap,
    AlreadySubmitted,
    DailyCapReached,
    NotAllowed,
    NotFound,
    TimebankError,
)
from timebank.group_session_models import GroupParticipant, GroupSession
from timebank.ledger import check_minutes, lock_accounts, post_transfer
from timebank.models import AccountKind, TransferKind
from timebank.visits import LATE_LOG_DAYS, MAX_VISIT_MINUTES, minutes_logged_on

MAX_PARTICIPANTS = 200
# "139 0000 0001" or "139 0000 0001, 90": who, and optionally their own minutes
_LINE_RE = re.compile(r"^(?P<who>.+?)(?:\s*[,，]\s*(?P<minutes>\d{1,4}))?$")


class InvalidGroupSession(TimebankError):
    """A group session whose title, date, category, minutes or participant list makes no sense."""


class UnknownParticipant(TimebankError):
    http_status = 404

    def __init__(self, line: int, who: str) -> None:
        super().__init__(_l("Line %(line)s: no member found for “%(who)s”.", line=line, who=who))


@dataclass(frozen=True, slots=True)
class Participation:
    """A participant line resolved to a member, with the minutes they are credited."""

    line: int
    volunteer: User
    minutes: int


def may_log_for(actor: User, community: Community) -> bool:
    """True if ``actor`` coordinates ``community`` (or is the admin of its street)."""
    return coordinates_community(actor, community)


def check_may_log(actor: User, community: Community) -> None:
    """Raise NotAllowed unless ``actor`` may log group sessions for ``community``."""
    if not may_log_for(actor, community):
        raise NotAllowed(_l("Only a coordinator of this community can log a group session."))


def _check_date(held_on: date, today: date) -> None:
    if held_on > today:
        raise InvalidGroupSession(_l("A group session cannot be in the future."))
    if held_on < today - timedelta(days=LATE_LOG_DAYS):
        raise InvalidGroupSession(
            _l("Group sessions older than %(days)s days cannot be logged.", days=LATE_LOG_DAYS)
        )


def _check_minutes(minutes: int, *, line: int | None = None) -> None:
    check_minutes(minutes)
    if minutes > MAX_VISIT_MINUTES:
        if line is None:
            raise InvalidGroupSession(
                _l("One session can be at most %(h)s hours.", h=MAX_VISIT_MINUTES // 60)
            )
        raise InvalidGroupSession(
            _l(
                "Line %(line)s: at most %(h)s hours for one session.",
                line=line,
                h=MAX_VISIT_MINUTES // 60,
            )
        )


def resolve_participants(
    lines: list[str], *, community: Community, default_minutes: int, entered_by: User
) -> list[Participation]:
    """Turn participant lines ("phone, username or #number", optionally ", minutes") into members.

    Blank lines are skipped. Raises UnknownParticipant (naming the line) and
    InvalidGroupSession for an inactive member, one of another community, the
    coordinator themself, a member named twice, bad minutes, or no one at all.
    """
    participants: list[Participation] = []
    first_line_of: dict[int, int] = {}
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        match = _LINE_RE.match(text)
        who = match.group("who").strip() if match else text
        minutes = int(match.group("minutes")) if match and match.group("minutes") else None
        try:
            volunteer = find_in_street(entered_by, who)
        except MemberNotFound:
            raise UnknownParticipant(number, who) from None
        name = volunteer.display_name
        if volunteer.community_id != community.id:
            raise InvalidGroupSession(
                _l(
                    "Line %(line)s: %(name)s is not a member of this community.",
                    line=number,
                    name=name,
                )
            )
        if volunteer.id == entered_by.id:
            raise InvalidGroupSession(
                _l("Line %(line)s: you cannot credit yourself for a session you log.", line=number)
            )
        if volunteer.id in first_line_of:
            raise InvalidGroupSession(
                _l(
                    "Lines %(first)s and %(line)s both name %(name)s.",
                    first=first_line_of[volunteer.id],
                    line=number,
                    name=name,
                )
            )
        first_line_of[volunteer.id] = number
        minutes = default_minutes if minutes is None else minutes
        _check_minutes(minutes, line=number)
        participants.append(Participation(number, volunteer, minutes))
    if not participants:
        raise InvalidGroupSession(_l("Enter at least one participant."))
    if len(participants) > MAX_PARTICIPANTS:
        raise InvalidGroupSession(
            _l("At most %(n)s participants can be logged at once.", n=MAX_PARTICIPANTS)
        )
    return participants


def group_minutes_on(volunteer: User, day: date) -> int:
    """Minutes the volunteer was credited by group sessions held on ``day``."""
    return db.session.scalar(
        select(func.coalesce(func.sum(GroupParticipant.minutes), 0))
        .join(GroupSession, GroupSession.id == GroupParticipant.session_id)
        .where(GroupParticipant.volunteer_id == volunteer.id, GroupSession.held_on == day)
    )


def _check_caps(participants: list[Participation], guarantee_id: int, day: date) -> dict[int, int]:
    """Lock every account involved (in id order) and check each participant's caps.

    Returns the member account id of each volunteer. Raises DailyCapReached and
    AboveCap naming the participant.
    """
    account_of = {p.volunteer.id: member_account(p.volunteer).id for p in participants}
    # One account at a time, in id order (the order post_transfer locks in), so no deadlock.
    locked = {}
    for account_id in sorted({guarantee_id, *account_of.values()}):
        locked |= lock_accounts(db.session, [account_id])
    for p in participants:
        cap = p.volunteer.community.daily_earning_cap_minutes
        already = minutes_logged_on(p.volunteer, day) + group_minutes_on(p.volunteer, day)
        if already + p.minutes > cap:
            raise DailyCapReached(
                _l(
                    "Line %(line)s: %(name)s can earn at most %(cap)s hours a day; "
                    "%(left)s minutes are left for that day.",
                    line=p.line,
                    name=p.volunteer.display_name,
                    cap=cap // 60,
                    left=max(cap - already, 0),
                )
            )
        account = locked[account_of[p.volunteer.id]]
        if account.cap is not None and account.balance + p.minutes > account.cap:
            raise AboveCap(
                _l(
                    "Line %(line)s: %(name)s would go above the limit of %(cap)s stored hours.",
                    line=p.line,
                    name=p.volunteer.display_name,
                    cap=account.cap // 60,
                )
            )
    return account_of


def _check_key_unused(idempotency_key: str) -> None:
    """Raise AlreadySubmitted if a group session was already logged with this key."""
    if db.session.scalar(
        select(GroupSession.id).where(GroupSession.idempotency_key == idempotency_key)
    ):
        raise AlreadySubmitted()


def log_group_session(
    *,
    community: Community,
    title: str,
    category: str,
    held_on: date,
    minutes: int,
    participant_lines: list[str],
    by: User,
    idempotency_key: str,
    note: str = "",
    today: date | None = None,
) -> GroupSession:
    """Log a community activity once and credit every participant from the community's
    guarantee account (the community pays for community activities).

    Each participant gets ONE service transfer (memo: the title, entered by
    ``by``, key ``group:<session>:<volunteer>``). Nothing is posted unless every
    participant passes. The session is recorded in the audit log (ACTED_FOR, with
    each participant's minutes). Raises NotAllowed, InvalidGroupSession, UnknownParticipant,
    InvalidAmount, DailyCapReached, AboveCap and AlreadySubmitted (a replayed form).
    """
    check_may_log(by, community)
    # Checked before the caps too: a replay would otherwise meet its own first post's minutes.
    _check_key_unused(idempotency_key)
    title = (title or "").strip()
    if not title:
        raise InvalidGroupSession(_l("Give the session a title."))
    if category not in BY_CODE:
        raise InvalidGroupSession(_l("Choose a kind of service."))
    _check_date(held_on, today or local_today())
    _check_minutes(minutes)
    participants = resolve_participants(
        participant_lines, community=community, default_minutes=minutes, entered_by=by
    )
    guarantee_id = community_account(community.id, AccountKind.GUARANTEE).id
    account_of = _check_caps(participants, guarantee_id, held_on)
    _check_key_unused(idempotency_key)  # again, now that the accounts are locked
    session = GroupSession(
        community_id=community.id,
        title=title[:80],
        category=category,
        held_on=held_on,
        minutes=minutes,
        note=(note or "").strip()[:500],
        entered_by_id=by.id,
        idempotency_key=idempotency_key,
    )
    add_once(session, AlreadySubmitted)
    for p in participants:
        transfer_id = post_transfer(
            from_account_id=guarantee_id,
            to_account_id=account_of[p.volunteer.id],
            minutes=p.minutes,
            kind=TransferKind.SERVICE,
            idempotency_key=f"group:{session.id}:{p.volunteer.id}",
            entered_by=by,
            memo=session.title,
        )
        db.session.add(
            GroupParticipant(
                session_id=session.id,
                volunteer_id=p.volunteer.id,
                minutes=p.minutes,
                transfer_id=transfer_id,
            )
        )
    db.session.flush()
    db.session.expire(session, ["participants"])
    audit.record(
        Action.ACTED_FOR,
        actor=by,
        community=community,
        target=f"group_session:{session.id}",
        after={
            "did": "group_session_logged",
            "title": session.title,
            "held_on": held_on.isoformat(),
            "participants": {str(p.volunteer.id): p.minutes for p in participants},
        },
    )
    return session


def sessions_for(actor: User, limit: int = 100) -> list[GroupSession]:
    """Group sessions of the communities ``actor`` coordinates, newest first. Raises NotAllowed."""
    if not actor.is_coordinator:
        raise NotAllowed(_l("Only coordinators can see the community's group sessions."))
    return list(
        db.session.scalars(
            select(GroupSession)
            .where(community_condition(actor, GroupSession.community_id))
            .order_by(GroupSession.held_on.desc(), GroupSession.id.desc())
            .limit(limit)
        )
    )


def session_for(actor: User, session_id: int) -> GroupSession:
    """The group session ``session_id`` if ``actor`` coordinates its community or took part.

    Raises NotFound and NotAllowed.
    """
    session = db.session.get(GroupSession, session_id)
    if session is None:
        raise NotFound(_l("This group session does not exist."))
    if may_log_for(actor, session.community):
        return session
    took_part = db.session.scalar(
        select(GroupParticipant.id).where(
            GroupParticipant.session_id == session.id,
            GroupParticipant.volunteer_id == actor.id,
        )
    )
    if took_part is None:
        raise NotAllowed(
            _l("Only this community's coordinators and the participants can see this.")
        )
    return session
