"""Ledger summaries and stored running balances: figures and statements that don't grow with history.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

- transfers.from_balance_after / to_balance_after: each side's balance once
  the transfer posted (the ledger writes them under the accounts' lock).
  Existing transfers get them here from a running sum per account in id order.
  They are not part of the hash chain (timebank.chain keeps its digest).
- accounts.holder_birth_date: a member account's copy of its holder's birth
  date, the summary row its balance is counted in.
- member_years, member_days, visit_months, recipient_months, volunteer_activity
  (timebank/summary_models.py), filled here from the existing rows.
- ix_service_records_service_date: figures look up the few visits after the
  day they are read for.

The backfill is written out here (not imported from timebank) so that this
migration keeps doing what it did when it was written.
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TRANSFER_TRIGGER_MESSAGE = "transfers are append-only: post a reversal instead"

meta = sa.MetaData()
transfers = sa.Table(
    "transfers",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("from_account_id", sa.Integer),
    sa.Column("to_account_id", sa.Integer),
    sa.Column("amount_minutes", sa.Integer),
    sa.Column("from_balance_after", sa.Integer),
    sa.Column("to_balance_after", sa.Integer),
)
accounts = sa.Table(
    "accounts",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String),
    sa.Column("user_id", sa.Integer),
    sa.Column("community_id", sa.Integer),
    sa.Column("balance_minutes", sa.Integer),
    sa.Column("holder_birth_date", sa.Date),
)
users = sa.Table(
    "users",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("community_id", sa.Integer),
    sa.Column("birth_date", sa.Date),
    sa.Column("role", sa.String),
    sa.Column("is_active_member", sa.Boolean),
)
service_records = sa.Table(
    "service_records",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("volunteer_id", sa.Integer),
    sa.Column("recipient_id", sa.Integer),
    sa.Column("category", sa.String),
    sa.Column("service_date", sa.Date),
    sa.Column("minutes", sa.Integer),
    sa.Column("status", sa.String),
)


def _postgres():
    return op.get_bind().dialect.name == "postgresql"


def _append_only_transfers(create):
    """Drop (or recreate) the triggers that refuse UPDATE and DELETE on transfers (as 0008)."""
    function = "transfers_append_only"
    if not create:
        for event in ("update", "delete"):
            on = " ON transfers" if _postgres() else ""
            op.execute(f"DROP TRIGGER IF EXISTS {function}_{event}{on}")
        if _postgres():
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
        return
    if _postgres():
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{TRANSFER_TRIGGER_MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
    for event in ("UPDATE", "DELETE"):
        if _postgres():
            op.execute(
                f"CREATE TRIGGER {function}_{event.lower()} BEFORE {event} ON transfers "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {function}_{event.lower()} BEFORE {event} ON transfers "
                f"BEGIN SELECT RAISE(ABORT, '{TRANSFER_TRIGGER_MESSAGE}'); END"
            )


def _fill_balances_after():
    """Each transfer's balances after it: one running sum per account, in id order, in SQL."""
    sides = sa.union_all(
        sa.select(
            transfers.c.id,
            transfers.c.from_account_id.label("account_id"),
            (-transfers.c.amount_minutes).label("delta"),
            sa.literal(1).label("outgoing"),
        ),
        sa.select(
            transfers.c.id,
            transfers.c.to_account_id.label("account_id"),
            transfers.c.amount_minutes.label("delta"),
            sa.literal(0).label("outgoing"),
        ),
    ).subquery("sides")
    running = sa.select(
        sides.c.id,
        sides.c.outgoing,
        sa.func.sum(sides.c.delta)
        .over(partition_by=sides.c.account_id, order_by=sides.c.id)
        .label("after"),
    ).subquery("running")
    after = (
        sa.select(
            running.c.id,
            sa.func.max(sa.case((running.c.outgoing == 1, running.c.after))).label("from_after"),
            sa.func.max(sa.case((running.c.outgoing == 0, running.c.after))).label("to_after"),
        )
        .group_by(running.c.id)
        .subquery("after")
    )
    op.get_bind().execute(
        transfers.update()
        .where(transfers.c.id == after.c.id)
        .values(from_balance_after=after.c.from_after, to_balance_after=after.c.to_after)
    )


