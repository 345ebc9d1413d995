"""The jobs the worker runs: the periodic ones (once per period however many workers
run) and the ones a change enqueues (``jobs.queue.enqueue``, by name).

Each periodic job has a ``lock`` and a ``queueing_lock`` of its own name: at most
one of it waits in the queue, and one runs at a time, so a slow run is never
overlapped by the next (which waits for it). Which worker defers a period's job
is settled by procrastinate's ``procrastinate_periodic_defers`` row for that
period (unique), so two workers never both run it.

Each job runs in an app context and commits once at its end (the commands it
shares its work with commit the same way); the marketplace jobs commit per
booking.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import procrastinate
from flask import Flask

from civic.problem_flow import confirm_unanswered_closures
from community.notifications import queue_weekly_digest
from community.outbox import send_one, send_outbox
from extensions import db
from jobs.queue import SEND_MAIL
from marketplace import card_steps
from marketplace.booking_cli import sweep_bookings
from marketplace.card_cli import charge_due_cards
from timebank.aid_cli import flag_unclaimed_now
from timebank.care_plans import generate_all
from timebank.notify_receivers import remind_tomorrow
from timebank.report_exports import WRITE_EXPORT, sweep_exports, write_export

logger = logging.getLogger(__name__)


# name → (cron in UTC, what it does). Beijing is UTC+8: 01:00 UTC is 09:00 there.
PERIODIC: dict[str, tuple[str, Callable[[], object]]] = {
    "plans_generate": ("0 17 * * *", lambda: generate_all()),  # 01:00 Beijing
    "aid_flag_unclaimed": ("*/15 * * * *", flag_unclaimed_now),
    "notifications_remind": ("0 10 * * *", remind_tomorrow),  # 18:00 Beijing, the evening before
    "notifications_digest": ("0 1 * * 1", queue_weekly_digest),  # Monday 09:00 Beijing
    "mail_send_outbox": ("* * * * *", send_outbox),  # retries, and mail queued without a job
    "marketplace_sweep": ("*/5 * * * *", sweep_bookings),
    "marketplace_charge_due": ("10 * * * *", charge_due_cards),
    "marketplace_card_steps": ("*/2 * * * *", card_steps.finish_stale_steps),
    "reports_exports_sweep": ("* * * * *", sweep_exports),  # lost or stalled exports, old files
    # a problem said to be fixed that its reporter left unanswered for 7 days counts as fixed
    "civic_auto_confirm": ("20 * * * *", confirm_unanswered_closures),
}


def _in_app(flask_app: Flask, work: Callable[..., object]) -> Callable[..., object]:
    """``work`` in an app context of its own, committed at the end, rolled back on error."""

    @functools.wraps(work)
    def run(**kwargs):
        with flask_app.app_context():
            try:
                result = work(**kwargs)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()
        logger.info("job %s: %s", getattr(work, "__name__", "job"), result)
        return None

    return run


def register_tasks(queue_app: procrastinate.App, flask_app: Flask, *, periodic: bool) -> None:
    """Declare every job on ``queue_app``, each running inside ``flask_app`` (the
    periodic ones on their schedule only when ``periodic``)."""
    for name, (cron, work) in PERIODIC.items():

        def job(timestamp: int, _work=work) -> object:
            del timestamp  # the period's start; every job looks at the clock itself
            return _work()

        job.__name__ = name
        task = queue_app.task(name=name, lock=name, queueing_lock=name)(_in_app(flask_app, job))
        if periodic:
            queue_app.periodic(cron=cron)(task)

    @queue_app.task(name="jobs_prune", lock="jobs_prune", queueing_lock="jobs_prune")
    async def jobs_prune(timestamp: int) -> None:
        """Forget jobs that succeeded more than JOBS_KEEP_DAYS ago (failed ones stay)."""
        del timestamp
        days = int(flask_app.config["JOBS_KEEP_DAYS"])
        await queue_app.job_manager.delete_old_jobs(nb_hours=24 * days)

    if periodic:
        queue_app.periodic(cron="30 19 * * *")(jobs_prune)  # 03:30 Beijing

    @queue_app.task(
        name="jobs_retry_stalled", lock="jobs_retry_stalled", queueing_lock="jobs_retry_stalled"
    )
    async def jobs_retry_stalled(timestamp: int) -> None:
        """Queue again the jobs whose worker died running them (killed, its host lost):
        its heartbeat stopped, and they would stay "doing" for ever, and a periodic
        job's lock with them, so that job would never run again."""
        del timestamp
        manager = queue_app.job_manager
        seconds = flask_app.config["JOBS_STALLED_SECONDS"]
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
            logger.warning("job %s (%s) stalled: queued again", job.id, job.task_name)
            await manager.retry_job(job)

    if periodic:
        queue_app.periodic(cron="* * * * *")(jobs_retry_stalled)

    def send_mail(outbox_id: int) -> object:
        return send_one(outbox_id)

    queue_app.task(name=SEND_MAIL)(_in_app(flask_app, send_mail))

    def write_report_export(export_id: int) -> object:
        return write_export(export_id)

    # no lock: several exports may be written at once; each is claimed by its row
    queue_app.task(name=WRITE_EXPORT)(_in_app(flask_app, write_report_export))
