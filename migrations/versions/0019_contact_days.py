"""Contact days (社情民意联系日): scheduled meetings, who attends, residents' topics.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07

- civic_contact_days: a community's contact day: date, time, place, other attendees
  (free text), status (scheduled, held, cancelled), the summary and a cancel reason.
- civic_contact_day_organisations: the organisations asked to attend.
- civic_contact_day_topics: one sign-up per resident per day: the topic, who signed
  them up, and what the meeting did (answered on the spot, or handed to an
  organisation or the community office with a deadline, as a tracked problem).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('civic_contact_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('guests', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("place <> ''", name=op.f('ck_civic_contact_days_place_given')),
    sa.CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name=op.f('ck_civic_contact_days_status_known')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_civic_contact_days_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_civic_contact_days_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_civic_contact_days'))
    )
    with op.batch_alter_table('civic_contact_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_civic_contact_days_community_id'), ['community_id'], unique=False)

    op.create_table('civic_contact_day_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_day_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_day_id'], ['civic_contact_days.id'], name=op.f('fk_civic_contact_day_organisations_contact_day_id_civic_contact_days')),
    sa.ForeignKeyConstraint(['organisation_id'], ['civic_organisations.id'], name=op.f('fk_civic_contact_day_organisations_organisation_id_civic_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_civic_contact_day_organisations')),
    sa.UniqueConstraint('contact_day_id', 'organisation_id', name=op.f('uq_civic_contact_day_organisations_contact_day_id'))
    )
    with op.batch_alter_table('civic_contact_day_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_civic_contact_day_organisations_contact_day_id'), ['contact_day_id'], unique=False)

    op.create_table('civic_contact_day_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_day_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('signed_up_by_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=500), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('responsible_organisation_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('waiting', 'answered', 'followed')", name=op.f('ck_civic_contact_day_topics_outcome_known')),
    sa.CheckConstraint("topic <> ''", name=op.f('ck_civic_contact_day_topics_topic_given')),
    sa.ForeignKeyConstraint(['contact_day_id'], ['civic_contact_days.id'], name=op.f('fk_civic_contact_day_topics_contact_day_id_civic_contact_days')),
    sa.ForeignKeyConstraint(['problem_id'], ['civic_problems.id'], name=op.f('fk_civic_contact_day_topics_problem_id_civic_problems')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_civic_contact_day_topics_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_civic_contact_day_topics_resident_id_users')),
    sa.ForeignKeyConstraint(['responsible_organisation_id'], ['civic_organisations.id'], name=op.f('fk_civic_contact_day_topics_responsible_organisation_id_civic_organisations')),
    sa.ForeignKeyConstraint(['signed_up_by_id'], ['users.id'], name=op.f('fk_civic_contact_day_topics_signed_up_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_civic_contact_day_topics')),
    sa.UniqueConstraint('contact_day_id', 'resident_id', name=op.f('uq_civic_contact_day_topics_contact_day_id'))
    )
    with op.batch_alter_table('civic_contact_day_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_civic_contact_day_topics_contact_day_id'), ['contact_day_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_civic_contact_day_topics_resident_id'), ['resident_id'], unique=False)



def downgrade():
    with op.batch_alter_table('civic_contact_day_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_civic_contact_day_topics_resident_id'))
        batch_op.drop_index(batch_op.f('ix_civic_contact_day_topics_contact_day_id'))

    op.drop_table('civic_contact_day_topics')
    with op.batch_alter_table('civic_contact_day_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_civic_contact_day_organisations_contact_day_id'))

    op.drop_table('civic_contact_day_organisations')
    with op.batch_alter_table('civic_contact_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_civic_contact_days_community_id'))

    op.drop_table('civic_contact_days')
