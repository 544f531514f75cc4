"""Heads' observations, pupils seen, amendments after sign-off, checks of last visit's actions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:53:49.411905

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_pupils',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_visit_pupils_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_visit_pupils_school_id_schools')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_pupils_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_pupils'))
    )
    with op.batch_alter_table('visit_pupils', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_pupils_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_pupils_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('old_rating', sa.Enum('green', 'amber', 'red', 'met', 'not_met', 'not_applicable', 'not_seen', name='amended_from', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('new_rating', sa.Enum('green', 'amber', 'red', 'met', 'not_met', 'not_applicable', 'not_seen', name='amended_to', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('old_note', sa.Text(), nullable=False),
    sa.Column('new_note', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_visit_amendments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_visit_amendments_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_amendments_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_amendments'))
    )
    with op.batch_alter_table('visit_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_amendments_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_visit_observations_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_visit_observations_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_observations_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_observations')),
    sa.UniqueConstraint('visit_id', 'criterion_id', 'author_id', name='uq_visit_observations')
    )
    with op.batch_alter_table('visit_observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_observations_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('answer_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('observation', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('visit_action_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', name='check_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['visit_actions.id'], name=op.f('fk_visit_action_checks_action_id_visit_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_visit_action_checks_checked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_action_checks_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_action_checks')),
    sa.UniqueConstraint('visit_id', 'action_id', name='uq_visit_action_checks')
    )
    with op.batch_alter_table('visit_action_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_action_checks_visit_id'), ['visit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit_action_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_action_checks_visit_id'))

    op.drop_table('visit_action_checks')
    with op.batch_alter_table('answer_revisions', schema=None) as batch_op:
        batch_op.drop_column('observation')

    with op.batch_alter_table('visit_observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_observations_visit_id'))

    op.drop_table('visit_observations')
    with op.batch_alter_table('visit_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_amendments_visit_id'))

    op.drop_table('visit_amendments')
    with op.batch_alter_table('visit_pupils', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_pupils_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_pupils_school_id'))

    op.drop_table('visit_pupils')
