"""The job queue, the worker's heartbeat, mail retries and card steps done outside locks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

- PostgreSQL only: procrastinate's schema (tables procrastinate_jobs, _events,
  _periodic_defers, _workers, their functions, types and triggers), as shipped
  with procrastinate 3.10.0 and vendored beside this file
  (0010_procrastinate_3_10_schema.sql), so that this migration never changes
  when the library does. A later procrastinate brings its own migration
  scripts (procrastinate/sql/migrations/), to be copied into a new revision.
  SQLite (the embedded default) runs its jobs in process memory: no tables.
- job_worker_heartbeats: one row per worker process, updated every few
  seconds; /readyz reads the newest.
- outbox_emails.next_attempt_at: a failed mail waits (backoff) until then.
- card_payments.pending_*: the Stripe call a booking step recorded and
  committed before making it; cleared in the transaction that records the
  result. A row left with one (a crash in between) is finished by the worker.
"""

import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PROCRASTINATE_SCHEMA = Path(__file__).with_name("0010_procrastinate_3_10_schema.sql")


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _on_postgresql():
        # Straight to psycopg without parameters (in the migration's transaction), so the
        # schema's "::" casts and the "%" of its messages are not read as placeholders.
        op.get_bind().connection.driver_connection.execute(PROCRASTINATE_SCHEMA.read_text())
    op.create_table(
        "job_worker_heartbeats",
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker", name="pk_job_worker_heartbeats"),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("card_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_step", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("pending_fen", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pending_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("pending_since", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_card_payments_pending_since", ["pending_since"], unique=False)


def downgrade():
    with op.batch_alter_table("card_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_card_payments_pending_since")
        batch_op.drop_column("pending_since")
        batch_op.drop_column("pending_key")
        batch_op.drop_column("pending_fen")
        batch_op.drop_column("pending_step")
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
    op.drop_table("job_worker_heartbeats")
    if _on_postgresql():
        schema = PROCRASTINATE_SCHEMA.read_text()
        for kind in ("TABLE", "FUNCTION", "TYPE"):
            for name in re.findall(rf"^CREATE {kind} (procrastinate_\w+)", schema, re.MULTILINE):
                what = "FUNCTION" if kind == "FUNCTION" else kind
                op.execute(f"DROP {what} IF EXISTS {name} CASCADE")
