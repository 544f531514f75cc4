"""Email delivered by a worker (claims, retries with backoff, links kept apart until sent) and
password reset requests recorded for throttling.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:45:00.000000

"""

import re

from alembic import op
import sqlalchemy as sa

HIDDEN_LINK = '[link hidden: it works only for its recipient]'
SECRET_LINK = re.compile(r'\S+/account/set-password/\S+')


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_link", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_outbox_messages_sent_at_next_attempt_at",
            ["sent_at", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "password_reset_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_requests")),
    )
    with op.batch_alter_table("password_reset_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_password_reset_requests_email_created_at", ["email", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_password_reset_requests_ip_created_at", ["ip", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_password_reset_requests_processed_at"), ["processed_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("password_reset_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_requests_processed_at"))
        batch_op.drop_index("ix_password_reset_requests_ip_created_at")
        batch_op.drop_index("ix_password_reset_requests_email_created_at")

    op.drop_table("password_reset_requests")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_sent_at_next_attempt_at")
        batch_op.drop_column("failed_at")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("secret_link")
