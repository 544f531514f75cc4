"""Contracts: the written contract behind every arrangement with a provider (clause 12.5),
commissioned by a member school or the partnership itself, with its signed document.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('reference_key', sa.String(length=100), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('rate_amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('rate_unit', sa.Enum('day', 'session', 'hour', name='rate_unit', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('document_key', sa.String(length=300), nullable=True),
    sa.Column('document_name', sa.String(length=255), nullable=True),
    sa.Column('document_type', sa.String(length=100), nullable=True),
    sa.Column('document_size', sa.Integer(), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('document_uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('document_uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_date > start_date', name=op.f('ck_contracts_end_after_start')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_contracts_value_not_negative')),
    sa.CheckConstraint('rate_amount >= 0', name=op.f('ck_contracts_rate_not_negative')),
    sa.CheckConstraint('document_key IS NULL OR (document_size > 0 AND document_name IS NOT NULL AND document_type IS NOT NULL AND document_sha256 IS NOT NULL)', name=op.f('ck_contracts_document_complete')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_contracts_partnership_id_partnerships')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_contracts_school_id_schools')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_contracts_provider_id_providers')),
    sa.ForeignKeyConstraint(['document_uploaded_by_id'], ['users.id'], name=op.f('fk_contracts_document_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contracts_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('partnership_id', 'reference_key', name='uq_contracts_reference_key'),
    sa.UniqueConstraint('document_key', name='uq_contracts_document_key'),
    )
    op.create_index('ix_contracts_provider_id', 'contracts', ['provider_id'])
    op.create_index('ix_contracts_school_id', 'contracts', ['school_id'])
    op.create_index('ix_contracts_end_date', 'contracts', ['end_date'])


def downgrade():
    op.drop_index('ix_contracts_end_date', table_name='contracts')
    op.drop_index('ix_contracts_school_id', table_name='contracts')
    op.drop_index('ix_contracts_provider_id', table_name='contracts')
    op.drop_table('contracts')
