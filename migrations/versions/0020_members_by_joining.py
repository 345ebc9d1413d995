"""An index of each community's members by when they joined, for the desk.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

- users: (community_id, created_at), so the coordinator's desk reads a community's
  newest members without scanning every member of it (a cost that grew with the
  community).
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


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("ix_users_community_created")
