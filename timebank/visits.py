"""Logged service hours (visits): logging, confirming, rejecting and disputes.

The hours of a visit post only after the recipient's side confirms it: the
recipient, a family member whose link allows confirming, or a coordinator on
the recipient's behalf. A volunteer never confirms their own visit.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from community import audit
from community.audit import Action
from community.models import ElderPayer, User, utcnow
from community.reach import coordinates, family_may, reaches, same_street
from extensions import db
from idempotency import add_once
from timebank.accounts import community_account, member_account
from timebank.categories import BY_CODE
from timebank.clock import local_today
from timebank.errors import (
    AlreadySettled,
    AlreadySubmitted,
    DailyCapReached,
    InvalidVisit,
    NotAllowed,
    RedeemAgeNotReached,
)
from timebank.ledger import check_minutes, lock_accounts, post_transfer
from timebank.models import AccountKind, RecordStatus, ServiceRecord, TransferKind
from timebank.signals import visit_confirmed, visit_logged
from timebank.staff_audit import acted_for
from timebank.summaries import count_confirmed_visit

MAX_VISIT_MINUTES = 12 * 60
LATE_LOG_DAYS = 60  # visits older than this are entered by a coordinator as an adjustment
OPEN_STATUSES = (RecordStatus.PENDING, RecordStatus.CONFIRMED, RecordStatus.DISPUTED)


def _visit_minutes(minutes: int | None, started_at: time | None, ended_at: time | None) -> int:
    if started_at is not None or ended_at is not None:
        if started_at is None or ended_at is None:
            raise InvalidVisit(_l("Enter both the start and the end time, or only the minutes."))
        if ended_at <= started_at:
            raise InvalidVisit(_l("The end time must be after the start time."))
        start = datetime.combine(date.min, started_at)
        minutes = int((datetime.combine(date.min, ended_at) - start).total_seconds() // 60)
    if minutes is None:
        raise InvalidVisit(_l("Enter how long the visit took."))
    check_minutes(minutes)
    if minutes > MAX_VISIT_MINUTES:
        raise InvalidVisit(_l("One visit can be at most %(h)s hours.", h=MAX_VISIT_MINUTES // 60))
    return minutes


def _check_date(service_date: date, today: date) -> None:
    if service_date > today:
        raise InvalidVisit(_l("A visit cannot be in the future."))
    if service_date < today - timedelta(days=LATE_LOG_DAYS):
        raise InvalidVisit(
            _l(
                "Visits older than %(days)s days are entered by a coordinator.",
                days=LATE_LOG_DAYS,
            )
        )


def minutes_logged_on(volunteer: User, day: date) -> int:
    """Minutes of the volunteer's pending, confirmed or disputed visits on ``day``."""
    return db.session.scalar(
        select(func.coalesce(func.sum(ServiceRecord.minutes), 0)).where(
            ServiceRecord.volunteer_id == volunteer.id,
            ServiceRecord.service_date == day,
            ServiceRecord.status.in_(OPEN_STATUSES),
        )
    )


def log_visit(
    *,
    volunteer: User,
    recipient: User,
    category: str,
    service_date: date,
    entered_by: User,
    idempotency_key: str,
    minutes: int | None = None,
    started_at: time | None = None,
    ended_at: time | None = None,
    note: str = "",
    today: date | None = None,
) -> ServiceRecord:
    """Record a visit the volunteer made; it waits for the recipient's side to confirm.

    A coordinator of the volunteer may enter it for them (recorded as on their
    behalf, and in the audit log). Raises NotAllowed (someone else; a recipient
    of another street), InvalidVisit, InvalidAmount, DailyCapReached, AlreadySubmitted.
    """
    if entered_by.id != volunteer.id and not coordinates(entered_by, volunteer):
        raise NotAllowed(_l("Only the volunteer or a coordinator can log this visit."))
    record = write_visit_record(
        volunteer=volunteer,
        recipient=recipient,
        category=category,
        service_date=service_date,
        entered_by=entered_by,
        idempotency_key=idempotency_key,
        minutes=minutes,
        started_at=started_at,
        ended_at=ended_at,
        note=note,
        today=today,
    )
    acted_for(entered_by, volunteer, "visit_logged", target=f"service_record:{record.id}")
    return record


