"""Tables. Only store/ writes SQL; these classes carry no behaviour."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from frontdesk.domain.metric_buckets import BUCKETS, COUNT_COLUMNS, DURATION_METRICS, bucket_column

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class User(Base):
    """An agent, supervisor or admin who answers chats in the console."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), server_default="offline")
    max_chats: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The profile visitors see when the agent joins (0004): job title and photo (an attachment).
    title: Mapped[str | None] = mapped_column(String(100))
    avatar_id: Mapped[str | None] = mapped_column(String(32))
    # Deactivated users (0009) keep their history but cannot log in; their credentials end at once.
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Greeters (0010): agents who may see the live visitors view and invite visitors to chat.
    greeter: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Staffing (0012): the office the agent works from (its time zone and holidays); None: no office.
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="SET NULL", name="fk_users_office_id")
    )


class AuthSession(Base):
    """A console login (cookie) or an integration's API token; only a hash of the secret is kept."""

    __tablename__ = "auth_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "session" | "api"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # API tokens (0009)


class Visitor(Base):
    """Someone on the customer's website; identified only by a server-issued token."""

    __tablename__ = "visitors"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    page_url: Mapped[str | None] = mapped_column(String(2000))
    page_title: Mapped[str | None] = mapped_column(String(300))
    referrer: Mapped[str | None] = mapped_column(String(2000))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # Tracking (0010): how many visits they made, and the latest one (no FK: visits point here).
    visits: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_visit_id: Mapped[int | None] = mapped_column(BigId)


class Department(Base):
    """A team visitors can reach (sales, support, billing…), with its own hours and queue."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), server_default="")
    hours: Mapped[dict] = mapped_column(JSON, server_default="{}")
    max_queue: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    routing: Mapped[str] = mapped_column(String(10), server_default="auto")
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, server_default=text("30"))
    offline_message: Mapped[str] = mapped_column(String(500), server_default="")
    email: Mapped[str | None] = mapped_column(String(254))
    fallback_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The desk (0005): agents see the visitor's draft; a visitor unanswered this long is flagged.
    sneak_peek: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    reply_alert_seconds: Mapped[int] = mapped_column(Integer, server_default=text("60"))
    # Level-1 agents may send only canned responses here (issue 4).
    scripted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class DepartmentMember(Base):
    __tablename__ = "department_members"
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Chat(Base):
    """One conversation: queued (perhaps offered to an agent) -> active -> closed."""

    __tablename__ = "chats"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), server_default=text("1"))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offered_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wait_estimate_seconds: Mapped[float | None] = mapped_column(Float)
    missed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_seq: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(10))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_message_text: Mapped[str | None] = mapped_column(String(200))
    last_message_author: Mapped[str | None] = mapped_column(String(10))
    # Escalation tiers (0005): only agents of this level or higher in the department get it.
    required_level: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Satisfaction (docs/architecture/privacy.md): 1–5, thumbs stored as good=5 / bad=1.
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(1000))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # by retention
    # The last seq the visitor has seen in the widget (0011, the `read` frame): agent messages
    # after it are unread - a chat the visitor left then is "dropped" in the reports.
    visitor_read_seq: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The invitation the visitor accepted to start this chat (0010).
    # use_alter: chats and invitations point at each other (a cycle create_all must break).
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL", name="fk_chats_invitation", use_alter=True)
    )

    __table_args__ = (
        Index("ix_chats_status_id", "status", "id"),
        Index("ix_chats_closed_at", "closed_at"),  # retention cutoffs and satisfaction reports
        Index("ix_chats_created_at", "created_at"),  # archive date ranges (0007)
        Index("ix_chats_assignee_status", "assignee_id", "status"),
        # A visitor has at most one open chat.
        Index(
            "uq_chats_visitor_open",
            "visitor_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_chats_visitor", "visitor_id", "id"),
        Index("ix_chats_department_status", "department_id", "status", "queued_at"),
        Index("ix_chats_offered_to", "offered_to"),
    )


class Message(Base):
    """A stored chat event: a message or a lifecycle event, numbered by seq within its chat."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    author_type: Mapped[str] = mapped_column(String(10))  # visitor | agent | system
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, server_default="")
    client_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    internal: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))  # notes: agents only
    # Full-text index over `body` (0007): an FTS5 table kept by triggers on SQLite, a GIN
    # expression index on PostgreSQL; queried only by store/archive_store.py.

    __table_args__ = (
        UniqueConstraint("chat_id", "seq", name="uq_messages_chat_seq"),
        UniqueConstraint("chat_id", "client_id", name="uq_messages_chat_client_id"),
    )


