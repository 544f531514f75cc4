"""Provider register and compliance: provider details and status history, vocational areas,
partnership usage, kinds of compliance evidence, compliance items and reminders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:23:36.170359

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('compliance_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('expires', sa.Boolean(), nullable=False),
    sa.Column('needs_cover_amount', sa.Boolean(), nullable=False),
    sa.Column('min_cover_amount', sa.Integer(), nullable=True),
    sa.Column('requirement', sa.Enum('every_provider', 'if_transporting', 'if_ofsted_registered', 'optional', name='requirement', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('min_cover_amount IS NULL OR min_cover_amount > 0', name=op.f('ck_compliance_kinds_min_cover')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_kinds')),
    sa.UniqueConstraint('code', name=op.f('uq_compliance_kinds_code')),
    sa.UniqueConstraint('name', name=op.f('uq_compliance_kinds_name'))
    )
    op.create_table('vocational_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocational_areas')),
    sa.UniqueConstraint('name', name=op.f('uq_vocational_areas_name'))
    )
    op.create_table('provider_partnerships',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_provider_partnerships_partnership_id_partnerships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_partnerships_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'partnership_id', name=op.f('pk_provider_partnerships'))
    )
    op.create_table('provider_vocational_areas',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['vocational_areas.id'], name=op.f('fk_provider_vocational_areas_area_id_vocational_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_vocational_areas_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'area_id', name=op.f('pk_provider_vocational_areas'))
    )
    op.create_table('compliance_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('cover_amount', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('document_key', sa.String(length=300), nullable=False),
    sa.Column('document_name', sa.String(length=255), nullable=False),
    sa.Column('document_type', sa.String(length=100), nullable=False),
    sa.Column('document_size', sa.Integer(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('awaiting_verification', 'verified', 'rejected', 'superseded', name='item_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verification_note', sa.Text(), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cover_amount IS NULL OR cover_amount > 0', name=op.f('ck_compliance_items_cover_positive')),
    sa.CheckConstraint('document_size > 0', name=op.f('ck_compliance_items_document_not_empty')),
    sa.CheckConstraint('expiry_date IS NULL OR issue_date IS NULL OR expiry_date >= issue_date', name=op.f('ck_compliance_items_expiry_after_issue')),
    sa.ForeignKeyConstraint(['kind_id'], ['compliance_kinds.id'], name=op.f('fk_compliance_items_kind_id_compliance_kinds')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_compliance_items_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_compliance_items_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_compliance_items_verified_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_items')),
    sa.UniqueConstraint('document_key', name='uq_compliance_items_document_key')
    )
    with op.batch_alter_table('compliance_items', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_items_provider_kind', ['provider_id', 'kind_id'], unique=False)
        batch_op.create_index('ix_compliance_items_status_expiry', ['status', 'expiry_date'], unique=False)

    op.create_table('provider_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('approved', 'approved_with_conditions', 'suspended', 'closed', name='provider_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_provider_status_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_status_changes_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_status_changes'))
    )
    with op.batch_alter_table('provider_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_status_changes_provider_id'), ['provider_id'], unique=False)

    op.create_table('compliance_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['compliance_items.id'], name=op.f('fk_compliance_reminders_item_id_compliance_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_reminders')),
    sa.UniqueConstraint('item_id', 'stage', name='uq_compliance_reminders_stage')
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('postcode', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('website', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('age_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('age_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transports_pupils', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('ofsted_registered', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('ofsted_urn', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('ofsted_registration_type', sa.Enum('independent_school', 'independent_special_school', 'non_maintained_special_school', 'further_education', 'childcare_register', 'other', name='ofsted_registration_type', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('ofsted_inspection_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ofsted_judgement', sa.Enum('outstanding', 'good', 'requires_improvement', 'inadequate', 'not_yet_inspected', name='ofsted_judgement', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('ofsted_link', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lebc_check_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('dsl_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('dsl_email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('dsl_phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('status', sa.Enum('approved', 'approved_with_conditions', 'suspended', 'closed', name='provider_status', native_enum=False, create_constraint=True, length=32), nullable=False, server_default='approved'))
        batch_op.create_unique_constraint(batch_op.f('uq_providers_ofsted_urn'), ['ofsted_urn'])
        batch_op.create_check_constraint('capacity_not_negative', 'capacity IS NULL OR capacity >= 0')
        batch_op.create_check_constraint(
            'age_range_order', 'age_from IS NULL OR age_to IS NULL OR age_from <= age_to')
        batch_op.create_check_constraint('urn_only_if_registered', 'ofsted_registered OR ofsted_urn IS NULL')




def downgrade():

    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_providers_urn_only_if_registered'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_providers_provider_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_providers_ofsted_judgement'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_providers_ofsted_registration_type'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_providers_age_range_order'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_providers_capacity_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_providers_ofsted_urn'), type_='unique')
        batch_op.drop_column('status')
        batch_op.drop_column('dsl_phone')
        batch_op.drop_column('dsl_email')
        batch_op.drop_column('dsl_name')
        batch_op.drop_column('lebc_check_date')
        batch_op.drop_column('ofsted_link')
        batch_op.drop_column('ofsted_judgement')
        batch_op.drop_column('ofsted_inspection_date')
        batch_op.drop_column('ofsted_registration_type')
        batch_op.drop_column('ofsted_urn')
        batch_op.drop_column('ofsted_registered')
        batch_op.drop_column('transports_pupils')
        batch_op.drop_column('capacity')
        batch_op.drop_column('age_to')
        batch_op.drop_column('age_from')
        batch_op.drop_column('website')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('postcode')
        batch_op.drop_column('address')

    op.drop_table('compliance_reminders')
    with op.batch_alter_table('provider_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_status_changes_provider_id'))

    op.drop_table('provider_status_changes')
    with op.batch_alter_table('compliance_items', schema=None) as batch_op:
        batch_op.drop_index('ix_compliance_items_status_expiry')
        batch_op.drop_index('ix_compliance_items_provider_kind')

    op.drop_table('compliance_items')
    op.drop_table('provider_vocational_areas')
    op.drop_table('provider_partnerships')
    op.drop_table('vocational_areas')
    op.drop_table('compliance_kinds')

