"""Checklist answers: the current answer per criterion and every answer as sent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:59:10.253991

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('answer_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Enum('green', 'amber', 'red', 'met', 'not_met', 'not_applicable', 'not_seen', name='rating', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_answer_revisions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_answer_revisions_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_answer_revisions_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_revisions')),
    sa.UniqueConstraint('client_id', name=op.f('uq_answer_revisions_client_id'))
    )
    with op.batch_alter_table('answer_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_answer_revisions_visit_criterion', ['visit_id', 'criterion_id'], unique=False)

    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Enum('green', 'amber', 'red', 'met', 'not_met', 'not_applicable', 'not_seen', name='rating', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_answers_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_answers_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_answers_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    sa.UniqueConstraint('visit_id', 'criterion_id', name='uq_answers_criterion')
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_visit_id'), ['visit_id'], unique=False)




def downgrade():

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_visit_id'))

    op.drop_table('answers')
    with op.batch_alter_table('answer_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_revisions_visit_criterion')

    op.drop_table('answer_revisions')

