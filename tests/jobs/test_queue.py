"""Jobs are enqueued in the transaction of the change that causes them: a rolled-back
change leaves no job behind, a committed one leaves exactly one, which the worker runs."""

from __future__ import annotations

from sqlalchemy import text

from community.notification_models import OutboxEmail, OutboxStatus
from extensions import db
from jobs.queue import IN_PROCESS, SEND_MAIL, enqueue
from jobs.worker import run_queued_jobs
from tests.jobs.conftest import ON_POSTGRESQL, ON_SQLITE


def _queued_mail(member) -> OutboxEmail:
    """A mail row committed on its own, for the job under test to send."""
    mail = OutboxEmail(
        user_id=member.id, to_address="wang@example.com", subject="邻里", body="你好"
    )
    db.session.add(mail)
    db.session.commit()
    return mail


def _jobs() -> list[tuple[str, str, dict]]:
    db.session.rollback()
    rows = db.session.execute(
        text("SELECT task_name, status, args FROM procrastinate_jobs ORDER BY id")
    )
    return [tuple(row) for row in rows]


def _started_events() -> int:
    return db.session.scalar(
        text("SELECT count(*) FROM procrastinate_events WHERE type = 'started'")
    )


@ON_POSTGRESQL
def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(app, elder, smtp):
    mail = _queued_mail(elder)

    enqueue(SEND_MAIL, outbox_id=mail.id)
    db.session.rollback()
    assert _jobs() == []
    run_queued_jobs(app)
    assert _started_events() == 0
    assert smtp.received == []
    db.session.expire_all()
    assert db.session.get(OutboxEmail, mail.id).status == OutboxStatus.PENDING

    enqueue(SEND_MAIL, outbox_id=mail.id)
    db.session.commit()
    assert _jobs() == [(SEND_MAIL, "todo", {"outbox_id": mail.id})]
    run_queued_jobs(app)
    assert _jobs() == [(SEND_MAIL, "succeeded", {"outbox_id": mail.id})]
    assert _started_events() == 1
    assert len(smtp.received) == 1
    assert db.session.get(OutboxEmail, mail.id).status == OutboxStatus.SENT


@ON_POSTGRESQL
def test_a_job_is_in_the_same_transaction_as_the_write(app, elder):
    """Another connection sees neither the row nor its job before the commit, and both after."""
    mail = OutboxEmail(user_id=elder.id, to_address="wang@example.com", subject="s", body="b")
    db.session.add(mail)
    db.session.flush()
    enqueue(SEND_MAIL, outbox_id=mail.id)
    count_jobs = text("SELECT count(*) FROM procrastinate_jobs")
    with db.engine.connect() as other:
        assert other.scalar(count_jobs) == 0
    db.session.commit()
    with db.engine.connect() as other:
        assert other.scalar(count_jobs) == 1


class Recorder:
    """Stands where the in-process worker would, to see what it is handed."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, dict]] = []

    def defer_soon(self, task_name: str, task_kwargs: dict) -> None:
        self.handed.append((task_name, task_kwargs))


@ON_SQLITE
def test_sqlite_hands_over_only_committed_jobs(app, elder):
    recorder = app.extensions[IN_PROCESS] = Recorder()
    mail = _queued_mail(elder)

    enqueue(SEND_MAIL, outbox_id=mail.id)
    db.session.rollback()
    db.session.commit()
    assert recorder.handed == []

    enqueue(SEND_MAIL, outbox_id=mail.id)
    assert recorder.handed == []  # not before the commit
    db.session.commit()
    assert recorder.handed == [(SEND_MAIL, {"outbox_id": mail.id})]


@ON_SQLITE
def test_a_savepoint_neither_hands_over_nor_forgets_the_transactions_jobs(app, elder):
    """SQLAlchemy also tells of a savepoint's release or rollback as a commit or rollback:
    jobs wait for the real commit, and a failed savepoint keeps those queued before it."""
    recorder = app.extensions[IN_PROCESS] = Recorder()
    mail = _queued_mail(elder)

    enqueue(SEND_MAIL, outbox_id=mail.id)
    with db.session.begin_nested():
        enqueue(SEND_MAIL, outbox_id=mail.id + 1)
    assert recorder.handed == []  # the savepoint's release is not the commit
    try:
        with db.session.begin_nested():
            raise ValueError("a refused row (e.g. a duplicate key)")
    except ValueError:
        pass
    db.session.commit()
    assert recorder.handed == [
        (SEND_MAIL, {"outbox_id": mail.id}),
        (SEND_MAIL, {"outbox_id": mail.id + 1}),
    ]
