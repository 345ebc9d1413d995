"""Notifications: the inbox, mail sent by the worker once the change commits (to a real
SMTP server on 127.0.0.1), retries with backoff, the outbox command, the weekly digest,
and the receivers of timebank's signals."""

from __future__ import annotations

import email
import email.policy
from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from community.models import utcnow
from community.notification_models import Notification, OutboxEmail, OutboxStatus
from community.notifications import (
    inbox,
    mark_all_read,
    notify,
    queue_weekly_digest,
    render,
    unread_count,
)
from community.outbox import failing_mail, send_outbox
from community.services import link_family
from extensions import db
from tests.jobs.support import run_worker_jobs
from tests.servers import free_port
from timebank.clock import local_today
from timebank.formatting import format_date
from timebank.signals import request_posted, request_taken
from timebank.visit_models import Visit, VisitStatus
from timebank.visits import confirm_visit, log_visit

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def daughter(make_member):
    member = make_member("王小红", age=45)
    member.email = "xiaohong@example.com"
    return member


def outbox_rows() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


# --- the inbox ---------------------------------------------------------------------


def test_the_inbox_is_newest_first_and_mark_all_read_clears_the_count(elder):
    notify(elder, "gift_received", giver="李志愿", amount=90)
    notify(elder, "low_balance", left=60)
    assert unread_count(elder) == 2
    assert [render(n) for n in inbox(elder)] == [
        "Your hour account is low: 1 h left.",
        "李志愿 gave you 1 h 30 min.",
    ]
    assert mark_all_read(by=elder) == 2
    assert unread_count(elder) == 0


def test_messages_are_rendered_when_read_in_the_readers_language(volunteer):
    notification = notify(volunteer, "request_nearby", category="meal", day="2026-12-01")
    day = format_date(date(2026, 12, 1))  # "Tue 1 Dec" (with its year in other years)
    assert render(notification) == f"A new request near you: Meal help, {day}."
    with force_locale("zh_CN"):
        assert "Meal help" not in render(notification)  # the category's Chinese name
    assert "Meal help" not in notification.params  # only the code is stored


def test_an_unknown_kind_is_refused(elder):
    with pytest.raises(ValueError):
        notify(elder, "lottery_won")


# --- mail, sent by the worker ----------------------------------------------------------


def test_mail_is_sent_by_the_worker_not_at_the_commit(app, smtp, daughter):
    notify(daughter, "gift_received", giver="王秀英", amount=120)
    db.session.commit()
    assert smtp.received == []  # the change's own commit sends nothing
    run_worker_jobs(app)
    assert smtp.recipients == ["xiaohong@example.com"]
    mail = email.message_from_bytes(smtp.received[0].content, policy=email.policy.default)
    assert mail["Subject"].startswith("邻里：")  # mails are written in the default language
    [row] = outbox_rows()
    assert row.status == OutboxStatus.SENT and row.attempts == 1


def test_a_rolled_back_change_sends_no_mail(app, smtp, daughter):
    db.session.commit()
    notify(daughter, "gift_received", giver="王秀英", amount=120)
    db.session.rollback()
    run_worker_jobs(app)  # no job was left behind by the rolled-back change
    assert smtp.received == []
    assert outbox_rows() == []


def test_members_without_email_get_no_mail(app, smtp, elder):
    notify(elder, "gift_received", giver="王小红", amount=60)
    run_worker_jobs(app)
    assert smtp.received == []
    assert outbox_rows() == []
    assert unread_count(elder) == 1


