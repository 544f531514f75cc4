"""QA framework: versions, areas and criteria with a descriptor per rating level.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:42:39.192213

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='framework_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_frameworks_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frameworks')),
    sa.UniqueConstraint('version', name=op.f('uq_frameworks_version'))
    )
    op.create_table('framework_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_framework_areas_framework_id_frameworks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_areas')),
    sa.UniqueConstraint('framework_id', 'code', name='uq_framework_areas_code')
    )
    with op.batch_alter_table('framework_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_areas_framework_id'), ['framework_id'], unique=False)

    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('rating', 'compliance', name='criterion_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('descriptor_green', sa.Text(), nullable=False),
    sa.Column('descriptor_amber', sa.Text(), nullable=False),
    sa.Column('descriptor_red', sa.Text(), nullable=False),
    sa.Column('evidence_required', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.CheckConstraint('length(prompt) > 0', name=op.f('ck_criteria_prompt_not_empty')),
    sa.ForeignKeyConstraint(['area_id'], ['framework_areas.id'], name=op.f('fk_criteria_area_id_framework_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('area_id', 'code', name='uq_criteria_code')
    )
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_area_id'), ['area_id'], unique=False)




def downgrade():

    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_area_id'))

    op.drop_table('criteria')
    with op.batch_alter_table('framework_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_areas_framework_id'))

    op.drop_table('framework_areas')
    op.drop_table('frameworks')

