"""Aid requests (needs) and volunteers' offers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Adds offers (a volunteer's kind of help, areas, weekdays as a 7-bit mask and
an hour range) and aid_requests (who needs help, who posted it and for whom,
when and where, the volunteer who took it, who approved it, the offer it came
from and the visit it scheduled, and when it was flagged as unclaimed).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.Time(), nullable=True),
        sa.Column("available_until", sa.Time(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("weekdays >= 0 AND weekdays < 128", name=op.f("ck_offers_weekdays")),
        sa.CheckConstraint(
            "available_from IS NULL OR available_until IS NULL OR available_from < available_until",
            name=op.f("ck_offers_hours_in_order"),
        ),
        _fk("offers", "volunteer_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_category"), ["category"], unique=False)

    op.create_table(
        "aid_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("needed_on", sa.Date(), nullable=True),
        sa.Column("window_start", sa.Time(), nullable=True),
        sa.Column("window_end", sa.Time(), nullable=True),
        sa.Column("flexible", sa.Boolean(), nullable=False),
        sa.Column("building", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("private_notes", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'taken', 'scheduled', 'done', 'cancelled')",
            name=op.f("ck_aid_requests_status"),
        ),
        sa.CheckConstraint("urgency IN ('normal', 'urgent')", name=op.f("ck_aid_requests_urgency")),
        sa.CheckConstraint("estimated_minutes > 0", name=op.f("ck_aid_requests_minutes_positive")),
        sa.CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start < window_end",
            name=op.f("ck_aid_requests_window_in_order"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('taken', 'scheduled', 'done') OR volunteer_id IS NOT NULL",
            name=op.f("ck_aid_requests_taken_has_volunteer"),
        ),
        sa.CheckConstraint(
            "volunteer_id IS NULL OR volunteer_id <> requester_id",
            name=op.f("ck_aid_requests_not_self"),
        ),
        _fk("aid_requests", "requester_id", "users"),
        _fk("aid_requests", "entered_by_id", "users"),
        _fk("aid_requests", "on_behalf_of_id", "users"),
        _fk("aid_requests", "community_id", "communities"),
        _fk("aid_requests", "volunteer_id", "users"),
        _fk("aid_requests", "approved_by_id", "users"),
        _fk("aid_requests", "cancelled_by_id", "users"),
        _fk("aid_requests", "offer_id", "offers"),
        _fk("aid_requests", "visit_id", "visits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_requests")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_aid_requests_idempotency_key")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_aid_requests_visit_id")),
    )
    with op.batch_alter_table("aid_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_aid_requests_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_aid_requests_volunteer_id"), ["volunteer_id"], unique=False
        )
        batch_op.create_index(
            "ix_aid_requests_status_community", ["status", "community_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("aid_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_aid_requests_status_community")
        batch_op.drop_index(batch_op.f("ix_aid_requests_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_aid_requests_requester_id"))
    op.drop_table("aid_requests")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_category"))
        batch_op.drop_index(batch_op.f("ix_offers_volunteer_id"))
    op.drop_table("offers")
