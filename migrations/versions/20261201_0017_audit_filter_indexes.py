"""Audit log filters by who and by kind of record, newest first, without reading every event.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 23:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_actor_email_created_at', 'audit_events',
                    ['actor_email', 'created_at'])
    op.create_index('ix_audit_events_target_type_created_at', 'audit_events',
                    ['target_type', 'created_at'])


def downgrade():
    op.drop_index('ix_audit_events_target_type_created_at', table_name='audit_events')
    op.drop_index('ix_audit_events_actor_email_created_at', table_name='audit_events')