def write_visit_record(
    *,
    volunteer: User,
    recipient: User,
    category: str,
    service_date: date,
    entered_by: User,
    idempotency_key: str,
    minutes: int | None = None,
    started_at: time | None = None,
    ended_at: time | None = None,
    note: str = "",
    today: date | None = None,
) -> ServiceRecord:
    """Log a visit WITHOUT checking who enters it; every other rule of logging applies.

    The caller has checked ``entered_by`` (log_visit: the volunteer or their
    coordinator; timebank.scheduling: the volunteer or the recipient's coordinator).
    Raises NotAllowed (the two live in different streets), InvalidVisit,
    InvalidAmount, DailyCapReached, AlreadySubmitted.
    """
    if recipient.id == volunteer.id:
        raise InvalidVisit(_l("You cannot log a visit to yourself."))
    if not same_street(volunteer, recipient):
        raise NotAllowed(_l("Visits are logged only with members of your own street."))
    if not recipient.is_active_member:
        raise InvalidVisit(_l("This member's account is closed."))
    if category not in BY_CODE:
        raise InvalidVisit(_l("Choose a kind of service."))
    _check_date(service_date, today or local_today())
    minutes = _visit_minutes(minutes, started_at, ended_at)
    # Serialise this volunteer's logging so the daily cap holds under concurrency.
    lock_accounts(db.session, [member_account(volunteer).id])
    if db.session.scalar(
        select(ServiceRecord.id).where(ServiceRecord.idempotency_key == idempotency_key)
    ):
        raise AlreadySubmitted()
    cap = volunteer.community.daily_earning_cap_minutes
    already = minutes_logged_on(volunteer, service_date)
    if already + minutes > cap:
        raise DailyCapReached(
            _l(
                "At most %(cap)s hours a day can be earned; %(left)s minutes are left for that day.",
                cap=cap // 60,
                left=max(cap - already, 0),
            )
        )
    record = ServiceRecord(
        volunteer_id=volunteer.id,
        recipient_id=recipient.id,
        category=category,
        service_date=service_date,
        started_at=started_at,
        ended_at=ended_at,
        minutes=minutes,
        note=(note or "").strip()[:500],
        entered_by_id=entered_by.id,
        on_behalf_of_id=volunteer.id if entered_by.id != volunteer.id else None,
        idempotency_key=idempotency_key,
    )
    add_once(record, AlreadySubmitted)
    visit_logged.send(record)
    return record


def may_decide(actor: User, record: ServiceRecord) -> bool:
    """True if ``actor`` may confirm, reject or dispute the visit for its recipient: the
    recipient, family allowed to confirm, or a coordinator of the recipient (never the
    volunteer's own coordinator as such, and never the volunteer)."""
    return actor.id != record.volunteer_id and reaches(actor, record.recipient, "may_confirm")


def payer_account_id(recipient: User, day: date) -> int:
    """The account that pays for a service to ``recipient`` under their community's policy.

    Raises RedeemAgeNotReached when the recipient must pay but is too young to redeem.
    """
    community = recipient.community
    age = recipient.age_on(day)
    min_age = (
        community.hardship_redeem_min_age if recipient.has_hardship else community.redeem_min_age
    )
    old_enough = age is not None and age >= min_age
    if community.elder_services_paid_by == ElderPayer.GUARANTEE and (
        old_enough or recipient.is_priority
    ):
        return community_account(community.id, AccountKind.GUARANTEE).id
    if age is None:
        raise RedeemAgeNotReached(
            _l(
                "%(name)s's birth date is not recorded; ask a coordinator to add it.",
                name=recipient.display_name,
            )
        )
    if not old_enough:
        raise RedeemAgeNotReached(
            _l(
                "Hours can be spent from the age of %(age)s in this community.",
                age=min_age,
            )
        )
    return member_account(recipient).id


def _lock_record(record: ServiceRecord) -> None:
    """Lock the visit's row and re-read it, so two confirmations cannot both pass."""
    db.session.execute(
        select(ServiceRecord.id).where(ServiceRecord.id == record.id).with_for_update()
    )
    db.session.refresh(record)


def _hold_recipient(record: ServiceRecord) -> None:
    """Share-lock the person served until commit and re-read their birth date under it.

    The people-served rows count a first visit under that birth date. A birth-date change
    locks the same row (FOR NO KEY UPDATE) before it moves those rows, so either it waits
    for this confirmation and then finds the visit to move, or this waits for it and reads
    the new date. Taken first, before the visit's row and any account: the order a
    birth-date change takes them in (the person, then their account), and the order a
    card confirmation takes them in (the elder, then the visit). So a transaction that
    has locked an account already (logging a visit does) must not confirm one.
    """
    db.session.refresh(record.recipient, ["birth_date"], with_for_update={"read": True})


def _decide(record: ServiceRecord, by: User, status: str, note: str) -> None:
    record.status = status
    record.decided_by_id = by.id
    record.decided_on_behalf_of_id = record.recipient_id if by.id != record.recipient_id else None
    record.decided_at = utcnow()
    record.decision_note = (note or "").strip()[:500]


def _post_visit(record: ServiceRecord, by: User, minutes: int) -> int:
    volunteer_account = member_account(record.volunteer).id
    return post_transfer(
        from_account_id=payer_account_id(record.recipient, record.service_date),
        to_account_id=volunteer_account,
        minutes=minutes,
        kind=TransferKind.SERVICE,
        idempotency_key=f"visit:{record.id}",
        entered_by=by,
        on_behalf_of=record.recipient if by.id != record.recipient_id else None,
        memo=record.category,
    )


def _confirmation_method(by: User, record: ServiceRecord) -> str:
    if by.id == record.recipient_id:
        return "online"
    if family_may(by, record.recipient, "may_confirm"):
        return "family"
    return "coordinator"


