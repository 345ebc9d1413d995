"""Repair requests (报修) to the organisation serving a compound.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

- civic_repairs: one request by (or for) a resident, for their home or a shared part
  of their compound, with the time window they are home; the organisation it went
  to, the worker and appointment it was given, the price (fen; none when inside the
  property fee) and when the resident accepted it, what the worker did, and the
  resident's confirmation and rating (1-5), and the form's idempotency key
  (a request sent twice at once is kept once). Times are naive UTC.
- civic_repair_photos: the cleaned photos of a repair, the resident's with the request
  and the worker's of the work, each a key in the photo store (photo_store.py).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "civic_repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=True),
        sa.Column("shared_part", sa.Boolean(), nullable=False),
        sa.Column("place_detail", sa.String(length=80), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("appointment_at", sa.DateTime(), nullable=True),
        sa.Column("appointment_note", sa.String(length=200), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("price_fen", sa.Integer(), nullable=True),
        sa.Column("price_accepted_at", sa.DateTime(), nullable=True),
        sa.Column("price_accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("visited_at", sa.DateTime(), nullable=True),
        sa.Column("work_done", sa.String(length=1000), nullable=False),
        sa.Column("paid_on_site", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("resident_comment", sa.String(length=500), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("description <> ''", name=op.f("ck_civic_repairs_description_given")),
        sa.CheckConstraint(
            "status IN ('sent', 'assigned', 'visited', 'done')",
            name=op.f("ck_civic_repairs_status_known"),
        ),
        sa.CheckConstraint(
            "price_fen IS NULL OR price_fen > 0", name=op.f("ck_civic_repairs_price_positive")
        ),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_civic_repairs_rating_range")
        ),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_civic_repairs_window_order")),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_civic_repairs_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_civic_repairs_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["civic_compounds.id"],
            name=op.f("fk_civic_repairs_compound_id_civic_compounds"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_civic_repairs_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name=op.f("fk_civic_repairs_entered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["home_id"], ["civic_homes.id"], name=op.f("fk_civic_repairs_home_id_civic_homes")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["civic_organisations.id"],
            name=op.f("fk_civic_repairs_organisation_id_civic_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["price_accepted_by_id"],
            ["users.id"],
            name=op.f("fk_civic_repairs_price_accepted_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["users.id"], name=op.f("fk_civic_repairs_resident_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_civic_repairs_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_repairs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_civic_repairs_idempotency_key")),
    )
    with op.batch_alter_table("civic_repairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_repairs_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            "ix_civic_repairs_organisation_status", ["organisation_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_civic_repairs_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "ix_civic_repairs_worker_appointment", ["worker_id", "appointment_at"], unique=False
        )

    op.create_table(
        "civic_repair_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repair_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "stage IN ('request', 'visit')", name=op.f("ck_civic_repair_photos_stage_known")
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_civic_repair_photos_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"],
            ["civic_repairs.id"],
            name=op.f("fk_civic_repair_photos_repair_id_civic_repairs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_repair_photos")),
        sa.UniqueConstraint("key", name=op.f("uq_civic_repair_photos_key")),
    )
    with op.batch_alter_table("civic_repair_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_repair_photos_repair_id"), ["repair_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("civic_repair_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_repair_photos_repair_id"))

    op.drop_table("civic_repair_photos")
    with op.batch_alter_table("civic_repairs", schema=None) as batch_op:
        batch_op.drop_index("ix_civic_repairs_worker_appointment")
        batch_op.drop_index(batch_op.f("ix_civic_repairs_resident_id"))
        batch_op.drop_index("ix_civic_repairs_organisation_status")
        batch_op.drop_index(batch_op.f("ix_civic_repairs_community_id"))

    op.drop_table("civic_repairs")
