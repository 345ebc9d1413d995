"""Sending queued mail, by the worker only, never inside a web request.

A service writes an OutboxEmail and enqueues a ``send_mail`` job in the same
transaction (community.notifications): both exist only if the change they
report commits. The worker's job sends that one row; the periodic sweep
(``send_outbox``, every minute, and ``flask notifications send-outbox``) sends
whatever is due, including retries.

Mail goes through Flask-Mailman's SMTP backend with STARTTLS (MAIL_USE_TLS) or
TLS (MAIL_USE_SSL), the relay's certificate verified, and a login
(MAIL_USERNAME, MAIL_PASSWORD). Each row is claimed with a conditional UPDATE
that is committed before the relay is called, so two workers never send it
twice. A failed send leaves the row pending with one more attempt counted and
``next_attempt_at`` pushed back (1, 2, 4 … minutes); after MAIL_MAX_ATTEMPTS
it is no longer tried, and from MAIL_FAILURES_SHOWN failures staff see it
(``failing_mail``).
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import timedelta
from functools import cached_property

from flask import Flask, current_app
from flask_mailman import EmailMessage, Mail
from flask_mailman.backends.smtp import EmailBackend
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from community.models import Community, User, utcnow
from community.notification_models import OutboxEmail, OutboxStatus
from extensions import db

STALE_CLAIM = timedelta(minutes=15)
mail = Mail()


def init_mail(app: Flask) -> None:
    """Register Flask-Mailman (its settings are read again at each send, see ``_backend``)."""
    mail.init_app(app)


class VerifiedEmailBackend(EmailBackend):
    """Flask-Mailman's SMTP backend, but STARTTLS checks the relay's certificate too
    (smtplib's STARTTLS without a context would accept any certificate)."""

    def __init__(self, *, ca_file: str | None = None, **kwargs) -> None:
        self.ca_file = ca_file
        super().__init__(**kwargs)

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    @property
    def connection_class(self):
        if self.use_ssl:
            return smtplib.SMTP_SSL
        verified = self.ssl_context

        class VerifiedSMTP(smtplib.SMTP):
            def starttls(self, *args, context=None, **kwargs):
                return super().starttls(*args, context=context or verified, **kwargs)

        return VerifiedSMTP


def _backend() -> VerifiedEmailBackend:
    config = current_app.config
    return VerifiedEmailBackend(
        mailman=current_app.extensions["mailman"],
        host=config["MAIL_SERVER"],
        port=int(config.get("MAIL_PORT") or 25),
        username=config.get("MAIL_USERNAME") or "",
        password=config.get("MAIL_PASSWORD") or "",
        use_tls=bool(config.get("MAIL_USE_TLS")),
        use_ssl=bool(config.get("MAIL_USE_SSL")),
        timeout=int(config.get("MAIL_TIMEOUT") or 10),
        ca_file=config.get("MAIL_CA_FILE") or None,
    )


def _deliver(row: OutboxEmail) -> None:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "linli@localhost"
    message = EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=sender,
        to=[row.to_address],
        connection=_backend(),
    )
    message.send(fail_silently=False)


def retry_delay(attempts: int) -> timedelta:
    """How long a mail that failed ``attempts`` times waits: 1, 2, 4 … minutes, capped."""
    cap = int(current_app.config.get("MAIL_RETRY_MAX_MINUTES") or 240)
    return timedelta(minutes=min(cap, 2 ** max(0, attempts - 1)))


def _max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS") or 10)


def send_one(outbox_id: int) -> str:
    """Send the outbox row ``outbox_id`` if it is due; return "sent", "failed" or "skipped".

    Commits its claim before calling the relay and its outcome after. Does nothing
    without MAIL_SERVER (the row waits).
    """
    if not current_app.config.get("MAIL_SERVER"):
        return "skipped"
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == outbox_id,
            OutboxEmail.status == OutboxStatus.PENDING,
            OutboxEmail.attempts < _max_attempts(),
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        )
        .values(status=OutboxStatus.SENDING, claimed_at=now)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return "skipped"
    row = db.session.get(OutboxEmail, outbox_id)
    try:
        _deliver(row)
    except (OSError, smtplib.SMTPException) as error:
        row.status = OutboxStatus.PENDING
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:200]
        row.next_attempt_at = utcnow() + retry_delay(row.attempts)
        outcome = "failed"
        current_app.logger.warning("mail %s not sent: %s", outbox_id, row.last_error)
    else:
        row.status = OutboxStatus.SENT
        row.attempts += 1
        row.sent_at = utcnow()
        row.last_error = ""
        outcome = "sent"
    db.session.commit()
    return outcome


def send_outbox(limit: int = 200) -> tuple[int, int]:
    """Send the oldest ``limit`` mails that are due; return (sent, failed).

    Takes back claims a worker left behind when it died mid-send. Commits per row.
    Does nothing without MAIL_SERVER.
    """
    if not current_app.config.get("MAIL_SERVER"):
        return 0, 0
    db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.status == OutboxStatus.SENDING,
            OutboxEmail.claimed_at < utcnow() - STALE_CLAIM,
        )
        .values(status=OutboxStatus.PENDING)
    )
    db.session.commit()
    now = utcnow()
    ids = list(
        db.session.scalars(
            select(OutboxEmail.id)
            .where(
                OutboxEmail.status == OutboxStatus.PENDING,
                OutboxEmail.attempts < _max_attempts(),
                or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
            )
            .order_by(OutboxEmail.id)
            .limit(limit)
        )
    )
    db.session.commit()
    sent = failed = 0
    for outbox_id in ids:
        outcome = send_one(outbox_id)
        sent += outcome == "sent"
        failed += outcome == "failed"
    return sent, failed


def failing_mail(street_id: int | None = None, limit: int = 50) -> tuple[int, list[OutboxEmail]]:
    """Mail not sent after MAIL_FAILURES_SHOWN tries or more, to members of ``street_id``
    (None: everyone's): (how many, the newest ``limit``)."""
    shown = int(current_app.config.get("MAIL_FAILURES_SHOWN") or 3)
    failing = [
        OutboxEmail.status != OutboxStatus.SENT,
        OutboxEmail.attempts >= shown,
    ]
    if street_id is not None:
        failing.append(
            OutboxEmail.user_id.in_(
                select(User.id)
                .join(Community, Community.id == User.community_id)
                .where(Community.street_id == street_id)
            )
        )
    count = db.session.scalar(select(func.count()).select_from(OutboxEmail).where(*failing))
    rows = list(
        db.session.scalars(
            select(OutboxEmail)
            .where(*failing)
            .options(selectinload(OutboxEmail.user))
            .order_by(OutboxEmail.id.desc())
            .limit(limit)
        )
    )
    return count or 0, rows
