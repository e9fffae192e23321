"""The tables of the SQLite notification store (`<data_dir>/notifications.db`)."""

from __future__ import annotations

from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    brand_id TEXT NOT NULL, ticket_id TEXT NOT NULL, customer_id TEXT NOT NULL,
    department TEXT NOT NULL, tracking_code TEXT NOT NULL, title TEXT NOT NULL,
    version INTEGER NOT NULL, agent_state TEXT NOT NULL DEFAULT '',
    priority TEXT NOT NULL DEFAULT '', customer_read INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0, agent_unread INTEGER NOT NULL DEFAULT 0,
    customer_unread INTEGER NOT NULL DEFAULT 0, assignee_id TEXT,
    PRIMARY KEY (brand_id, ticket_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL, brand_id TEXT NOT NULL, audience TEXT NOT NULL,
    recipient TEXT NOT NULL, ticket_id TEXT NOT NULL, tracking_code TEXT NOT NULL,
    kind TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE (event_id, audience, recipient)
);
CREATE INDEX IF NOT EXISTS notifications_by_recipient
    ON notifications (brand_id, audience, recipient, seq);
CREATE TABLE IF NOT EXISTS reads (
    notification_id TEXT NOT NULL, reader_id TEXT NOT NULL,
    PRIMARY KEY (notification_id, reader_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS preferences (
    brand_id TEXT NOT NULL, customer_id TEXT NOT NULL,
    email INTEGER NOT NULL, sms INTEGER NOT NULL, in_app INTEGER NOT NULL,
    email_address TEXT, phone TEXT,
    PRIMARY KEY (brand_id, customer_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    address TEXT NOT NULL, brand_id TEXT NOT NULL, ticket_id TEXT NOT NULL,
    tracking_code TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL, last_error TEXT,
    title TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, channel, recipient)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at);
CREATE TABLE IF NOT EXISTS sent_ledger (
    event_id TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
    owner TEXT NOT NULL, address TEXT NOT NULL, brand_id TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (event_id, channel, recipient)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    address TEXT NOT NULL, brand_id TEXT NOT NULL, ticket_id TEXT NOT NULL,
    tracking_code TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL,
    attempts INTEGER NOT NULL, reason TEXT NOT NULL, failed_at TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS dead_letters_by_brand ON dead_letters (brand_id, id);
"""

#: Columns added since the first release: a store file from before gets them (with their
#: defaults: '' is "not known", which the consumer and the renderer allow for).
ADDED_COLUMNS = (
    ("tickets", "agent_state", "TEXT NOT NULL DEFAULT ''"),
    ("tickets", "priority", "TEXT NOT NULL DEFAULT ''"),
    ("tickets", "customer_read", "INTEGER NOT NULL DEFAULT 0"),
    ("tickets", "closed", "INTEGER NOT NULL DEFAULT 0"),
    ("tickets", "agent_unread", "INTEGER NOT NULL DEFAULT 0"),
    ("tickets", "customer_unread", "INTEGER NOT NULL DEFAULT 0"),
    ("tickets", "assignee_id", "TEXT"),
    ("outbox", "title", "TEXT NOT NULL DEFAULT ''"),
    ("dead_letters", "title", "TEXT NOT NULL DEFAULT ''"),
)


def stamp(moment: datetime) -> str:
    """A fixed-width UTC text that sorts as the moments do."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
