"""物业+社区服务站: organisations that are also marketplace providers, and the bookings
that pay repairs online.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

- property_service_stations: the street admin's link from a civic organisation to a
  marketplace provider of its street (one each way: both columns unique), with the
  provider's paused menu item that repair bookings name (its category decides the
  subsidy rules, its price and minutes the rate at which hours pay).
- property_repair_bookings: a booking paying a repair's price online; live while
  ended_at is NULL (at most one live booking a repair: a partial unique index), paid
  from paid_at (the payment arranged). Times are naive UTC.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "property_service_stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("repair_item_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["civic_organisations.id"],
            name=op.f("fk_property_service_stations_organisation_id_civic_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_property_service_stations_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["repair_item_id"],
            ["service_items.id"],
            name=op.f("fk_property_service_stations_repair_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_property_service_stations_linked_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_service_stations")),
        sa.UniqueConstraint(
            "organisation_id", name=op.f("uq_property_service_stations_organisation_id")
        ),
        sa.UniqueConstraint("provider_id", name=op.f("uq_property_service_stations_provider_id")),
    )
    op.create_table(
        "property_repair_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repair_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repair_id"],
            ["civic_repairs.id"],
            name=op.f("fk_property_repair_bookings_repair_id_civic_repairs"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_property_repair_bookings_booking_id_bookings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_repair_bookings")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_property_repair_bookings_booking_id")),
    )
    op.create_index(
        op.f("ix_property_repair_bookings_repair_id"), "property_repair_bookings", ["repair_id"]
    )
    op.create_index(
        "uq_property_repair_bookings_live",
        "property_repair_bookings",
        ["repair_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade():
    op.drop_index("uq_property_repair_bookings_live", table_name="property_repair_bookings")
    op.drop_index("ix_property_repair_bookings_repair_id", table_name="property_repair_bookings")
    op.drop_table("property_repair_bookings")
    op.drop_table("property_service_stations")
