"""Pupils: name, UPN, date of birth and cohort, school, key worker, needs; audit events name
the pupil they concern, filtered newest first by an index.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

ETHNICITIES = ('WBRI', 'WIRI', 'WIRT', 'WOTH', 'WROM', 'MWBC', 'MWBA', 'MWAS', 'MOTH', 'AIND',
               'APKN', 'ABAN', 'AOTH', 'BCRB', 'BAFR', 'BOTH', 'CHNE', 'OOTH', 'REFU', 'NOBT')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    op.create_table('pupils',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_names', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=201), nullable=False),
    sa.Column('upn', sa.String(length=13), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('cohort_by_age', sa.Integer(), nullable=False),
    sa.Column('cohort_override', sa.Integer(), nullable=True),
    sa.Column('gender', _enum('gender', 'female', 'male', 'not_stated'), nullable=False),
    sa.Column('ethnicity', _enum('ethnicity', *ETHNICITIES), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('key_worker_id', sa.Integer(), nullable=True),
    sa.Column('ehcp', sa.Boolean(), nullable=False),
    sa.Column('sen_support', sa.Boolean(), nullable=False),
    sa.Column('looked_after', sa.Boolean(), nullable=False),
    sa.Column('pupil_premium', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT (ehcp AND sen_support)', name=op.f('ck_pupils_ehcp_or_sen_support')),
    sa.CheckConstraint('length(upn) = 13', name=op.f('ck_pupils_upn_length')),
    sa.ForeignKeyConstraint(['key_worker_id'], ['users.id'], name=op.f('fk_pupils_key_worker_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_pupils_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupils')),
    sa.UniqueConstraint('upn', name=op.f('uq_pupils_upn'))
    )
    with op.batch_alter_table('pupils', schema=None) as batch_op:
        batch_op.create_index('ix_pupils_key_worker_name', ['key_worker_id', 'name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupils_name_key'), ['name_key'], unique=False)
        batch_op.create_index('ix_pupils_school_name', ['school_id', 'name_key'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pupil_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_events_pupil_created_at', ['pupil_id', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_pupil_id_pupils'), 'pupils', ['pupil_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_pupil_id_pupils'), type_='foreignkey')
        batch_op.drop_index('ix_audit_events_pupil_created_at')
        batch_op.drop_column('pupil_id')

    with op.batch_alter_table('pupils', schema=None) as batch_op:
        batch_op.drop_index('ix_pupils_school_name')
        batch_op.drop_index(batch_op.f('ix_pupils_name_key'))
        batch_op.drop_index('ix_pupils_key_worker_name')

    op.drop_table('pupils')