class RoutingLog(Base):
    """What routing did and when (queued, offered, declined, offer_expired, assigned,
    transferred, missed): the record reports are built from."""

    __tablename__ = "routing_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict] = mapped_column(JSON, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_routing_log_department_time", "department_id", "created_at"),
        Index("ix_routing_log_agent_chat", "agent_id", "chat_id"),  # chats an agent handled (0009)
    )


class OfflineTicket(Base):
    """A message left by a visitor when nobody could chat."""

    __tablename__ = "offline_tickets"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    visitor_id: Mapped[str | None] = mapped_column(ForeignKey("visitors.id", ondelete="SET NULL"))
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_offline_tickets_status", "status", "id"),)


class MailOutbox(Base):
    """E-mail to send, written in the transaction that decided to send it; a job delivers it."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # given up on (0009)
    kind: Mapped[str | None] = mapped_column(String(20))  # e.g. transcript: counted by its budget (0009)

    __table_args__ = (
        Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),
        Index("ix_mail_outbox_kind_created", "kind", "created_at"),
    )


class Lease(Base):
    """Who runs a background job across a cluster, until when."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Setting(Base):
    """Small named settings edited from the console (widget texts, pre-chat form)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


class AuditEntry(Base):
    """Who did what and when: settings, users, departments, privacy actions, retention runs.
    Written in the transaction of the change it records (actions/audit.py: record_audit)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str | None] = mapped_column(String(100))  # a copy: kept when the user goes
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, server_default="{}")

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
    )


class CannedResponse(Base):
    """An approved reply agents insert with its #shortcut; the body may hold {{variables}}."""

    __tablename__ = "canned_responses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # global | department | personal
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "global", "department:3" or "personal:7": shortcuts are unique per scope, and a unique
    # index over nullable columns would let NULLs repeat.
    scope_key: Mapped[str] = mapped_column(String(24))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    fallbacks: Mapped[dict] = mapped_column(JSON, server_default="{}")
    use_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("scope_key", "shortcut", name="uq_canned_scope_shortcut"),
        Index("ix_canned_department", "department_id"),
        Index("ix_canned_owner", "owner_id"),
    )


class Tag(Base):
    """A label agents put on chats, from a list admins and supervisors manage (0005)."""

    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    colour: Mapped[str] = mapped_column(String(7), server_default="#64748b")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChatTag(Base):
    """A tag on a chat (agents only; never shown to the visitor). The archive joins on it."""

    __tablename__ = "chat_tags"
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChatParticipant(Base):
    """A supervisor who joined a chat visibly (0006): writes to the visitor beside its agent."""

    __tablename__ = "chat_participants"
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Annotation(Base):
    """A supervisor's comment on one message of a transcript (0006); agents only."""

    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    message_seq: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str | None] = mapped_column(String(100))  # a copy: kept when the user goes
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_annotations_chat_seq", "chat_id", "message_seq"),)


