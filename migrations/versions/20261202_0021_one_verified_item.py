"""One verified compliance item per provider and kind, as verifying a renewal already keeps it.

Any pair with more than one verified item (none is made by the portal) keeps its newest; the
others become superseded, as verification would have made them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 01:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

VERIFIED = sa.text("status = 'verified'")


def upgrade():
    op.execute(
        "UPDATE compliance_items SET status = 'superseded', superseded_at = CURRENT_TIMESTAMP "
        "WHERE status = 'verified' AND EXISTS (SELECT 1 FROM compliance_items AS newer "
        "WHERE newer.provider_id = compliance_items.provider_id "
        "AND newer.kind_id = compliance_items.kind_id "
        "AND newer.status = 'verified' AND newer.id > compliance_items.id)"
    )
    op.create_index('uq_compliance_items_one_verified', 'compliance_items',
                    ['provider_id', 'kind_id'], unique=True,
                    sqlite_where=VERIFIED, postgresql_where=VERIFIED)


def downgrade():
    op.drop_index('uq_compliance_items_one_verified', table_name='compliance_items')
