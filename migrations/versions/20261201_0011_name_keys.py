"""Provider and school names unique whatever their case, in any alphabet: a case-folded key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('providers', 'schools')


def _key(name):
    # As qa_portal.inputs.name_key; copied so that this revision never changes with the code.
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _fill(table):
    """Every row's key. Two rows that already clash keep distinct keys (the later one's id is
    appended), so the upgrade never fails on old data; renaming either one then sets a true key."""
    connection = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column('name', sa.String),
                    sa.column('name_key', sa.String))
    seen = set()
    for row_id, name in connection.execute(sa.select(rows.c.id, rows.c.name).order_by(rows.c.id)):
        key = _key(name)
        if key in seen:
            key = f"{key[:180]} #{row_id}"
        seen.add(key)
        connection.execute(rows.update().where(rows.c.id == row_id).values(name_key=key))


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
        _fill(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('name_key', existing_type=sa.String(length=200), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_name_key'), ['name_key'])


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_name_key'), type_='unique')
            batch_op.drop_column('name_key')
