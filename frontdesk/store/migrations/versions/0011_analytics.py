"""analytics (issue 14): chat_facts, metric_hours roll-ups, agent_activity, department_goals,
chats.visitor_read_seq

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Frozen here (a migration must not change when the code does): frontdesk/domain/metric_buckets.py
# has 21 edges, so 22 buckets per duration metric.
BUCKETS = 22
DURATION_METRICS = ("queue_wait", "first_response", "reply", "handle", "duration")
COUNTS = (
    "chats",
    "answered",
    "missed",
    "dropped",
    "transfers",
    "escalations",
    "rated",
    "rating_sum",
    "rating_good",
    "reviewed",
    "invited",
)


def _zero(name: str, type_: sa.types.TypeEngine) -> sa.Column:
    return sa.Column(name, type_, server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no SQLite table rebuild.
    op.add_column("chats", sa.Column("visitor_read_seq", sa.Integer(), server_default=sa.text("0"), nullable=False))

    op.create_table(
        "chat_facts",
        sa.Column("chat_id", BigId, nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("first_agent_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hour_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("missed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("dropped", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("queue_wait_s", sa.Float(), nullable=True),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        _zero("reply_n", sa.Integer()),
        _zero("reply_sum_s", sa.Float()),
        sa.Column("reply_max_s", sa.Float(), nullable=True),
        sa.Column("handle_s", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        _zero("visitor_messages", sa.Integer()),
        _zero("agent_messages", sa.Integer()),
        _zero("transfers", sa.Integer()),
        _zero("escalations", sa.Integer()),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("review_score", sa.Float(), nullable=True),
        sa.Column("invitation_id", BigId, nullable=True),
        sa.Column("concurrency", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["first_agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_index("ix_chat_facts_hour", "chat_facts", ["hour_at"])
    op.create_index("ix_chat_facts_department_hour", "chat_facts", ["department_id", "hour_at"])
    op.create_index("ix_chat_facts_agent_hour", "chat_facts", ["agent_id", "hour_at"])

    columns: list[sa.Column] = [
        sa.Column("hour_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
    ]
    columns += [_zero(name, sa.Integer()) for name in COUNTS]
    columns.append(_zero("review_sum", sa.Float()))
    for metric in DURATION_METRICS:
        columns.append(_zero(f"{metric}_n", sa.Integer()))
        columns.append(_zero(f"{metric}_sum", sa.Float()))
        columns += [_zero(f"{metric}_b{i}", sa.Integer()) for i in range(BUCKETS)]
    # WITHOUT ROWID on SQLite: read in primary-key ranges (hours), never by rowid (models.py says why).
    op.create_table(
        "metric_hours",
        *columns,
        sa.PrimaryKeyConstraint("hour_at", "department_id", "agent_id"),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "agent_activity",
        sa.Column("id", BigId, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("load", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_activity_agent_at", "agent_activity", ["agent_id", "at"])
    op.create_index("ix_agent_activity_at", "agent_activity", ["at"])

    op.create_table(
        "department_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department_id", "metric", name="uq_department_goals_metric"),
    )


def downgrade() -> None:
    op.drop_table("department_goals")
    op.drop_index("ix_agent_activity_at", table_name="agent_activity")
    op.drop_index("ix_agent_activity_agent_at", table_name="agent_activity")
    op.drop_table("agent_activity")
    op.drop_table("metric_hours")
    op.drop_index("ix_chat_facts_agent_hour", table_name="chat_facts")
    op.drop_index("ix_chat_facts_department_hour", table_name="chat_facts")
    op.drop_index("ix_chat_facts_hour", table_name="chat_facts")
    op.drop_table("chat_facts")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("visitor_read_seq")