def test_without_a_mail_server_mail_waits_for_send_outbox(app, smtp, daughter):
    app.config["MAIL_SERVER"] = None
    notify(daughter, "low_balance", left=30)
    db.session.commit()
    assert smtp.received == []
    assert outbox_rows()[0].status == OutboxStatus.PENDING
    db.session.rollback()  # end this test's read, as a finished request would
    refused = app.test_cli_runner().invoke(args=["notifications", "send-outbox"])
    assert refused.exit_code != 0 and "MAIL_SERVER" in refused.output
    app.config["MAIL_SERVER"] = "127.0.0.1"
    result = app.test_cli_runner().invoke(args=["notifications", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert smtp.recipients == ["xiaohong@example.com"]
    db.session.expire_all()
    assert outbox_rows()[0].status == OutboxStatus.SENT


def test_a_failed_send_waits_longer_after_each_failure(app, daughter):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    notify(daughter, "low_balance", left=30)
    run_worker_jobs(app)
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error
    assert unread_count(daughter) == 1  # the change itself is kept
    first_wait = row.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)

    assert send_outbox() == (0, 0)  # not due yet: not tried again
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_outbox() == (0, 1)
    db.session.expire_all()
    [row] = outbox_rows()
    assert row.attempts == 2
    assert timedelta(minutes=1, seconds=50) < row.next_attempt_at - utcnow() <= timedelta(minutes=2)


def test_mail_that_keeps_failing_is_shown_to_staff_and_then_given_up(app, daughter):
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_FAILURES_SHOWN=2, MAIL_MAX_ATTEMPTS=3
    )
    notify(daughter, "low_balance", left=30)
    db.session.commit()
    for attempt in range(1, 5):
        db.session.execute(update(OutboxEmail).values(next_attempt_at=None))
        db.session.commit()
        send_outbox()
        db.session.expire_all()
        assert outbox_rows()[0].attempts == min(attempt, 3)  # no fourth try
        assert failing_mail()[0] == (1 if attempt >= 2 else 0)


# --- the weekly digest ---------------------------------------------------------------


def test_the_digest_sums_up_the_weeks_unread_messages_once_a_week(app, smtp, daughter):
    app.config["MAIL_SERVER"] = None  # single notifications wait; only the digest is counted
    old = notify(daughter, "gift_received", giver="老朋友", amount=60)
    old.created_at = utcnow() - timedelta(days=8)
    notify(daughter, "gift_received", giver="王秀英", amount=120)
    notify(daughter, "low_balance", left=30)
    read = notify(daughter, "gift_received", giver="已读", amount=60)
    read.read_at = utcnow()
    db.session.commit()
    app.config["MAIL_SERVER"] = "127.0.0.1"
    for _run in range(2):
        result = app.test_cli_runner().invoke(args=["notifications", "digest"])
        assert result.exit_code == 0, result.output
    digests = [row for row in outbox_rows() if row.dedupe_key]
    assert len(digests) == 1
    assert "2 条未读消息" in digests[0].subject
    assert "王秀英" in digests[0].body and "老朋友" not in digests[0].body
    assert "已读" not in digests[0].body
    run_worker_jobs(app)
    subjects = [
        email.message_from_bytes(envelope.content, policy=email.policy.default)["Subject"]
        for envelope in smtp.received
    ]
    assert sum("条未读消息" in subject for subject in subjects) == 1
    next_week = utcnow() + timedelta(days=7)
    assert queue_weekly_digest(now=next_week) == 0  # this week's messages are too old by then
    notify(daughter, "low_balance", left=10).created_at = next_week - timedelta(hours=1)
    assert queue_weekly_digest(now=next_week) == 1


def test_the_digest_subject_counts_one_message_in_the_singular(app, daughter):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    notify(daughter, "low_balance", left=30)
    assert queue_weekly_digest() == 1
    digest = next(row for row in outbox_rows() if row.dedupe_key)
    assert digest.subject == "Linli: your week — 1 unread message"


# --- receivers of timebank's signals ---------------------------------------------------


def test_a_logged_visit_asks_the_elder_and_family_who_may_confirm(
    coordinator, elder, volunteer, make_member
):
    confirming = make_member("王小红", age=45)
    booking_only = make_member("王小明", age=48)
    link_family(by=elder, elder=elder, relative=confirming)
    link_family(by=elder, elder=elder, relative=booking_only, may_confirm=False)
    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=local_today(),
        entered_by=volunteer,
        idempotency_key="visit-1",
        minutes=60,
    )
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "confirmation_needed")
    )
    assert sorted(told) == sorted([elder.id, confirming.id])
    [message] = inbox(confirming)
    assert render(message).startswith("李志愿 logged a visit to 王秀英 (Meal help")
    assert message.link == f"/visits/{record.id}"


def _visit(volunteer, recipient, minutes: int, key: str):
    record = log_visit(
        volunteer=volunteer,
        recipient=recipient,
        category="companionship",
        service_date=local_today(),
        entered_by=volunteer,
        idempotency_key=key,
        minutes=minutes,
    )
    confirm_visit(record, by=recipient)


