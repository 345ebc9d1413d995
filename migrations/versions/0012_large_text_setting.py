"""Large text (长辈版) as a member's setting, kept across sign-ins and devices.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

- users.large_text: the member reads every page in large text. Until now the
  choice lived in the browser's session and was lost at the next sign-in; a
  coordinator can now also set it for an elder. Everyone starts with it off.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("large_text", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("large_text")
