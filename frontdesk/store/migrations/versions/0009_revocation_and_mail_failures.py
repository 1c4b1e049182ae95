"""security (issue 10): users that can be deactivated, API tokens that expire and are seen in use,
e-mails that fail for good

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (a constant default) on both databases: no SQLite table rebuild.
    op.add_column("users", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("auth_sessions", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("mail_outbox", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    # What an e-mail is (`transcript`, ...): the site-wide budget of transcript e-mails counts them.
    op.add_column("mail_outbox", sa.Column("kind", sa.String(20), nullable=True))
    op.create_index("ix_mail_outbox_kind_created", "mail_outbox", ["kind", "created_at"])
    # The chats an agent handled (store/access_store.handled_chat_ids): the read scope of lists.
    op.create_index("ix_routing_log_agent_chat", "routing_log", ["agent_id", "chat_id"])


def downgrade() -> None:
    op.drop_index("ix_routing_log_agent_chat", table_name="routing_log")
    op.drop_index("ix_mail_outbox_kind_created", table_name="mail_outbox")
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_column("kind")
        batch.drop_column("failed_at")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("last_used_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("active")
