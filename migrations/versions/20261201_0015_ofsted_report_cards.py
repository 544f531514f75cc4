"""Ofsted report cards: a grade per evaluation area and safeguarding met or not, beside the old
single judgement; which of the two the latest inspection gave.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0011'
branch_labels = None
depends_on = None

GRADES = ('exceptional', 'strong_standard', 'expected_standard', 'needs_attention',
          'urgent_improvement')
AREAS = ('ofsted_inclusion', 'ofsted_curriculum_teaching', 'ofsted_achievement',
         'ofsted_attendance_behaviour', 'ofsted_personal_development',
         'ofsted_leadership_governance')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'ofsted_inspection_kind',
            _enum('ofsted_inspection_kind', 'judgement', 'report_card'),
            nullable=True,
        ))
        for area in AREAS:
            batch_op.add_column(sa.Column(area, _enum(f'{area}_grade', *GRADES), nullable=True))
        batch_op.add_column(sa.Column(
            'ofsted_safeguarding', _enum('ofsted_safeguarding', 'met', 'not_met'), nullable=True
        ))
    # What was recorded before report cards was a single judgement.
    providers = sa.table('providers', sa.column('ofsted_judgement', sa.String),
                         sa.column('ofsted_inspection_kind', sa.String))
    op.execute(providers.update()
               .where(providers.c.ofsted_judgement.is_not(None))
               .values(ofsted_inspection_kind='judgement'))


def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        # The enum checks go first: SQLite's table copy would still name the dropped columns.
        for name in ('ofsted_safeguarding', *(f'{area}_grade' for area in AREAS),
                     'ofsted_inspection_kind'):
            batch_op.drop_constraint(batch_op.f(f'ck_providers_{name}'), type_='check')
        batch_op.drop_column('ofsted_safeguarding')
        for area in reversed(AREAS):
            batch_op.drop_column(area)
        batch_op.drop_column('ofsted_inspection_kind')