class ScorecardCriterion(Base):
    """One criterion of a department's scorecard (0006): scored 0–5, weighted."""

    __tablename__ = "scorecard_criteria"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), server_default="")
    weight: Mapped[float] = mapped_column(Float, server_default=text("1"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (UniqueConstraint("department_id", "name", name="uq_scorecard_department_name"),)


class Review(Base):
    """A reviewer's scorecard for one chat (0006): one per reviewer and chat, editable. `scores`
    keeps each criterion's name and weight as they were, so later scorecard edits change nothing."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reviewer_name: Mapped[str | None] = mapped_column(String(100))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    scores: Mapped[list] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)  # weighted mean, 0–5
    comment: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("chat_id", "reviewer_id", name="uq_reviews_chat_reviewer"),
        Index("ix_reviews_agent", "agent_id", "chat_id"),
        Index("ix_reviews_department", "department_id", "chat_id"),
    )


class Attachment(Base):
    """A stored file (0004): one sent in a chat (its message carries `data.attachment`), or an
    agent's photo. `id` is random (128 bits) and names the file in storage."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # chat | avatar
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    seq: Mapped[int | None] = mapped_column(Integer)  # the message that carries it
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_attachments_chat", "chat_id"),)


class Visit(Base):
    """One visit of a visitor to the site (0010): it ends after 30 minutes without activity; the
    next connection starts visit `number` + 1. Live view rows: left_at and ended_at are NULL."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1 = first visit
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # NULL while it lasts
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # NULL while connected
    ip: Mapped[str | None] = mapped_column(String(45))  # truncated (/24, /48) unless configured
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(100))
    browser: Mapped[str | None] = mapped_column(String(60))
    os: Mapped[str | None] = mapped_column(String(60))
    device: Mapped[str | None] = mapped_column(String(10))  # desktop | phone | tablet | bot | other
    language: Mapped[str | None] = mapped_column(String(35))
    screen: Mapped[str | None] = mapped_column(String(10))  # phone | tablet | desktop
    referrer: Mapped[str | None] = mapped_column(String(2000))
    landing_url: Mapped[str | None] = mapped_column(String(2000))
    page_url: Mapped[str | None] = mapped_column(String(2000))
    page_title: Mapped[str | None] = mapped_column(String(300))
    page_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pages: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    visible_ms: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_visits_visitor", "visitor_id", "id"),
        Index("ix_visits_ended_seen", "ended_at", "last_seen_at"),
        Index("ix_visits_started_at", "started_at"),
    )


class PageView(Base):
    """One page a visitor saw during a visit (0010); visible_ms is filled when the next view or
    the end of the visit arrives."""

    __tablename__ = "page_views"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    referrer: Mapped[str | None] = mapped_column(String(2000))
    visible_ms: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_page_views_visit", "visit_id", "id"),
        Index("ix_page_views_at", "at"),
        Index("ix_page_views_visitor", "visitor_id"),
    )


class InvitationRule(Base):
    """A department's rule that invites matching visitors to chat (0010), tried in `position` order."""

    __tablename__ = "invitation_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    conditions: Mapped[list] = mapped_column(JSON, server_default="[]")  # [{field, op, value}]
    gates: Mapped[dict] = mapped_column(JSON, server_default="{}")
    action: Mapped[dict] = mapped_column(JSON, server_default="{}")  # {text, as, agent_id, delay_s}
    caps: Mapped[dict] = mapped_column(JSON, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_invitation_rules_department", "department_id", "position"),)


class Invitation(Base):
    """An invitation to chat shown (or meant to be shown) to a visitor (0010), by a rule or an agent.
    outcome: pending | shown | accepted | dismissed | expired | blocked."""

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("invitation_rules.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(10), server_default="pending")
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shown_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked_reason: Mapped[str | None] = mapped_column(String(40))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_invitations_visitor", "visitor_id", "id"),
        Index("ix_invitations_created_at", "created_at"),
        Index("ix_invitations_rule_created", "rule_id", "created_at"),
        Index("ix_invitations_outcome_expires", "outcome", "expires_at"),
    )


class ChatFact(Base):
    """One closed chat's figures (0011), computed from its events and routing log by
    actions/facts.py when it closes (and again when a rating or review changes it): the row the
    reports, drill-downs and the one-row-per-chat export read. Definitions: docs/metrics.md."""

    __tablename__ = "chat_facts"
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # credited: last assignee
    first_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # first human reply
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # chats.created_at
    hour_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # started_at, truncated to the UTC hour
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered: Mapped[bool] = mapped_column(Boolean, server_default=false())
    missed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    dropped: Mapped[bool] = mapped_column(Boolean, server_default=false())
    queue_wait_s: Mapped[float | None] = mapped_column(Float)
    first_response_s: Mapped[float | None] = mapped_column(Float)
    reply_n: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reply_sum_s: Mapped[float] = mapped_column(Float, server_default=text("0"))
    reply_max_s: Mapped[float | None] = mapped_column(Float)
    handle_s: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[float | None] = mapped_column(Float)
    visitor_messages: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    agent_messages: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    transfers: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    escalations: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rating: Mapped[int | None] = mapped_column(Integer)
    review_score: Mapped[float | None] = mapped_column(Float)
    invitation_id: Mapped[int | None] = mapped_column(BigId)
    concurrency: Mapped[float | None] = mapped_column(Float)  # time-weighted chats the agent held meanwhile
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_chat_facts_hour", "hour_at"),
        Index("ix_chat_facts_department_hour", "department_id", "hour_at"),
        Index("ix_chat_facts_agent_hour", "agent_id", "hour_at"),
    )


def _metric_hour_columns() -> list[Column]:
    cols: list[Column] = [
        Column("hour_at", DateTime(timezone=True), primary_key=True),
        Column("department_id", Integer, primary_key=True),  # 0: none
        Column("agent_id", Integer, primary_key=True),  # 0: none
    ]
    cols += [Column(name, Integer, nullable=False, server_default=text("0")) for name in COUNT_COLUMNS]
    cols.append(Column("review_sum", Float, nullable=False, server_default=text("0")))
    for metric in DURATION_METRICS:
        cols.append(Column(f"{metric}_n", Integer, nullable=False, server_default=text("0")))
        cols.append(Column(f"{metric}_sum", Float, nullable=False, server_default=text("0")))
        cols += [
            Column(bucket_column(metric, i), Integer, nullable=False, server_default=text("0")) for i in range(BUCKETS)
        ]
    return cols


# Hourly roll-ups (0011): per UTC hour a chat started in, department and credited agent, the sums
# of chat_facts (counts, sums, histogram buckets of frontdesk/domain/metric_buckets.py). Kept by
# actions/facts.py in the transaction that writes the fact: a fact replaced subtracts its old row.
# On SQLite a WITHOUT ROWID table: a range of hours is read straight from the primary key's b-tree
# (a rowid table finds each row in the key's index, then in the table: a year's sums cost 30 % more).
metric_hours = Table("metric_hours", Base.metadata, *_metric_hour_columns(), sqlite_with_rowid=False)


class AgentActivity(Base):
    """Every change of an agent's status or load (0011): the agent timelines and online / chatting /
    idle hours of the reports. reason: manual | connected | disconnected | offer_expired |
    deactivated | assigned | closed | transferred | ... ; load: chats held after the change."""

    __tablename__ = "agent_activity"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))  # online | away | offline
    reason: Mapped[str | None] = mapped_column(String(20))
    load: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (
        Index("ix_agent_activity_agent_at", "agent_id", "at"),
        Index("ix_agent_activity_at", "at"),
    )


