"""Confirmation cards of numbered one-time codes (口令卡).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

- card_codes: a card's numbered boxes, each a 6-digit code stored as a keyed
  hash; the box a visit's confirmation asks for (asked_for_record_id, fixed
  for that visit), and when it was spent (used_at). A code confirms once.
- confirmation_cards.code_hash goes: a card no longer has one code.
- Every card in use is revoked: its one code never changed, so a photograph
  of it could confirm any later visit. Coordinators print the new cards.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTIVE_CARD_INDEX = "uq_confirmation_cards_active_elder"


def _active_card_index(create: bool) -> None:
    """The partial unique index (one card in use per elder), dropped around the rebuild:
    SQLite's batch mode would not carry its WHERE clause over."""
    if not create:
        op.drop_index(ACTIVE_CARD_INDEX, table_name="confirmation_cards")
        return
    op.create_index(
        ACTIVE_CARD_INDEX,
        "confirmation_cards",
        ["elder_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def upgrade():
    cards = sa.table(
        "confirmation_cards",
        sa.column("revoked_at", sa.DateTime()),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(cards.update().where(cards.c.revoked_at.is_(None)).values(revoked_at=now))

    _active_card_index(create=False)
    with op.batch_alter_table("confirmation_cards") as batch_op:
        batch_op.drop_column("code_hash")
    _active_card_index(create=True)

    op.create_table(
        "card_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("asked_for_record_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("position >= 1", name=op.f("ck_card_codes_position_positive")),
        sa.CheckConstraint(
            "used_at IS NULL OR asked_for_record_id IS NOT NULL",
            name=op.f("ck_card_codes_used_for"),
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["confirmation_cards.id"],
            name=op.f("fk_card_codes_card_id_confirmation_cards"),
        ),
        sa.ForeignKeyConstraint(
            ["asked_for_record_id"],
            ["service_records.id"],
            name=op.f("fk_card_codes_asked_for_record_id_service_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_codes")),
        sa.UniqueConstraint("card_id", "position", name="uq_card_codes_card_position"),
        sa.UniqueConstraint("card_id", "asked_for_record_id", name="uq_card_codes_card_record"),
    )
    with op.batch_alter_table("card_codes") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_codes_asked_for_record_id"), ["asked_for_record_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("card_codes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_codes_asked_for_record_id"))
    op.drop_table("card_codes")
    # Cards of numbered codes cannot become cards of one code: they stay, revoked.
    cards = sa.table(
        "confirmation_cards",
        sa.column("revoked_at", sa.DateTime()),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(cards.update().where(cards.c.revoked_at.is_(None)).values(revoked_at=now))
    _active_card_index(create=False)
    with op.batch_alter_table("confirmation_cards") as batch_op:
        batch_op.add_column(
            sa.Column("code_hash", sa.String(length=255), nullable=False, server_default="")
        )
    _active_card_index(create=True)
