"""(i) The street-wide transfers export as a job, on the street of a million transfers:
how long the worker takes to write the file, how many rows and bytes it has, and the
worker process's peak resident memory while it writes (goal ≤ 150 MB).

The street is the one (g) seeds and keeps (bench/page_scale.py: instance/bench/ on
SQLite, linli_bench_pages_50000 on PostgreSQL when TEST_DATABASE_URL is set). The
street admin asks for every transfer since the first one, as on the reports page;
then the real worker (`flask --app app worker`, its own process) writes it. On
PostgreSQL the job reaches the worker through the queue at once; on SQLite the queue
lives in one process's memory, so the export is left queued as if its job were lost
and the worker's minute sweep (reports_exports_sweep) takes it up, as it would after
a crash. The time is the writer's own: from the export turning "running" to "done"
(polled every 0.2 s). Peak memory is the worker's VmHWM from /proc when it is done.

`python -m bench.export_job` runs it alone (`--backend sqlite` for one backend).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import func, select, update

from app import create_app
from bench.databases import ROOT
from bench.page_scale import SIZES, _postgres_url, _sqlite_url, prepare
from community.models import Role, User, utcnow
from extensions import db
from seed.scale import TRANSFERS_PER_MEMBER
from storage import read_only
from timebank.clock import local_today
from timebank.export_models import ExportStatus, ReportExport
from timebank.models import Transfer
from timebank.report_exports import request_export
from timebank.reports import ReportPeriod
from timebank.scheduling import to_local

GOAL_MB = 150
SIZE = "1M"
TIMEOUT = 900  # seconds for the whole file


def _ask(url: str, export_dir: str) -> int:
    """The street admin asks for every transfer of the street; the export's id."""
    app = _app(url, export_dir)
    with app.app_context(), app.test_request_context():
        admin = db.session.scalar(
            select(User).where(User.role == Role.STREET_ADMIN).order_by(User.id).limit(1)
        )
        first = db.session.scalar(select(func.min(Transfer.created_at)))
        period = ReportPeriod(to_local(first).date(), local_today())
        export = request_export("transfers", by=admin, period=period, today=local_today())
        if url.startswith("sqlite"):
            # no queue shared with another process: the sweep finds it as a lost job
            export.created_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        export_id = export.id
        db.session.remove()
        db.engine.dispose()
    return export_id


def _app(url: str, export_dir: str):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "EXPORT_DIR": export_dir}
    )


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _watch(url: str, export_dir: str, export_id: int, worker: subprocess.Popen):
    """Poll the export until done; (seconds running, rows, bytes, peak MB of the worker)."""
    app = _app(url, export_dir)
    running_since = None
    watching_since = time.perf_counter()  # if it is done before a poll sees it running
    with app.app_context():
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with read_only():  # a reader: the worker writes meanwhile
                status, rows, size = db.session.execute(
                    select(
                        ReportExport.status, ReportExport.rows_written, ReportExport.file_bytes
                    ).where(ReportExport.id == export_id)
                ).one()
            db.session.rollback()
            now = time.perf_counter()
            if status == ExportStatus.RUNNING and running_since is None:
                running_since = now
            if status == ExportStatus.DONE:
                return now - (running_since or watching_since), rows, size, _peak_mb(worker.pid)
            if status == ExportStatus.FAILED or worker.poll() is not None:
                raise RuntimeError(f"export {export_id}: {status}, worker {worker.returncode}")
            time.sleep(0.2)
        db.engine.dispose()
    raise RuntimeError(f"export {export_id} not done in {TIMEOUT} s")


def run(backend: str, url: str) -> list[str]:
    members = SIZES[SIZE] // TRANSFERS_PER_MEMBER
    click.echo(f"(i) {backend}: the street's transfers export as a job, {SIZE} transfers …")
    prepare(url, members)
    with tempfile.TemporaryDirectory(prefix="linli-bench-exports-") as export_dir:
        # earlier runs' exports would be in flight still: start from none
        app = _app(url, export_dir)
        with app.app_context():
            db.session.execute(
                update(ReportExport)
                .where(ReportExport.status.in_((ExportStatus.QUEUED, ExportStatus.RUNNING)))
                .values(status=ExportStatus.FAILED)
            )
            db.session.commit()
            db.engine.dispose()
        export_id = _ask(url, export_dir)
        env = os.environ | {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "EXPORT_DIR": export_dir,
            "LOG_REQUESTS": "0",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--concurrency", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            seconds, rows, size, peak = _watch(url, export_dir, export_id, worker)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
    verdict = "met" if peak <= GOAL_MB else "MISSED"
    return [
        f"{backend:10} {rows:>10,} rows {size / 1e6:>8.1f} MB {seconds:>8.1f} s "
        f"{rows / seconds:>10,.0f} rows/s   worker peak {peak:>6.1f} MB  "
        f"(goal ≤ {GOAL_MB} MB: {verdict})"
    ]


def report(backends: list[str] | None = None) -> list[str]:
    """The table's lines, one per backend."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    backends = backends or (["sqlite", "postgresql"] if test_url else ["sqlite"])
    members = SIZES[SIZE] // TRANSFERS_PER_MEMBER
    header = "(i) the street's transfers over all its history, written by the worker"
    lines = [header, "-" * len(header)]
    for backend in backends:
        url = _sqlite_url(members) if backend == "sqlite" else _postgres_url(test_url, members)
        lines += run(backend, url)
    if not test_url:
        lines.append("PostgreSQL skipped: TEST_DATABASE_URL is not set")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_job", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    args = parser.parse_args(argv)
    click.echo("\n".join(report(args.backend)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
