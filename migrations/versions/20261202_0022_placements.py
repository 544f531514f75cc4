"""Placements: a pupil with a provider (clause 12.3), the written agreement, the learning
plan's targets and outcomes (clause 12.4), planned review dates, reviews held and the
progress recorded against each target.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('placements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('planned_end_date', sa.Date(), nullable=True),
    sa.Column('finish_date', sa.Date(), nullable=True),
    sa.Column('days_per_week', sa.Integer(), nullable=False),
    sa.Column('sessions_per_week', sa.Integer(), nullable=False),
    sa.Column('hours_per_week', sa.Numeric(precision=3, scale=1), nullable=False),
    sa.Column('cost', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('transport', sa.Enum('own_way', 'provider', 'taxi', 'public', 'family', name='transport', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('intervention', sa.Text(), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('reintegration_plan', sa.Text(), nullable=False),
    sa.Column('off_site_direction', sa.Boolean(), nullable=False),
    sa.Column('off_site_max_weeks', sa.Integer(), nullable=True),
    sa.Column('shared_needs', sa.Boolean(), nullable=False),
    sa.Column('shared_needs_note', sa.Text(), nullable=False),
    sa.Column('shared_ehcp', sa.Boolean(), nullable=False),
    sa.Column('shared_ehcp_note', sa.Text(), nullable=False),
    sa.Column('shared_health', sa.Boolean(), nullable=False),
    sa.Column('shared_health_note', sa.Text(), nullable=False),
    sa.Column('reporting', sa.Text(), nullable=False),
    sa.Column('provider_reason', sa.Text(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('destination', sa.Enum('returned', 'another_placement', 'further_education', 'moved_away', 'other', name='destination', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('destination_note', sa.Text(), nullable=False),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT off_site_direction OR off_site_max_weeks IS NOT NULL', name=op.f('ck_placements_off_site_length')),
    sa.CheckConstraint('cost IS NULL OR cost >= 0', name=op.f('ck_placements_cost_not_negative')),
    sa.CheckConstraint('days_per_week BETWEEN 1 AND 5', name=op.f('ck_placements_days_per_week')),
    sa.CheckConstraint('finish_date IS NULL OR destination IS NOT NULL', name=op.f('ck_placements_ended_with_destination')),
    sa.CheckConstraint('finish_date IS NULL OR finish_date >= start_date', name=op.f('ck_placements_finish_after')),
    sa.CheckConstraint('hours_per_week > 0', name=op.f('ck_placements_hours_positive')),
    sa.CheckConstraint('planned_end_date IS NULL OR planned_end_date >= start_date', name=op.f('ck_placements_planned_end_after')),
    sa.CheckConstraint('sessions_per_week BETWEEN 1 AND 10', name=op.f('ck_placements_sessions_per_week')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_placements_contract_id_contracts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_placements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_placements_ended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_placements_provider_id_providers')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_placements_pupil_id_pupils')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placements'))
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index('ix_placements_contract_id', ['contract_id'], unique=False)
        batch_op.create_index('ix_placements_next_review', ['next_review_on'], unique=False)
        batch_op.create_index('ix_placements_provider_dates', ['provider_id', 'start_date'], unique=False)
        batch_op.create_index('ix_placements_pupil_provider', ['pupil_id', 'provider_id'], unique=False)
        batch_op.create_index('ix_placements_start_date', ['start_date'], unique=False)

    op.create_table('placement_review_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['placement_id'], ['placements.id'], name=op.f('fk_placement_review_dates_placement_id_placements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_review_dates')),
    sa.UniqueConstraint('placement_id', 'due_on', name='uq_placement_review_date')
    )
    op.create_table('placement_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attended', sa.Text(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['placement_id'], ['placements.id'], name=op.f('fk_placement_reviews_placement_id_placements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_placement_reviews_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_reviews'))
    )
    with op.batch_alter_table('placement_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_placement_reviews_placement', ['placement_id', 'held_on'], unique=False)

    op.create_table('placement_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('area', sa.Enum('attendance', 'personal', 'english', 'maths', 'accreditation', name='target_area', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('baseline', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['placement_id'], ['placements.id'], name=op.f('fk_placement_targets_placement_id_placements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_targets'))
    )
    with op.batch_alter_table('placement_targets', schema=None) as batch_op:
        batch_op.create_index('ix_placement_targets_placement', ['placement_id', 'position'], unique=False)

    op.create_table('placement_target_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Enum('on_track', 'some', 'none', name='progress', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['placement_reviews.id'], name=op.f('fk_placement_target_progress_review_id_placement_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['placement_targets.id'], name=op.f('fk_placement_target_progress_target_id_placement_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_target_progress')),
    sa.UniqueConstraint('review_id', 'target_id', name='uq_target_progress')
    )


def downgrade():
    op.drop_table('placement_target_progress')
    with op.batch_alter_table('placement_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_placement_targets_placement')

    op.drop_table('placement_targets')
    with op.batch_alter_table('placement_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_placement_reviews_placement')

    op.drop_table('placement_reviews')
    op.drop_table('placement_review_dates')
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index('ix_placements_start_date')
        batch_op.drop_index('ix_placements_pupil_provider')
        batch_op.drop_index('ix_placements_provider_dates')
        batch_op.drop_index('ix_placements_next_review')
        batch_op.drop_index('ix_placements_contract_id')

    op.drop_table('placements')
