"""Visits of providers and the people invited to them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:45:43.747560

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('visit_type', sa.Enum('annual', 'monitoring', 'follow_up', 'unannounced', name='visit_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('scheduled', 'in_progress', 'signed_off', 'published', 'cancelled', name='visit_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visits_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_visits_framework_id_frameworks')),
    sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_visits_lead_id_users')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_visits_partnership_id_partnerships')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_visits_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_visits_provider_date', ['provider_id', 'visit_date'], unique=False)

    op.create_table('visit_invitees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_visit_invitees_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_visit_invitees_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_invitees_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_invitees')),
    sa.UniqueConstraint('visit_id', 'user_id', name='uq_visit_invitees_user')
    )
    with op.batch_alter_table('visit_invitees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_invitees_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_invitees_visit_id'), ['visit_id'], unique=False)




def downgrade():

    with op.batch_alter_table('visit_invitees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_invitees_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_invitees_user_id'))

    op.drop_table('visit_invitees')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_provider_date')
        batch_op.drop_index(batch_op.f('ix_visits_partnership_id'))

    op.drop_table('visits')

