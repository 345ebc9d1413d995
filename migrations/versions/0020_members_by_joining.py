"""Indexes for the desk: a community's members by when they joined, visits by status and day.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

- users: (community_id, created_at), so the coordinator's desk reads a community's
  newest members without scanning every member of it (a cost that grew with the
  community).
- service_records: (status, service_date, id), so the visits waiting for an answer are
  read oldest first and the read stops after a page. Without it PostgreSQL walked the
  whole history by date on a street of a million transfers (60 ms for the desk's list).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_index("ix_users_community_created", ["community_id", "created_at"])
    with op.batch_alter_table("service_records") as batch_op:
        batch_op.create_index(
            "ix_service_records_status_date", ["status", "service_date", "id"]
        )


def downgrade():
    with op.batch_alter_table("service_records") as batch_op:
        batch_op.drop_index("ix_service_records_status_date")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("ix_users_community_created")
