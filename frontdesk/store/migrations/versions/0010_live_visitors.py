"""live visitors and invitations (issue 13): visits, page views, invitation rules, invitations

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMNs (a constant default, or nullable): no SQLite table rebuild.
    op.add_column("visitors", sa.Column("visits", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("visitors", sa.Column("last_visit_id", BigId, nullable=True))
    op.add_column("users", sa.Column("greeter", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "visits",
        sa.Column("id", BigId, nullable=False),
        sa.Column("visitor_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("browser", sa.String(length=60), nullable=True),
        sa.Column("os", sa.String(length=60), nullable=True),
        sa.Column("device", sa.String(length=10), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("screen", sa.String(length=10), nullable=True),
        sa.Column("referrer", sa.String(length=2000), nullable=True),
        sa.Column("landing_url", sa.String(length=2000), nullable=True),
        sa.Column("page_url", sa.String(length=2000), nullable=True),
        sa.Column("page_title", sa.String(length=300), nullable=True),
        sa.Column("page_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pages", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("visible_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["visitor_id"], ["visitors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visits_visitor", "visits", ["visitor_id", "id"])
    op.create_index("ix_visits_ended_seen", "visits", ["ended_at", "last_seen_at"])
    op.create_index("ix_visits_started_at", "visits", ["started_at"])

    op.create_table(
        "page_views",
        sa.Column("id", BigId, nullable=False),
        sa.Column("visit_id", BigId, nullable=False),
        sa.Column("visitor_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("referrer", sa.String(length=2000), nullable=True),
        sa.Column("visible_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visitor_id"], ["visitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_page_views_visit", "page_views", ["visit_id", "id"])
    op.create_index("ix_page_views_at", "page_views", ["at"])
    # Deleting a visitor cascades through visitor_id; this index keeps that cascade a lookup.
    op.create_index("ix_page_views_visitor", "page_views", ["visitor_id"])

    op.create_table(
        "invitation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("conditions", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("gates", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("action", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("caps", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invitation_rules_department", "invitation_rules", ["department_id", "position"])

    op.create_table(
        "invitations",
        sa.Column("id", BigId, nullable=False),
        sa.Column("visitor_id", sa.String(length=32), nullable=False),
        sa.Column("visit_id", BigId, nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_reason", sa.String(length=40), nullable=True),
        sa.Column("chat_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["visitor_id"], ["visitors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.ForeignKeyConstraint(["rule_id"], ["invitation_rules.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invitations_visitor", "invitations", ["visitor_id", "id"])
    op.create_index("ix_invitations_created_at", "invitations", ["created_at"])
    op.create_index("ix_invitations_rule_created", "invitations", ["rule_id", "created_at"])
    op.create_index("ix_invitations_outcome_expires", "invitations", ["outcome", "expires_at"])

    # "A chat remembers its invitation." SQLite accepts a REFERENCES clause in ADD COLUMN (the
    # default is NULL), but Alembic would emit the constraint as a separate ALTER it cannot do
    # there, so SQLite gets the one statement written out; PostgreSQL the usual two.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE chats ADD COLUMN invitation_id INTEGER REFERENCES invitations (id) ON DELETE SET NULL")
    else:
        op.add_column("chats", sa.Column("invitation_id", BigId, nullable=True))
        op.create_foreign_key(
            "fk_chats_invitation", "chats", "invitations", ["invitation_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        if op.get_bind().dialect.name == "postgresql":
            batch.drop_constraint("fk_chats_invitation", type_="foreignkey")
        batch.drop_column("invitation_id")
    op.drop_index("ix_invitations_outcome_expires", table_name="invitations")
    op.drop_index("ix_invitations_rule_created", table_name="invitations")
    op.drop_index("ix_invitations_created_at", table_name="invitations")
    op.drop_index("ix_invitations_visitor", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_invitation_rules_department", table_name="invitation_rules")
    op.drop_table("invitation_rules")
    op.drop_index("ix_page_views_visitor", table_name="page_views")
    op.drop_index("ix_page_views_at", table_name="page_views")
    op.drop_index("ix_page_views_visit", table_name="page_views")
    op.drop_table("page_views")
    op.drop_index("ix_visits_started_at", table_name="visits")
    op.drop_index("ix_visits_ended_seen", table_name="visits")
    op.drop_index("ix_visits_visitor", table_name="visits")
    op.drop_table("visits")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("greeter")
    with op.batch_alter_table("visitors") as batch:
        batch.drop_column("last_visit_id")
        batch.drop_column("visits")
