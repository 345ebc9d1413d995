"""Providers' earnings by month, kept as bookings complete; bookings by who booked them.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

- provider_earnings_months: per provider, Shanghai month of completion (of the start
  when a booking has no completion time), and payment method: the completed bookings,
  their total in fen (the subsidy part included), the subsidy part, and the minutes of
  those paid in hours. marketplace.earnings keeps it in the transaction of each change
  of a booking; the provider's dashboard reads its month and all-time figures from it
  instead of adding up every completed booking on each view. Filled here from the
  bookings already completed (Shanghai is UTC+8 all year, so the month is the one of
  the UTC time plus eight hours).
- bookings: (booked_by_id, starts_at), so "my bookings" reads the ones a member made
  for others through an index as it does their own (resident_id, starts_at), instead
  of scanning every booking for the OR of the two.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_MONTH = {
    "postgresql": "CAST(date_trunc('month', coalesce(completed_at, starts_at)"
    " + interval '8 hours') AS date)",
    "sqlite": "date(coalesce(completed_at, starts_at), '+8 hours', 'start of month')",
}


def upgrade():
    op.create_table(
        "provider_earnings_months",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("subsidy_fen", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_earnings_months_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint(
            "provider_id", "month", "payment_method", name=op.f("pk_provider_earnings_months")
        ),
    )
    month = _MONTH[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO provider_earnings_months "
        "(provider_id, month, payment_method, bookings, total_fen, subsidy_fen, minutes) "
        f"SELECT provider_id, {month}, payment_method, count(*), sum(total_fen), "
        "sum(subsidy_fen), "
        "coalesce(sum(CASE WHEN payment_method = 'hours' THEN total_minutes END), 0) "
        "FROM bookings WHERE status = 'completed' "
        f"GROUP BY provider_id, {month}, payment_method"
    )
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.create_index("ix_bookings_booked_by", ["booked_by_id", "starts_at"])


def downgrade():
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.drop_index("ix_bookings_booked_by")
    op.drop_table("provider_earnings_months")
