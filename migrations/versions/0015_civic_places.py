"""Civic's ground: places (compounds, buildings, homes, owners) and who serves them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

- civic_compounds: residential compounds (小区) of a community.
- civic_buildings, civic_homes: a compound's buildings and the homes in them, each
  home with its floor area in square decimetres (owners' votes weigh area).
- civic_home_owners: who owns each home (业主); co-owners share one row per member.
- civic_organisations: property companies, self-management groups and street
  departments, each of one street; civic_organisation_compounds links one to the
  compounds it serves; civic_organisation_staff names its manager(s) and workers.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "civic_compounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f("ck_civic_compounds_name_given")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_civic_compounds_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_compounds")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_civic_compounds_community_id")),
    )
    with op.batch_alter_table("civic_compounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_compounds_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "civic_buildings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f("ck_civic_buildings_name_given")),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["civic_compounds.id"],
            name=op.f("fk_civic_buildings_compound_id_civic_compounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_buildings")),
        sa.UniqueConstraint("compound_id", "name", name=op.f("uq_civic_buildings_compound_id")),
    )
    with op.batch_alter_table("civic_buildings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_buildings_compound_id"), ["compound_id"], unique=False
        )

    op.create_table(
        "civic_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('property_company', 'self_management', 'street_department')",
            name=op.f("ck_civic_organisations_kind_known"),
        ),
        sa.CheckConstraint("name <> ''", name=op.f("ck_civic_organisations_name_given")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_civic_organisations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_civic_organisations_street_id_streets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_organisations")),
        sa.UniqueConstraint("street_id", "name", name=op.f("uq_civic_organisations_street_id")),
    )
    with op.batch_alter_table("civic_organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_organisations_street_id"), ["street_id"], unique=False
        )

    op.create_table(
        "civic_homes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("area_dm2", sa.Integer(), nullable=False),
        sa.CheckConstraint("unit <> ''", name=op.f("ck_civic_homes_unit_given")),
        sa.CheckConstraint("area_dm2 > 0", name=op.f("ck_civic_homes_area_positive")),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["civic_buildings.id"],
            name=op.f("fk_civic_homes_building_id_civic_buildings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_homes")),
        sa.UniqueConstraint("building_id", "unit", name=op.f("uq_civic_homes_building_id")),
    )
    with op.batch_alter_table("civic_homes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_homes_building_id"), ["building_id"], unique=False
        )

    op.create_table(
        "civic_organisation_compounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["civic_compounds.id"],
            name=op.f("fk_civic_organisation_compounds_compound_id_civic_compounds"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_civic_organisation_compounds_linked_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["civic_organisations.id"],
            name=op.f("fk_civic_organisation_compounds_organisation_id_civic_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_organisation_compounds")),
        sa.UniqueConstraint(
            "organisation_id",
            "compound_id",
            name=op.f("uq_civic_organisation_compounds_organisation_id"),
        ),
    )
    with op.batch_alter_table("civic_organisation_compounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_organisation_compounds_compound_id"), ["compound_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_civic_organisation_compounds_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "civic_organisation_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('manager', 'worker')", name=op.f("ck_civic_organisation_staff_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_civic_organisation_staff_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["civic_organisations.id"],
            name=op.f("fk_civic_organisation_staff_organisation_id_civic_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_organisation_staff")),
        sa.UniqueConstraint(
            "organisation_id", "member_id", name=op.f("uq_civic_organisation_staff_organisation_id")
        ),
    )
    with op.batch_alter_table("civic_organisation_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_civic_organisation_staff_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_civic_organisation_staff_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "civic_home_owners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["home_id"], ["civic_homes.id"], name=op.f("fk_civic_home_owners_home_id_civic_homes")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_civic_home_owners_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_civic_home_owners_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_home_owners")),
        sa.UniqueConstraint("home_id", "member_id", name=op.f("uq_civic_home_owners_home_id")),
    )
    with op.batch_alter_table("civic_home_owners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_civic_home_owners_home_id"), ["home_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_civic_home_owners_member_id"), ["member_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("civic_home_owners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_home_owners_member_id"))
        batch_op.drop_index(batch_op.f("ix_civic_home_owners_home_id"))

    op.drop_table("civic_home_owners")
    with op.batch_alter_table("civic_organisation_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_organisation_staff_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_civic_organisation_staff_member_id"))

    op.drop_table("civic_organisation_staff")
    with op.batch_alter_table("civic_organisation_compounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_organisation_compounds_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_civic_organisation_compounds_compound_id"))

    op.drop_table("civic_organisation_compounds")
    with op.batch_alter_table("civic_homes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_homes_building_id"))

    op.drop_table("civic_homes")
    with op.batch_alter_table("civic_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_organisations_street_id"))

    op.drop_table("civic_organisations")
    with op.batch_alter_table("civic_buildings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_buildings_compound_id"))

    op.drop_table("civic_buildings")
    with op.batch_alter_table("civic_compounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civic_compounds_community_id"))

    op.drop_table("civic_compounds")
