"""Pupils seen on a visit may be linked to the pupil's record, ticked from the provider's
current placements; free-text entries stay as they are (no pupil). A pupil is seen once per
visit. If a pupil's record is ever deleted the row stays, as free text with its copied name
and school: the visit's record of who was seen does not change or block the deletion.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit_pupils', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pupil_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_pupils_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_unique_constraint('uq_visit_pupils_pupil', ['visit_id', 'pupil_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_visit_pupils_pupil_id_pupils'), 'pupils', ['pupil_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('visit_pupils', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_pupils_pupil_id_pupils'), type_='foreignkey')
        batch_op.drop_constraint('uq_visit_pupils_pupil', type_='unique')
        batch_op.drop_index(batch_op.f('ix_visit_pupils_pupil_id'))
        batch_op.drop_column('pupil_id')
