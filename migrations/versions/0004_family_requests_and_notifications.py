"""Family link requests (who declined or ended a link), members' email, the inbox and the email outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # A unique index, not a constraint: SQLite would rebuild the users table (which every
    # other table references) to add a constraint, but adds a column and an index in place.
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.create_index("uq_users_email", "users", ["email"], unique=True)

    # Nothing references family_links, so SQLite may rebuild it to add the foreign key.
    with op.batch_alter_table("family_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_family_links_ended_by_id_users", "users", ["ended_by_id"], ["id"]
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_notifications_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_notifications_user_unread", ["user_id", "read_at"], unique=False)

    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent')", name="ck_outbox_emails_status"
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_outbox_emails_attempts_not_negative"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_outbox_emails_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_emails"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_emails_dedupe_key"),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_emails_status", ["status"], unique=False)
        batch_op.create_index("ix_outbox_emails_user_id", ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_emails_user_id")
        batch_op.drop_index("ix_outbox_emails_status")
    op.drop_table("outbox_emails")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")
        batch_op.drop_index("ix_notifications_created_at")
    op.drop_table("notifications")
    with op.batch_alter_table("family_links", schema=None) as batch_op:
        batch_op.drop_constraint("fk_family_links_ended_by_id_users", type_="foreignkey")
        batch_op.drop_column("ended_by_id")
    op.drop_index("uq_users_email", table_name="users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email")
