"""Sign-off: area and overall judgements, follow-up actions, publication and the report.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:14:21.193950

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('area_judgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('proposed', sa.Enum('green', 'amber', 'red', name='proposed_judgement', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('judgement', sa.Enum('green', 'amber', 'red', name='judgement', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['framework_areas.id'], name=op.f('fk_area_judgements_area_id_framework_areas')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_area_judgements_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_judgements')),
    sa.UniqueConstraint('visit_id', 'area_id', name='uq_area_judgements_area')
    )
    op.create_table('visit_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', name='action_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('provider_response', sa.Text(), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_actions_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_actions'))
    )
    with op.batch_alter_table('visit_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_actions_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overall', sa.Enum('green', 'amber', 'red', name='overall_judgement', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('strengths', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('development', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('signed_off_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('report_key', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_visits_signed_off_by_id_users'), 'users', ['signed_off_by_id'], ['id'], ondelete='SET NULL')




def downgrade():

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visits_signed_off_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_visits_overall_judgement'), type_='check')
        batch_op.drop_column('report_key')
        batch_op.drop_column('published_at')
        batch_op.drop_column('signed_off_by_id')
        batch_op.drop_column('signed_off_at')
        batch_op.drop_column('development')
        batch_op.drop_column('strengths')
        batch_op.drop_column('overall')

    with op.batch_alter_table('visit_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_actions_visit_id'))

    op.drop_table('visit_actions')
    op.drop_table('area_judgements')

