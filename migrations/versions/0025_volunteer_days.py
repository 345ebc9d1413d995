"""How many volunteers last served on each day, per community and per street: the
figures' active volunteers read from a few dozen rows per community.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

- volunteer_days: per community and day, how many volunteers last served someone of
  the community on that day (each volunteer stands in the row of their
  volunteer_activity.last_served).
- street_volunteer_days: the same per street, from street_volunteer_activity.

Both are filled here from those last days, which 0022 and the visits keep.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _fill(days: str, activity: str, scope: str) -> None:
    # Identifiers are this file's own constants, never input.
    op.execute(
        f"INSERT INTO {days} ({scope}, day, volunteers) "
        f"SELECT {scope}, last_served, count(*) FROM {activity} GROUP BY {scope}, last_served"
    )


def upgrade():
    op.create_table(
        "street_volunteer_days",
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("volunteers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_street_volunteer_days_street_id_streets")
        ),
        sa.PrimaryKeyConstraint("street_id", "day", name=op.f("pk_street_volunteer_days")),
    )
    op.create_table(
        "volunteer_days",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("volunteers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_volunteer_days_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("community_id", "day", name=op.f("pk_volunteer_days")),
    )
    _fill("volunteer_days", "volunteer_activity", "community_id")
    _fill("street_volunteer_days", "street_volunteer_activity", "street_id")


def downgrade():
    op.drop_table("volunteer_days")
    op.drop_table("street_volunteer_days")