def test_low_balance_warns_a_member_payer_when_crossing_two_hours(make_community, make_member):
    # Elders pay for their own visits here, and may go into credit.
    town = make_community("宽松社区", floor_minutes=-20 * 60, elder_services_paid_by="elder")
    a = make_member("甲", age=70, community=town, is_volunteer=True)
    b = make_member("乙", age=70, community=town, is_volunteer=True)
    _visit(a, b, 180, "k1")  # b pays from 0 down: was never above two hours
    assert all(n.kind != "low_balance" for n in inbox(b))
    _visit(b, a, 90, "k2")  # a pays 90 of 180 minutes: 1 h 30 min left
    [low] = [n for n in inbox(a) if n.kind == "low_balance"]
    assert render(low) == "Your hour account is low: 1 h 30 min left."


def test_no_low_balance_when_the_guarantee_account_pays(elder, volunteer):
    _visit(volunteer, elder, 60, "k3")  # an elder's visit is paid by the guarantee account
    kinds = db.session.scalars(select(Notification.kind)).all()
    assert "low_balance" not in kinds


def test_a_posted_request_tells_up_to_50_volunteers_of_that_community(
    community, elder, make_member, make_community
):
    helpers = [make_member(f"志愿{i}", age=30, is_volunteer=True) for i in range(52)]
    make_member("不是志愿者", age=30)
    elsewhere = make_member("外社区志愿", age=30, is_volunteer=True, community=make_community())
    need = SimpleNamespace(
        id=7, community_id=community.id, requester_id=elder.id, category="meal", needed_on=None
    )
    request_posted.send(need)
    told = set(db.session.scalars(select(Notification.user_id)))
    assert len(told) == 50
    assert told <= {h.id for h in helpers}
    assert elsewhere.id not in told


def test_an_offer_request_tells_only_its_volunteer(community, elder, volunteer, make_member):
    make_member("别的志愿者", age=30, is_volunteer=True)
    need = SimpleNamespace(
        id=8,
        community_id=community.id,
        requester_id=elder.id,
        volunteer_id=volunteer.id,
        category="meal",
        needed_on=local_today(),
    )
    request_posted.send(need)
    assert list(db.session.scalars(select(Notification.user_id))) == [volunteer.id]
    asked = inbox(volunteer)[0]
    assert asked.kind == "offer_asked" and asked.link == "/aid/requests/8#approve-title"
    day = format_date(local_today())
    assert (
        render(asked)
        == f"{elder.display_name} asked you for help: Meal help, {day}. Please answer."
    )


def test_a_taken_request_asks_the_requester_and_who_posted_it_to_agree(
    community, coordinator, elder, volunteer
):
    need = SimpleNamespace(
        id=9,
        community_id=community.id,
        requester_id=elder.id,
        entered_by_id=coordinator.id,
        volunteer_id=volunteer.id,
        category="escort",
        needed_on=local_today(),
    )
    request_taken.send(need)
    told = sorted(db.session.scalars(select(Notification.user_id)))
    assert told == sorted([elder.id, coordinator.id])
    assert render(inbox(elder)[0]).startswith("李志愿 would like to help you: Escort")
    assert render(inbox(elder)[0]).endswith("Please agree.")
    assert inbox(elder)[0].link == "/aid/requests/9#approve-title"
    assert render(inbox(coordinator)[0]).startswith(
        f"李志愿 would like to help {elder.display_name}: Escort"
    )
    with force_locale("zh_CN"):
        assert render(inbox(elder)[0]).startswith("李志愿想来帮您：")
        assert render(inbox(elder)[0]).endswith("请您同意。")
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_remind_tells_both_sides_of_tomorrows_visits_once(app, elder, volunteer, make_member):
    other = make_member("赵奶奶", age=80)
    tomorrow = local_today() + timedelta(days=1)
    for recipient, day, status in (
        (elder, tomorrow, VisitStatus.SCHEDULED),
        (other, tomorrow, VisitStatus.CANCELLED),
        (other, tomorrow + timedelta(days=1), VisitStatus.SCHEDULED),
    ):
        db.session.add(
            Visit(
                volunteer_id=volunteer.id,
                recipient_id=recipient.id,
                category="meal",
                scheduled_date=day,
                scheduled_time=time(11, 0),
                status=status,
                entered_by_id=volunteer.id,
            )
        )
    db.session.commit()
    for expected in ("2 reminder(s)", "0 reminder(s)"):  # a second run repeats nothing
        result = app.test_cli_runner().invoke(args=["notifications", "remind"])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    db.session.expire_all()
    assert [render(n) for n in inbox(elder)] == [
        f"Reminder: a visit tomorrow, {format_date(tomorrow)} at 11:00 AM (Meal help)."
    ]
    assert len(inbox(volunteer)) == 1
    assert inbox(other) == []
