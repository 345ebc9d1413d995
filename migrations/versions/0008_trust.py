"""Trust: session versions, forced password changes, the audit log, hash chains.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

- users.session_version (part of every session and remember cookie; raising it
  ends them all) and users.must_change_password (after a coordinator's reset).
- audit_entries: one row per staff action (who, for whom, what before and
  after, when, from where), append-only by trigger as transfers are, each row
  hashing its content and the row before it; audit_chain_head holds the last
  digest (one row, locked while an entry is appended).
- transfers.row_hash and accounts.chain_hash: each account is a hash chain of
  the transfers that touch it. Existing transfers are chained here, in id
  order, with the same digest timebank.chain computes (a frozen copy below:
  this migration must keep computing what it computed when it was written).
"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AUDIT_APPEND_ONLY = "the audit log is append-only"
TRANSFER_TRIGGER_MESSAGE = "transfers are append-only: post a reversal instead"
CHAINED_COLUMNS = (
    "from_account_id",
    "to_account_id",
    "amount_minutes",
    "kind",
    "memo",
    "entered_by_id",
    "on_behalf_of_id",
    "idempotency_key",
    "reverses_id",
    "created_at",
)


def _digest(from_head, to_head, values):
    """timebank.chain.digest_of as it was written (a frozen copy)."""
    source, target, minutes, kind, memo, entered, behalf, key, reverses, created = values
    none = lambda value: "" if value is None else value  # noqa: E731
    material = (
        f"{from_head}|{to_head}#{source},{target},{minutes},{kind},"
        f"{none(entered)},{none(behalf)},{none(reverses)},"
        f"{created:%Y-%m-%d %H:%M:%S.%f},{len(key)}:{key},{memo}"
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def _postgres():
    return op.get_bind().dialect.name == "postgresql"


def _append_only(table, message, create=True):
    """Create (or drop) the triggers that refuse UPDATE and DELETE on ``table``."""
    function = f"{table}_append_only"
    if not create:
        for event in ("update", "delete"):
            on = f" ON {table}" if _postgres() else ""
            op.execute(f"DROP TRIGGER IF EXISTS {function}_{event}{on}")
        if _postgres():
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
        return
    if _postgres():
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql"
        )
    for event in ("UPDATE", "DELETE"):
        if _postgres():
            op.execute(
                f"CREATE TRIGGER {function}_{event.lower()} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {function}_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def _chain_existing_transfers():
    """Give every existing transfer its digest and every account its chain head."""
    bind = op.get_bind()
    meta = sa.MetaData()
    transfers = sa.Table(
        "transfers",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        *(
            sa.Column(name, sa.DateTime if name == "created_at" else sa.String)
            for name in CHAINED_COLUMNS
        ),
        sa.Column("row_hash", sa.String),
    )
    accounts = sa.Table(
        "accounts",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chain_hash", sa.String),
    )
    rows = bind.execute(
        sa.select(transfers.c.id, *(transfers.c[name] for name in CHAINED_COLUMNS)).order_by(
            transfers.c.id
        )
    ).all()
    if not rows:
        return
    heads = {}
    digests = []
    for transfer_id, *values in rows:
        source, target = int(values[0]), int(values[1])
        digest = _digest(heads.get(source, ""), heads.get(target, ""), values)
        heads[source] = heads[target] = digest
        digests.append({"transfer": transfer_id, "digest": digest})
    _append_only("transfers", TRANSFER_TRIGGER_MESSAGE, create=False)
    bind.execute(
        transfers.update()
        .where(transfers.c.id == sa.bindparam("transfer"))
        .values(row_hash=sa.bindparam("digest")),
        digests,
    )
    _append_only("transfers", TRANSFER_TRIGGER_MESSAGE)
    bind.execute(
        accounts.update()
        .where(accounts.c.id == sa.bindparam("account"))
        .values(chain_hash=sa.bindparam("head")),
        [{"account": account, "head": head} for account, head in heads.items()],
    )


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(
            sa.Column("chain_hash", sa.String(length=64), nullable=False, server_default="")
        )
    # a plain ADD COLUMN: rebuilding the table (SQLite's batch mode) would drop its triggers
    op.add_column(
        "transfers",
        sa.Column("row_hash", sa.String(length=64), nullable=False, server_default=""),
    )
    _chain_existing_transfers()

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["users.id"], name=op.f("fk_audit_entries_subject_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_audit_entries_street_id_streets")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_audit_entries_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.create_index("ix_audit_entries_street", ["street_id", "id"], unique=False)
        batch_op.create_index("ix_audit_entries_actor", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_audit_entries_subject", ["subject_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entries_created_at"), ["created_at"], unique=False
        )
    _append_only("audit_entries", AUDIT_APPEND_ONLY)

    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_entry_id": None, "last_hash": ""}])


def downgrade():
    op.drop_table("audit_chain_head")
    _append_only("audit_entries", AUDIT_APPEND_ONLY, create=False)
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_action"))
        batch_op.drop_index("ix_audit_entries_subject")
        batch_op.drop_index("ix_audit_entries_actor")
        batch_op.drop_index("ix_audit_entries_street")
    op.drop_table("audit_entries")
    # transfers keep their triggers: SQLite drops a column in place (3.35+), no rebuild
    op.drop_column("transfers", "row_hash")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("chain_hash")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("session_version")