def _birth_year(column):
    return sa.func.coalesce(sa.cast(sa.extract("year", column), sa.Integer), 0)


def _fill_member_summaries():
    bind = op.get_bind()
    bind.execute(
        accounts.update()
        .where(accounts.c.kind == "member")
        .values(
            holder_birth_date=sa.select(users.c.birth_date)
            .where(users.c.id == accounts.c.user_id)
            .scalar_subquery()
        )
    )
    counted = sa.and_(users.c.role == "member", users.c.is_active_member.is_(sa.true()))
    for table, key, holder_key, resident_key, known in (
        ("member_years", "birth_year", _birth_year(accounts.c.holder_birth_date),
         _birth_year(users.c.birth_date), sa.true()),
        ("member_days", "birth_date", accounts.c.holder_birth_date, users.c.birth_date, None),
    ):  # fmt: skip
        parts = sa.union_all(
            sa.select(
                accounts.c.community_id,
                holder_key.label("key"),
                accounts.c.balance_minutes.label("balance"),
                sa.literal(1).label("accounts"),
                sa.literal(0).label("residents"),
            ).where(
                accounts.c.kind == "member",
                sa.true() if known is not None else accounts.c.holder_birth_date.is_not(None),
            ),
            sa.select(
                users.c.community_id,
                resident_key.label("key"),
                sa.literal(0),
                sa.literal(0),
                sa.literal(1),
            ).where(counted, sa.true() if known is not None else users.c.birth_date.is_not(None)),
        ).subquery("parts")
        rows = bind.execute(
            sa.select(
                parts.c.community_id,
                parts.c.key,
                sa.func.sum(parts.c.balance),
                sa.func.sum(parts.c.accounts),
                sa.func.sum(parts.c.residents),
            ).group_by(parts.c.community_id, parts.c.key)
        ).all()
        if rows:
            target = sa.table(
                table,
                sa.column("community_id"),
                sa.column(key),
                sa.column("balance_minutes"),
                sa.column("accounts"),
                sa.column("residents"),
            )
            bind.execute(
                target.insert(),
                [
                    {
                        "community_id": community_id,
                        key: value,
                        "balance_minutes": int(balance),
                        "accounts": int(held),
                        "residents": int(residents),
                    }
                    for community_id, value, balance, held, residents in rows
                ],
            )