def confirm_visit(
    record: ServiceRecord, *, by: User, method: str | None = None, note: str = ""
) -> int:
    """Confirm a pending visit and post its hours; return the transfer's id.

    ``method`` records how it was confirmed (e.g. "callback"); by default it
    follows from who confirms (online, family or coordinator).
    Raises NotAllowed, AlreadySettled, RedeemAgeNotReached, BelowFloor, AboveCap.
    """
    if not may_decide(by, record):
        raise NotAllowed(_l("Only the person served, their family or a coordinator can confirm."))
    method = method or _confirmation_method(by, record)
    transfer_id = post_confirmation(record, by=by, method=method, note=note)
    acted_for(
        by,
        record.recipient,
        "visit_confirmed",
        target=f"service_record:{record.id}",
        method=method,
        minutes=record.minutes,
        transfer=transfer_id,
    )
    return transfer_id


def post_confirmation(record: ServiceRecord, *, by: User, method: str, note: str = "") -> int:
    """Confirm a pending visit for its recipient and post its hours, WITHOUT checking who ``by`` is.

    The caller has already established the recipient's consent (confirm_visit
    checks may_decide; timebank.cards checks the elder's card code). Recorded as
    decided by ``by`` on behalf of the recipient. Raises AlreadySettled and the
    ledger's errors.
    """
    _hold_recipient(record)
    _lock_record(record)
    if record.status != RecordStatus.PENDING:
        raise AlreadySettled(_l("This visit has already been answered."))
    transfer_id = _post_visit(record, by, record.minutes)
    _decide(record, by, RecordStatus.CONFIRMED, note)
    record.transfer_id = transfer_id
    record.confirmation_method = method
    db.session.flush()
    count_confirmed_visit(db.session.connection(), record, record.recipient.community_id)
    visit_confirmed.send(record, transfer_id=transfer_id)
    return transfer_id


def reject_visit(record: ServiceRecord, *, by: User, reason: str = "") -> None:
    """Say the visit did not happen as logged; nothing posts. Raises NotAllowed, AlreadySettled."""
    if not may_decide(by, record):
        raise NotAllowed()
    _lock_record(record)
    if record.status != RecordStatus.PENDING:
        raise AlreadySettled(_l("This visit has already been answered."))
    _decide(record, by, RecordStatus.REJECTED, reason)
    db.session.flush()
    acted_for(by, record.recipient, "visit_rejected", target=f"service_record:{record.id}")


def dispute_visit(record: ServiceRecord, *, by: User, reason: str) -> None:
    """Send the visit to a coordinator to decide. Raises NotAllowed, AlreadySettled, InvalidVisit."""
    if not may_decide(by, record):
        raise NotAllowed()
    if not (reason or "").strip():
        raise InvalidVisit(_l("Say what is wrong, so the coordinator can help."))
    _lock_record(record)
    if record.status != RecordStatus.PENDING:
        raise AlreadySettled(_l("This visit has already been answered."))
    _decide(record, by, RecordStatus.DISPUTED, reason)
    db.session.flush()
    acted_for(
        by,
        record.recipient,
        "visit_disputed",
        target=f"service_record:{record.id}",
        reason=record.decision_note,
    )


def settle_dispute(
    record: ServiceRecord,
    *,
    by: User,
    accept: bool,
    note: str,
    minutes: int | None = None,
) -> int | None:
    """A coordinator of the recipient decides a disputed visit: post (all or fewer
    minutes) or reject. Recorded in the audit log (VISIT_DISPUTE_SETTLED).

    Returns the transfer's id when hours post. Raises NotAllowed, AlreadySettled,
    InvalidVisit, InvalidAmount and the ledger's errors.
    """
    if by.id == record.volunteer_id or not coordinates(by, record.recipient):
        raise NotAllowed(_l("Only a coordinator of this community can settle a dispute."))
    if not (note or "").strip():
        raise InvalidVisit(_l("Write down the reason for the decision."))
    _hold_recipient(record)
    _lock_record(record)
    if record.status != RecordStatus.DISPUTED:
        raise AlreadySettled(_l("This visit is not in dispute."))
    dispute_note = record.decision_note
    before = {"status": record.status, "minutes": record.minutes, "dispute": dispute_note}
    transfer_id = None
    if not accept:
        _decide(record, by, RecordStatus.REJECTED, f"{note} / {dispute_note}")
        db.session.flush()
    else:
        settled = record.minutes if minutes is None else minutes
        check_minutes(settled)
        if settled > record.minutes:
            raise InvalidVisit(_l("A coordinator can post at most the minutes that were logged."))
        transfer_id = _post_visit(record, by, settled)
        _decide(record, by, RecordStatus.CONFIRMED, f"{note} / {dispute_note}")
        record.confirmation_method = "coordinator"
        record.minutes = settled
        record.transfer_id = transfer_id
        db.session.flush()
        count_confirmed_visit(db.session.connection(), record, record.recipient.community_id)
        visit_confirmed.send(record, transfer_id=transfer_id)
    audit.record(
        Action.VISIT_DISPUTE_SETTLED,
        actor=by,
        subject=record.recipient,
        target=f"service_record:{record.id}",
        before=before,
        after={
            "status": record.status,
            "minutes": record.minutes,
            "note": (note or "").strip()[:500],
            "transfer": transfer_id,
        },
    )
    return transfer_id
