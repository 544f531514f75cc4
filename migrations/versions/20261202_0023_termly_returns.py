"""Termly returns (Schedule 2): one per placement and term, the progress against each
target, every version kept, and the reminders of missing returns sent to providers.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('return_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('term_year', sa.Integer(), nullable=False),
    sa.Column('term_season', sa.Enum('autumn', 'spring', 'summer', name='term_season', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_return_reminders_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_reminders')),
    sa.UniqueConstraint('provider_id', 'term_year', 'term_season', name='uq_return_reminder')
    )
    op.create_table('termly_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('term_year', sa.Integer(), nullable=False),
    sa.Column('term_season', sa.Enum('autumn', 'spring', 'summer', name='term_season', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'changes_requested', 'accepted', name='return_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('sessions_possible', sa.Integer(), nullable=True),
    sa.Column('sessions_attended', sa.Integer(), nullable=True),
    sa.Column('sessions_authorised', sa.Integer(), nullable=True),
    sa.Column('sessions_unauthorised', sa.Integer(), nullable=True),
    sa.Column('behaviour', sa.Enum('excellent', 'good', 'some_concerns', 'serious_concerns', name='behaviour', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('behaviour_comment', sa.Text(), nullable=False),
    sa.Column('qualification', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=50), nullable=False),
    sa.Column('accreditation_status', sa.Enum('not_started', 'working_towards', 'achieved', name='accreditation_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('wellbeing', sa.Text(), nullable=False),
    sa.Column('pupil_voice', sa.Text(), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name=op.f('ck_termly_returns_sent_has_submitted_at')),
    sa.CheckConstraint('sessions_attended IS NULL OR sessions_attended >= 0', name=op.f('ck_termly_returns_attended_not_negative')),
    sa.CheckConstraint('sessions_authorised IS NULL OR sessions_authorised >= 0', name=op.f('ck_termly_returns_authorised_not_negative')),
    sa.CheckConstraint('sessions_possible IS NULL OR COALESCE(sessions_attended, 0) + COALESCE(sessions_authorised, 0) + COALESCE(sessions_unauthorised, 0) <= sessions_possible', name=op.f('ck_termly_returns_sessions_within_possible')),
    sa.CheckConstraint('sessions_possible IS NULL OR sessions_possible BETWEEN 0 AND 1000', name=op.f('ck_termly_returns_sessions_possible_range')),
    sa.CheckConstraint('sessions_unauthorised IS NULL OR sessions_unauthorised >= 0', name=op.f('ck_termly_returns_unauthorised_not_negative')),
    sa.ForeignKeyConstraint(['placement_id'], ['placements.id'], name=op.f('fk_termly_returns_placement_id_placements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_termly_returns_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_termly_returns_submitted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_termly_returns')),
    sa.UniqueConstraint('placement_id', 'term_year', 'term_season', name='uq_termly_returns_term')
    )
    with op.batch_alter_table('termly_returns', schema=None) as batch_op:
        batch_op.create_index('ix_termly_returns_term_status', ['term_year', 'term_season', 'status'], unique=False)

    op.create_table('termly_return_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Enum('on_track', 'some', 'none', name='progress', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['termly_returns.id'], name=op.f('fk_termly_return_progress_return_id_termly_returns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['placement_targets.id'], name=op.f('fk_termly_return_progress_target_id_placement_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_termly_return_progress')),
    sa.UniqueConstraint('return_id', 'target_id', name='uq_return_progress')
    )
    with op.batch_alter_table('termly_return_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_termly_return_progress_target_id'), ['target_id'], unique=False)

    op.create_table('termly_return_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'changes_requested', 'accepted', name='return_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_termly_return_versions_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['return_id'], ['termly_returns.id'], name=op.f('fk_termly_return_versions_return_id_termly_returns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_termly_return_versions')),
    sa.UniqueConstraint('return_id', 'number', name='uq_return_version_number')
    )


def downgrade():
    op.drop_table('termly_return_versions')
    with op.batch_alter_table('termly_return_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_termly_return_progress_target_id'))

    op.drop_table('termly_return_progress')
    with op.batch_alter_table('termly_returns', schema=None) as batch_op:
        batch_op.drop_index('ix_termly_returns_term_status')

    op.drop_table('termly_returns')
    op.drop_table('return_reminders')
