"""Recurring care plans, and the plan each generated visit belongs to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Adds care_plans (an elder, a volunteer, a kind of help, weekdays as a 7-bit
mask with Monday as bit 0, a time of day, start and optional end dates, who
created it and for whom, and whether it is active, paused or ended), and
visits.care_plan_id with a partial unique index so a plan has at most one live
(not cancelled) visit a day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "care_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("elder_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("time_of_day", sa.Time(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("weekdays > 0 AND weekdays < 128", name=op.f("ck_care_plans_weekdays")),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'ended')", name=op.f("ck_care_plans_status")
        ),
        sa.CheckConstraint("volunteer_id <> elder_id", name=op.f("ck_care_plans_not_self")),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_care_plans_dates_in_order"),
        ),
        _fk("care_plans", "elder_id", "users"),
        _fk("care_plans", "volunteer_id", "users"),
        _fk("care_plans", "created_by_id", "users"),
        _fk("care_plans", "on_behalf_of_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plans")),
    )
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_plans_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_care_plans_volunteer_id"), ["volunteer_id"], unique=False
        )

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("care_plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_visits_care_plan_id_care_plans"), "care_plans", ["care_plan_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_visits_care_plan_id"), ["care_plan_id"], unique=False)
        batch_op.create_index(
            "uq_visits_care_plan_day",
            ["care_plan_id", "scheduled_date"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("uq_visits_care_plan_day")
        batch_op.drop_index(batch_op.f("ix_visits_care_plan_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_visits_care_plan_id_care_plans"), type_="foreignkey"
        )
        batch_op.drop_column("care_plan_id")

    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_plans_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_care_plans_elder_id"))

    op.drop_table("care_plans")
