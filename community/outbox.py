"""Sending queued mail after the transaction that queued it commits.

A service queues an OutboxEmail and remembers its id on the session; when
that session's transaction commits, the remembered rows are sent (a
rollback forgets them, and their rows never existed). Each row is claimed
with a conditional UPDATE in a separate short transaction, so two workers
never send it twice. Without MAIL_SERVER, rows stay pending for
``flask notifications send-outbox``. A failed send leaves the row pending
with one more attempt counted.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from community.models import utcnow
from community.notification_models import OutboxEmail, OutboxStatus
from extensions import db

PENDING_IDS = "linli_outbox_pending"
MAX_ATTEMPTS = 10
STALE_CLAIM = timedelta(minutes=15)


def remember_for_sending(session: Session, outbox_id: int) -> None:
    """Send outbox row ``outbox_id`` once ``session``'s transaction commits."""
    session.info.setdefault(PENDING_IDS, []).append(outbox_id)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING_IDS, None)
    if ids and has_app_context() and current_app.config.get("MAIL_SERVER"):
        try:
            send_outbox(ids=ids)
        except Exception:  # the change is committed; unsent rows wait for send-outbox
            current_app.logger.exception("sending the outbox after commit failed")


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_IDS, None)


def connect_outbox() -> None:
    """Listen for commits and rollbacks of every session (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def _message(row: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message.set_content(row.body)
    return message


def _deliver(row: OutboxEmail) -> None:
    config = current_app.config
    with smtplib.SMTP(
        config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=10
    ) as smtp:
        smtp.send_message(_message(row, config.get("MAIL_DEFAULT_SENDER") or "linli@localhost"))


def send_outbox(ids: list[int] | None = None, limit: int = 200) -> tuple[int, int]:
    """Send pending mail (the rows ``ids``, or the oldest ``limit``); return (sent, failed).

    Runs in its own session and commits per row. Does nothing without MAIL_SERVER.
    """
    if not current_app.config.get("MAIL_SERVER"):
        return 0, 0
    sent = failed = 0
    with Session(db.engine) as session:
        if ids is None:
            # A worker that died mid-send leaves its claim behind; take it back.
            session.execute(
                update(OutboxEmail)
                .where(
                    OutboxEmail.status == OutboxStatus.SENDING,
                    OutboxEmail.claimed_at < utcnow() - STALE_CLAIM,
                )
                .values(status=OutboxStatus.PENDING)
            )
            session.commit()
            ids = list(
                session.scalars(
                    select(OutboxEmail.id)
                    .where(
                        OutboxEmail.status == OutboxStatus.PENDING,
                        OutboxEmail.attempts < MAX_ATTEMPTS,
                    )
                    .order_by(OutboxEmail.id)
                    .limit(limit)
                )
            )
        for outbox_id in ids:
            claimed = session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == outbox_id, OutboxEmail.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENDING, claimed_at=utcnow())
            )
            session.commit()
            if claimed.rowcount != 1:
                continue
            row = session.get(OutboxEmail, outbox_id)
            try:
                _deliver(row)
            except (OSError, smtplib.SMTPException) as error:
                row.status = OutboxStatus.PENDING
                row.attempts += 1
                row.last_error = str(error)[:200]
                failed += 1
            else:
                row.status = OutboxStatus.SENT
                row.attempts += 1
                row.sent_at = utcnow()
                sent += 1
            session.commit()
    return sent, failed
