"""Group sessions: one community activity logged once, crediting every participant.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Adds group_sessions (the community, title, kind of service, the day it was
held, the minutes each participant gets by default, who entered it and the
form's idempotency key) and group_participants (each volunteer's minutes and
the one transfer from the community's guarantee account that credited them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "group_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_group_sessions_minutes_positive")),
        _fk("group_sessions", "community_id", "communities"),
        _fk("group_sessions", "entered_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sessions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_group_sessions_idempotency_key")),
    )
    with op.batch_alter_table("group_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_sessions_community_held_on", ["community_id", "held_on"], unique=False
        )

    op.create_table(
        "group_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_group_participants_minutes_positive")),
        _fk("group_participants", "session_id", "group_sessions"),
        _fk("group_participants", "volunteer_id", "users"),
        _fk("group_participants", "transfer_id", "transfers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_participants")),
        sa.UniqueConstraint(
            "session_id", "volunteer_id", name="uq_group_participants_session_volunteer"
        ),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_group_participants_transfer_id")),
    )
    with op.batch_alter_table("group_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_participants_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_group_participants_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("group_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_participants_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_group_participants_session_id"))
    op.drop_table("group_participants")
    with op.batch_alter_table("group_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_group_sessions_community_held_on")
    op.drop_table("group_sessions")
