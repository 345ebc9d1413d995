"""Scheduled visits, elders' confirmation cards and their attempts, and how a visit was confirmed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Adds the visits table (a visit planned ahead, checked in and out, linked to
the ServiceRecord its check-out logs), confirmation_cards (at most one active
card per elder: a partial unique index on elder_id where revoked_at IS NULL),
card_attempts (counted to limit guessing), and
service_records.confirmation_method (online / family / coordinator / card /
callback).
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=False),
        sa.Column("scheduled_time", sa.Time(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("service_record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'in_progress', 'done', 'skipped', 'cancelled')",
            name=op.f("ck_visits_status"),
        ),
        sa.CheckConstraint("volunteer_id <> recipient_id", name=op.f("ck_visits_not_self")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["users.id"], name=op.f("fk_visits_volunteer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_visits_recipient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name=op.f("fk_visits_entered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_id"], ["users.id"], name=op.f("fk_visits_on_behalf_of_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["service_record_id"],
            ["service_records.id"],
            name=op.f("fk_visits_service_record_id_service_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("service_record_id", name=op.f("uq_visits_service_record_id")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_volunteer_date", ["volunteer_id", "scheduled_date"], unique=False
        )
        batch_op.create_index(
            "ix_visits_recipient_date", ["recipient_id", "scheduled_date"], unique=False
        )

    op.create_table(
        "confirmation_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("elder_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["users.id"], name=op.f("fk_confirmation_cards_elder_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_confirmation_cards_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_confirmation_cards_revoked_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_cards")),
    )
    with op.batch_alter_table("confirmation_cards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_confirmation_cards_elder_id"), ["elder_id"], unique=False
        )
    op.create_index(
        "uq_confirmation_cards_active_elder",
        "confirmation_cards",
        ["elder_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )

    op.create_table(
        "card_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("elder_id", sa.Integer(), nullable=False),
        sa.Column("attempted_by_id", sa.Integer(), nullable=False),
        sa.Column("service_record_id", sa.Integer(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["users.id"], name=op.f("fk_card_attempts_elder_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["attempted_by_id"], ["users.id"], name=op.f("fk_card_attempts_attempted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["service_record_id"],
            ["service_records.id"],
            name=op.f("fk_card_attempts_service_record_id_service_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_attempts")),
    )
    with op.batch_alter_table("card_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_card_attempts_elder_time", ["elder_id", "created_at"], unique=False
        )

    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmation_method", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_column("confirmation_method")
    with op.batch_alter_table("card_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_card_attempts_elder_time")
    op.drop_table("card_attempts")
    op.drop_index("uq_confirmation_cards_active_elder", table_name="confirmation_cards")
    with op.batch_alter_table("confirmation_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confirmation_cards_elder_id"))
    op.drop_table("confirmation_cards")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_recipient_date")
        batch_op.drop_index("ix_visits_volunteer_date")
    op.drop_table("visits")
