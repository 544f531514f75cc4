"""Concerns raised about a provider (clause 12.10), their resolution and the visit planned
about them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('concerns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('safeguarding', 'attendance', 'quality_of_education', 'behaviour', 'premises', 'other', name='concern_category', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('pupils_involved', sa.String(length=200), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(resolved_at IS NULL AND resolved_on IS NULL AND resolved_by_id IS NULL AND resolution = '') OR (resolved_at IS NOT NULL AND resolved_on IS NOT NULL AND resolved_by_id IS NOT NULL AND resolution <> '')", name=op.f('ck_concerns_resolved_in_full')),
    sa.CheckConstraint('resolved_on IS NULL OR resolved_on >= happened_on', name=op.f('ck_concerns_resolved_after_it_happened')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_concerns_partnership_id_partnerships')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_concerns_provider_id_providers')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_concerns_raised_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_concerns_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_concerns_school_id_schools')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_concerns_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concerns'))
    )
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.create_index('ix_concerns_partnership_resolved_at', ['partnership_id', 'resolved_at'], unique=False)
        batch_op.create_index('ix_concerns_provider_resolved_at', ['provider_id', 'resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_concerns_raised_by_id'), ['raised_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concerns_visit_id'), ['visit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concerns_visit_id'))
        batch_op.drop_index(batch_op.f('ix_concerns_raised_by_id'))
        batch_op.drop_index('ix_concerns_provider_resolved_at')
        batch_op.drop_index('ix_concerns_partnership_resolved_at')

    op.drop_table('concerns')
