"""escalation tiers, tags and sneak peek (issue 4)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Escalation tiers: the level a chat needs (1 until someone escalates it).
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("required_level", sa.Integer(), server_default=sa.text("1"), nullable=False))
    # The desk: sneak peek on by default; flag a visitor unanswered for a minute.
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sneak_peek", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(
            sa.Column("reply_alert_seconds", sa.Integer(), server_default=sa.text("60"), nullable=False)
        )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("colour", sa.String(length=7), server_default="#64748b", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "chat_tags",
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("chat_id", "tag_id"),
    )
    with op.batch_alter_table("chat_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_tags_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_tags_tag_id"))
    op.drop_table("chat_tags")
    op.drop_table("tags")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("reply_alert_seconds")
        batch_op.drop_column("sneak_peek")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("required_level")
