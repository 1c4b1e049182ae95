"""transcript archive: full-text search (issue 5)

SQLite: a contentless FTS5 table over message bodies, kept up to date by triggers on
`messages`; its rowid is chat_id * 2**24 + seq, so matches come out in chat order and name their
chat without a lookup (store/archive_store.py). PostgreSQL: a GIN expression index over the
'simple' tsvector of the body with punctuation turned into spaces (the same words FTS5 sees).
Both index every event with a body, internal notes included (agents search them; visitors never
search). Also an index on chats.created_at for date ranges.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Must stay identical to store/archive_store.py (FTS_SEQ_BITS = 24, i.e. 16777216, and
# PG_DOCUMENT): PostgreSQL uses the index only for the very same expression.
PG_DOCUMENT = "to_tsvector('simple'::regconfig, regexp_replace(body, '[[:punct:][:space:]]+', ' ', 'g'))"


def upgrade() -> None:
    op.create_index("ix_chats_created_at", "chats", ["created_at"])
    if op.get_bind().dialect.name == "sqlite":
        # No diacritics folding: PostgreSQL's 'simple' configuration does not fold them either,
        # and the same search should find the same chats on both. columnsize=0: we order by
        # time, not rank, so no per-row size record (one write less per message).
        op.execute(
            "CREATE VIRTUAL TABLE messages_fts USING fts5("
            "body, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0')"
        )
        # A contentless table forgets a row only when told its exact old text ('delete').
        op.execute(
            "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages "
            "WHEN new.body != '' AND new.seq < 16777216 BEGIN "
            "INSERT INTO messages_fts(rowid, body) VALUES (new.chat_id * 16777216 + new.seq, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages "
            "WHEN old.body != '' AND old.seq < 16777216 BEGIN "
            "INSERT INTO messages_fts(messages_fts, rowid, body) "
            "VALUES ('delete', old.chat_id * 16777216 + old.seq, old.body); END"
        )
        # Retention anonymises bodies in place.
        op.execute(
            "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body, chat_id, seq ON messages BEGIN "
            "INSERT INTO messages_fts(messages_fts, rowid, body) "
            "SELECT 'delete', old.chat_id * 16777216 + old.seq, old.body WHERE old.body != '' AND old.seq < 16777216; "
            "INSERT INTO messages_fts(rowid, body) "
            "SELECT new.chat_id * 16777216 + new.seq, new.body WHERE new.body != '' AND new.seq < 16777216; END"
        )
        op.execute(
            "INSERT INTO messages_fts(rowid, body) SELECT chat_id * 16777216 + seq, body "
            "FROM messages WHERE body != '' AND seq < 16777216"
        )
    else:
        op.execute(f"CREATE INDEX ix_messages_body_fts ON messages USING gin ({PG_DOCUMENT})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_messages_body_fts")
    op.drop_index("ix_chats_created_at", table_name="chats")
