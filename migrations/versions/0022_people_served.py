"""People served by the month of their last visit, volunteers' last day per street:
the figures' elders served and a street's active volunteers read from a few rows.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

- recipient_activity: per community and person served on a confirmed visit, the
  last day served and the birth date they are counted under.
- served_years / served_days: how many people of a community, by birth year (0:
  unknown) or birth date, were last served in each month. The figures' "elders
  served" over the months shown sums these instead of reading every person served
  in every month (about a second for a street admin on a street of 50,000 people).
- street_volunteer_activity: per street and volunteer, the last day served (the street
  admin's total of active volunteers counts these, not DISTINCT volunteers of every
  community).

All are filled here from the confirmed visits.
"""

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _fill():
    bind = op.get_bind()
    users = sa.table("users", sa.column("id"), sa.column("community_id"), sa.column("birth_date"))
    visits = sa.table(
        "service_records",
        sa.column("recipient_id"),
        sa.column("service_date"),
        sa.column("status"),
    )
    rows = bind.execute(
        sa.select(
            users.c.community_id,
            visits.c.recipient_id,
            sa.func.max(visits.c.service_date),
            users.c.birth_date,
        )
        .select_from(visits.join(users, users.c.id == visits.c.recipient_id))
        .where(visits.c.status == "confirmed")
        .group_by(users.c.community_id, visits.c.recipient_id, users.c.birth_date)
    ).all()
    activity, years, days = [], defaultdict(int), defaultdict(int)
    for community_id, recipient_id, last, born in rows:
        last, born = _as_date(last), born and _as_date(born)
        activity.append(
            {
                "community_id": community_id,
                "recipient_id": recipient_id,
                "last_served": last,
                "birth_date": born,
            }
        )
        month = last.replace(day=1)
        years[(community_id, born.year if born else 0, month)] += 1
        if born is not None:
            days[(community_id, born, month)] += 1
    columns = ("community_id", "recipient_id", "last_served", "birth_date")
    if activity:
        bind.execute(sa.table("recipient_activity", *map(sa.column, columns)).insert(), activity)
    for name, birth, counts in (
        ("served_years", "birth_year", years),
        ("served_days", "birth_date", days),
    ):
        if counts:
            table = sa.table(name, *map(sa.column, ("community_id", birth, "last_month", "people")))
            bind.execute(
                table.insert(),
                [
                    {"community_id": c, birth: b, "last_month": m, "people": n}
                    for (c, b, m), n in counts.items()
                ],
            )


def _fill_streets():
    bind = op.get_bind()
    users = sa.table("users", sa.column("id"), sa.column("community_id"))
    communities = sa.table("communities", sa.column("id"), sa.column("street_id"))
    visits = sa.table(
        "service_records",
        sa.column("recipient_id"),
        sa.column("volunteer_id"),
        sa.column("service_date"),
        sa.column("status"),
    )
    rows = bind.execute(
        sa.select(
            communities.c.street_id,
            visits.c.volunteer_id,
            sa.func.max(visits.c.service_date),
        )
        .select_from(
            visits.join(users, users.c.id == visits.c.recipient_id).join(
                communities, communities.c.id == users.c.community_id
            )
        )
        .where(visits.c.status == "confirmed")
        .group_by(communities.c.street_id, visits.c.volunteer_id)
    ).all()
    if rows:
        table = sa.table(
            "street_volunteer_activity",
            sa.column("street_id"),
            sa.column("volunteer_id"),
            sa.column("last_served"),
        )
        bind.execute(
            table.insert(),
            [{"street_id": s, "volunteer_id": v, "last_served": _as_date(d)} for s, v, d in rows],
        )


def upgrade():
    op.create_table(
        "street_volunteer_activity",
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("last_served", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["streets.id"],
            name=op.f("fk_street_volunteer_activity_street_id_streets"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["users.id"],
            name=op.f("fk_street_volunteer_activity_volunteer_id_users"),
        ),
        sa.PrimaryKeyConstraint(
            "street_id", "volunteer_id", name=op.f("pk_street_volunteer_activity")
        ),
    )
    op.create_index(
        "ix_street_volunteer_activity_last",
        "street_volunteer_activity",
        ["street_id", "last_served"],
    )
    op.create_table(
        "recipient_activity",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("last_served", sa.Date(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_recipient_activity_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_recipient_activity_recipient_id_users")
        ),
        sa.PrimaryKeyConstraint("community_id", "recipient_id", name=op.f("pk_recipient_activity")),
    )
    op.create_index("ix_recipient_activity_recipient", "recipient_activity", ["recipient_id"])
    for name, birth, kind in (
        ("served_years", "birth_year", sa.Integer()),
        ("served_days", "birth_date", sa.Date()),
    ):
        op.create_table(
            name,
            sa.Column("community_id", sa.Integer(), nullable=False),
            sa.Column(birth, kind, nullable=False, autoincrement=False),
            sa.Column("last_month", sa.Date(), nullable=False),
            sa.Column("people", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["community_id"],
                ["communities.id"],
                name=op.f(f"fk_{name}_community_id_communities"),
            ),
            sa.PrimaryKeyConstraint("community_id", birth, "last_month", name=op.f(f"pk_{name}")),
        )
    _fill()
    _fill_streets()


def downgrade():
    op.drop_index("ix_street_volunteer_activity_last", table_name="street_volunteer_activity")
    op.drop_table("street_volunteer_activity")
    op.drop_table("served_days")
    op.drop_table("served_years")
    op.drop_index("ix_recipient_activity_recipient", table_name="recipient_activity")
    op.drop_table("recipient_activity")
