"""departments and routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:10:45.251689
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=300), server_default="", nullable=False),
        sa.Column("hours", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("max_queue", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("routing", sa.String(length=10), server_default="auto", nullable=False),
        sa.Column("offer_timeout_seconds", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.Column("offline_message", sa.String(length=500), server_default="", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("fallback_department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fallback_department_id"], ["departments.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    # Every chat belongs to a department: existing installs get "General", open 24/7, in which
    # agents pick chats from the queue as before; every existing user works in it.
    departments = sa.table(
        "departments",
        sa.column("slug"),
        sa.column("name"),
        sa.column("description"),
        sa.column("hours", sa.JSON()),
        sa.column("routing"),
        sa.column("offline_message"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        departments,
        [
            {
                "slug": "general",
                "name": "General",
                "description": "Questions of any kind",
                "hours": {},
                "routing": "pick",
                "offline_message": "We're not online right now. Leave a message and we'll get back to you by e-mail.",
                "created_at": datetime.now(UTC),
            }
        ],
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("to_addr", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["sent_at", "next_attempt_at"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "department_members",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("department_id", "user_id"),
    )
    with op.batch_alter_table("department_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "offline_tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("visitor_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["done_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["visitor_id"], ["visitors.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("offline_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_offline_tickets_status", ["status", "id"], unique=False)

    op.create_table(
        "routing_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_log_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index("ix_routing_log_department_time", ["department_id", "created_at"], unique=False)

    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), server_default=sa.text("1"), nullable=False))
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("offered_to", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("wait_estimate_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("missed", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_chats_department_status", ["department_id", "status", "queued_at"], unique=False)
        batch_op.create_index("ix_chats_offered_to", ["offered_to"], unique=False)
        batch_op.create_foreign_key("fk_chats_offered_to", "users", ["offered_to"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key("fk_chats_department", "departments", ["department_id"], ["id"])

    op.execute("INSERT INTO department_members (department_id, user_id, level) SELECT 1, id, 1 FROM users")
    op.execute("UPDATE chats SET queued_at = created_at")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("internal", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")

    op.execute("INSERT INTO department_members (department_id, user_id, level) SELECT 1, id, 1 FROM users")
    op.execute("UPDATE chats SET queued_at = created_at")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("internal")

    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_constraint("fk_chats_department", type_="foreignkey")
        batch_op.drop_constraint("fk_chats_offered_to", type_="foreignkey")
        batch_op.drop_index("ix_chats_offered_to")
        batch_op.drop_index("ix_chats_department_status")
        batch_op.drop_column("missed")
        batch_op.drop_column("wait_estimate_seconds")
        batch_op.drop_column("offer_expires_at")
        batch_op.drop_column("offered_to")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("department_id")

    with op.batch_alter_table("routing_log", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_log_department_time")
        batch_op.drop_index(batch_op.f("ix_routing_log_chat_id"))

    op.drop_table("routing_log")
    with op.batch_alter_table("offline_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_offline_tickets_status")

    op.drop_table("offline_tickets")
    with op.batch_alter_table("department_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_members_user_id"))

    op.drop_table("department_members")
    op.drop_table("settings")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_due")

    op.drop_table("mail_outbox")
    op.drop_table("leases")
    op.drop_table("departments")
