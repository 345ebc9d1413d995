"""The checks in person before a childcare or meal provider may take bookings.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

- provider_checks: one row each time a coordinator makes a childcare (托育) or meal
  (助餐) provider bookable (verifying its application, or reinstating it after a
  suspension): the licence number as read on the licence and the checklist (licence
  seen, staff health certificates seen, premises checked), who checked and when.
  Providers verified before this revision have no row; their pages say so.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("licence_number", sa.String(length=40), nullable=False),
        sa.Column("licence_seen", sa.Boolean(), nullable=False),
        sa.Column("health_certificates_seen", sa.Boolean(), nullable=False),
        sa.Column("premises_checked", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "licence_number <> ''", name=op.f("ck_provider_checks_licence_number_given")
        ),
        sa.CheckConstraint(
            "decision IN ('verify', 'reinstate')", name=op.f("ck_provider_checks_decision")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_checks_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_provider_checks_checked_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_checks")),
    )
    with op.batch_alter_table("provider_checks") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_checks_provider_id"), ["provider_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("provider_checks") as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_checks_provider_id"))
    op.drop_table("provider_checks")