def _fill_visit_summaries():
    bind = op.get_bind()
    confirmed = (
        sa.select()
        .select_from(service_records.join(users, users.c.id == service_records.c.recipient_id))
        .where(service_records.c.status == "confirmed")
    )
    year = sa.extract("year", service_records.c.service_date)
    month = sa.extract("month", service_records.c.service_date)
    rows = bind.execute(
        confirmed.add_columns(
            users.c.community_id,
            year,
            month,
            service_records.c.category,
            sa.func.sum(service_records.c.minutes),
            sa.func.count(),
        ).group_by(users.c.community_id, year, month, service_records.c.category)
    ).all()
    if rows:
        bind.execute(
            sa.table(
                "visit_months",
                sa.column("community_id"),
                sa.column("month"),
                sa.column("category"),
                sa.column("minutes"),
                sa.column("visits"),
            ).insert(),
            [
                {
                    "community_id": cid,
                    "month": date(int(y), int(m), 1),
                    "category": category,
                    "minutes": int(minutes),
                    "visits": int(visits),
                }
                for cid, y, m, category, minutes, visits in rows
            ],
        )
    rows = bind.execute(
        confirmed.add_columns(
            users.c.community_id, year, month, service_records.c.recipient_id, sa.func.count()
        ).group_by(users.c.community_id, year, month, service_records.c.recipient_id)
    ).all()
    if rows:
        bind.execute(
            sa.table(
                "recipient_months",
                sa.column("community_id"),
                sa.column("month"),
                sa.column("recipient_id"),
                sa.column("visits"),
            ).insert(),
            [
                {
                    "community_id": cid,
                    "month": date(int(y), int(m), 1),
                    "recipient_id": recipient,
                    "visits": int(n),
                }
                for cid, y, m, recipient, n in rows
            ],
        )
    rows = bind.execute(
        confirmed.add_columns(
            users.c.community_id,
            service_records.c.volunteer_id,
            sa.func.max(service_records.c.service_date),
            sa.func.count(),
        ).group_by(users.c.community_id, service_records.c.volunteer_id)
    ).all()
    if rows:
        bind.execute(
            sa.table(
                "volunteer_activity",
                sa.column("community_id"),
                sa.column("volunteer_id"),
                sa.column("last_served"),
                sa.column("visits"),
            ).insert(),
            [
                {"community_id": c, "volunteer_id": v, "last_served": last, "visits": int(n)}
                for c, v, last, n in rows
            ],
        )


def _summary_table(name, key):
    op.create_table(
        name,
        sa.Column("community_id", sa.Integer(), nullable=False),
        key,
        sa.Column("balance_minutes", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f(f"fk_{name}_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("community_id", key.name, name=op.f(f"pk_{name}")),
    )


def upgrade():
    # plain ADD COLUMNs: rebuilding transfers (SQLite's batch mode) would drop its triggers;
    # the server default only carries the NOT NULL through the backfill below
    for side in ("from", "to"):
        op.add_column(
            "transfers",
            sa.Column(f"{side}_balance_after", sa.Integer(), nullable=False, server_default="0"),
        )
    op.add_column("accounts", sa.Column("holder_birth_date", sa.Date(), nullable=True))
    with op.batch_alter_table("service_records") as batch_op:
        batch_op.create_index("ix_service_records_service_date", ["service_date"], unique=False)
    _summary_table("member_years", sa.Column("birth_year", sa.Integer(), nullable=False))
    _summary_table("member_days", sa.Column("birth_date", sa.Date(), nullable=False))
    op.create_table(
        "visit_months",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_visit_months_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("community_id", "month", "category", name=op.f("pk_visit_months")),
    )
    op.create_table(
        "recipient_months",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_recipient_months_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_recipient_months_recipient_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "month", "recipient_id", name=op.f("pk_recipient_months")
        ),
    )
    op.create_table(
        "volunteer_activity",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("last_served", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_volunteer_activity_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["users.id"], name=op.f("fk_volunteer_activity_volunteer_id_users")
        ),
        sa.PrimaryKeyConstraint("community_id", "volunteer_id", name=op.f("pk_volunteer_activity")),
    )
    op.create_index(
        "ix_volunteer_activity_last", "volunteer_activity", ["community_id", "last_served"]
    )

    _append_only_transfers(create=False)
    _fill_balances_after()
    _append_only_transfers(create=True)
    if _postgres():  # SQLite cannot drop a default without rebuilding the table
        for side in ("from", "to"):
            op.alter_column("transfers", f"{side}_balance_after", server_default=None)
    _fill_member_summaries()
    _fill_visit_summaries()


def downgrade():
    op.drop_index("ix_volunteer_activity_last", table_name="volunteer_activity")
    for name in (
        "volunteer_activity",
        "recipient_months",
        "visit_months",
        "member_days",
        "member_years",
    ):
        op.drop_table(name)
    with op.batch_alter_table("service_records") as batch_op:
        batch_op.drop_index("ix_service_records_service_date")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("holder_birth_date")
    for side in ("from", "to"):
        op.drop_column("transfers", f"{side}_balance_after")
