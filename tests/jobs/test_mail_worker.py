"""Mail is sent by the worker, through a real SMTP server that requires STARTTLS and a
login, never inside the web request that caused it; links in it are whole addresses."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from community.notification_models import OutboxEmail, OutboxStatus
from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from tests.jobs.conftest import MAIL_USER
from tests.jobs.support import run_worker_jobs
from timebank.accounts import community_account, member_account
from timebank.ledger import post_transfer
from timebank.models import AccountKind, TransferKind


@pytest.fixture
def family(elder, make_member):
    """A daughter with an email, linked to the elder; the elder has hours to give."""
    daughter = make_member("王小红", age=45)
    daughter.email = "xiaohong@example.com"
    link_family(by=elder, elder=elder, relative=daughter)
    post_transfer(
        from_account_id=community_account(elder.community_id, AccountKind.GUARANTEE).id,
        to_account_id=member_account(elder).id,
        minutes=300,
        kind=TransferKind.ADJUSTMENT,
        idempotency_key="credit",
        entered_by=None,
    )
    db.session.commit()
    return daughter


def _gift(app, elder, daughter) -> None:
    client = app.test_client()
    login(client, elder)
    response = client.post(
        "/gift",
        data={
            "csrf_token": csrf_token(client, "/gift"),
            "recipient": f"#{daughter.id}",
            "hours": "1",
            "minutes": "0",
            "memo": "",
            "idempotency_key": "gift-1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_web_request_only_queues_the_mail_and_the_worker_sends_it_over_starttls(
    app, tls_relay, elder, family
):
    app.config["PUBLIC_BASE_URL"] = "https://linli.example.cn"
    _gift(app, elder, family)

    assert tls_relay.greetings == 0  # the request made no SMTP connection at all
    [row] = db.session.scalars(select(OutboxEmail))
    assert row.status == OutboxStatus.PENDING

    run_worker_jobs(app)

    [mail] = tls_relay.received
    assert mail["to"] == ["xiaohong@example.com"]
    assert mail["tls"] is True and mail["login"] == MAIL_USER
    body = email.message_from_bytes(mail["content"], policy=email.policy.default)
    assert "https://linli.example.cn/statement" in body.get_content()
    assert db.session.get(OutboxEmail, row.id).status == OutboxStatus.SENT


def test_a_wrong_password_is_a_failed_attempt_kept_for_later(app, tls_relay, elder, family):
    # the relay answers a wrong login slowly (as relays do): give up on it sooner
    app.config.update(MAIL_PASSWORD="not-the-password", MAIL_TIMEOUT=2)
    _gift(app, elder, family)
    run_worker_jobs(app)
    assert tls_relay.received == []
    [row] = db.session.scalars(select(OutboxEmail))
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error and row.next_attempt_at is not None


def test_a_relay_whose_certificate_is_not_trusted_gets_no_mail(app, tls_relay, elder, family):
    app.config["MAIL_CA_FILE"] = None  # the system's CAs do not know the self-signed relay
    _gift(app, elder, family)
    run_worker_jobs(app)
    assert tls_relay.received == []
    [row] = db.session.scalars(select(OutboxEmail))
    assert row.attempts == 1 and "CERTIFICATE_VERIFY_FAILED" in row.last_error