class DepartmentGoal(Base):
    """A department's goal (0011), drawn against the actual figure per day. metric:
    service_level (share answered within `seconds`), missed_share, satisfaction, first_response_p90
    (seconds), ...; target: a share 0-1 or seconds (docs/metrics.md)."""

    __tablename__ = "department_goals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(30))
    target: Mapped[float] = mapped_column(Float)
    seconds: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("department_id", "metric", name="uq_department_goals_metric"),)


class Office(Base):
    """A place agents work from (0012): its time zone places their shifts and its holidays cancel them."""

    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("name", name="uq_offices_name"),)


class OfficeHoliday(Base):
    """A local date an office does not work (0012): its agents' shifts starting that day do not happen."""

    __tablename__ = "office_holidays"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("office_id", "day", name="uq_office_holidays_day"),)


class Rotation(Base):
    """A rotation template (0012): `weeks` weeks, `pattern` = one list per week of
    {"weekday": 0-6, "start": minute, "minutes": length}; applied to agents with staggered offsets,
    it writes their shifts (cycle_weeks = weeks) so that nights and weekends are shared."""

    __tablename__ = "rotations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    weeks: Mapped[int] = mapped_column(Integer)
    pattern: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("name", name="uq_rotations_name"),)


class StaffingPlan(Base):
    """A shift plan the optimiser suggested (0012): `params` what it was asked, `result` the shifts
    per agent, the coverage per hour, its cost and the hours it could not cover. status:
    suggested | applied | discarded."""

    __tablename__ = "staffing_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Shift(Base):
    """An agent's recurring weekly shift (0012), in `timezone` (their office's when made): it starts
    on local `weekday` (0 = Monday) at `start_minute` and lasts `minutes` (at most 1440; past
    midnight it runs into the next day), in the weeks whose index % cycle_weeks == cycle_week
    (week index: whole weeks since Monday 2024-01-01, local). department_id None: it staffs every
    department the agent belongs to."""

    __tablename__ = "shifts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    timezone: Mapped[str] = mapped_column(String(64))
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    cycle_weeks: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    cycle_week: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rotation_id: Mapped[int | None] = mapped_column(ForeignKey("rotations.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("staffing_plans.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_shifts_agent", "agent_id"),
        Index("ix_shifts_department", "department_id"),
    )
