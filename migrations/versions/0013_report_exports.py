"""Big report exports written to a file by the worker.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

- report_exports: a report too big to stream in one request (over
  EXPORT_STREAM_MAX_ROWS rows) is asked for here, written to a file in
  EXPORT_DIR by the worker, and downloaded from its page. At most one export of
  the same report, period and language is in flight per member (a partial
  unique index), and the sweep finds queued or stalled ones by status and
  last progress.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

IN_FLIGHT = sa.text("status IN ('queued', 'running')")


def upgrade():
    op.create_table(
        "report_exports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("report", sa.String(20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(80), nullable=True),
        sa.Column("file_bytes", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("progress_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_report_exports_requested_by_id", "report_exports", ["requested_by_id"])
    op.create_index("ix_report_exports_status", "report_exports", ["status", "progress_at"])
    op.create_index(
        "uq_report_exports_in_flight",
        "report_exports",
        ["requested_by_id", "report", "period_start", "period_end", "locale"],
        unique=True,
        sqlite_where=IN_FLIGHT,
        postgresql_where=IN_FLIGHT,
    )


def downgrade():
    op.drop_table("report_exports")
