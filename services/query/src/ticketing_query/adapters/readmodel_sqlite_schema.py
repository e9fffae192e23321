# ruff: noqa: S608 - SQL is assembled from this package's constant names; values are always bound
"""The SQLite read model's tables, and how views and messages become rows and back.

Times are integer microseconds since the epoch, UTC: they sort as numbers, compare exactly, and
cost less to convert than ISO text.

Search: one FTS5 row per ticket, its rowid the ticket row's, with two columns: the words every
side may match (`public_words`) and those only the agent side may (`internal_words`, from
internal notes). The customer side's queries are limited to the first column by an FTS5 column
filter, so public words are indexed once, not once per side. The words arrive already
normalised by the domain (`search.tokens`: runs of letters, digits and '_'), so the `ascii`
tokenizer with '_' as a token character keeps each of them exactly as it is: it splits only on
ASCII characters other than letters, digits and '_', of which a word has none, and it treats
every non-ASCII character (Persian letters, say) as part of a word. `detail=column` keeps the
columns (for the column filter) but no positions, which no query here needs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketing_model import CODES, AgentState

from ticketing_query.domain.view import MessageView, TicketView

#: Bumped when the tables change shape; a read model of another version is rebuilt from history.
#: 2: who closed a ticket, when and why; each message's author name.
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    row_id INTEGER PRIMARY KEY,
    brand_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    request_type TEXT NOT NULL,
    priority TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    agent_state TEXT NOT NULL,
    customer_read INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    agent_unread INTEGER NOT NULL,
    customer_unread INTEGER NOT NULL,
    assignee_id TEXT,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL,
    closed_at INTEGER,
    closed_by_id TEXT,
    closed_by_role TEXT,
    closed_by_name TEXT,
    close_reason TEXT,
    code INTEGER NOT NULL,
    -- Word sets only grow (the fold unions them), so an unchanged size is an unchanged set.
    public_count INTEGER NOT NULL,
    internal_count INTEGER NOT NULL,
    UNIQUE (brand_id, ticket_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS tickets_by_tracking_code ON tickets (brand_id, tracking_code);
CREATE INDEX IF NOT EXISTS tickets_by_customer
    ON tickets (brand_id, customer_id, last_activity_at DESC, ticket_id DESC);
CREATE INDEX IF NOT EXISTS tickets_by_department
    ON tickets (brand_id, department, last_activity_at DESC, ticket_id DESC);
CREATE INDEX IF NOT EXISTS tickets_by_activity
    ON tickets (brand_id, last_activity_at DESC, ticket_id DESC);

CREATE VIRTUAL TABLE IF NOT EXISTS ticket_words USING fts5(
    public_words, internal_words, tokenize = "ascii tokenchars '_'", detail = column
);

CREATE TABLE IF NOT EXISTS messages (
    brand_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_role TEXT NOT NULL,
    body TEXT NOT NULL,
    internal INTEGER NOT NULL,
    attachment_ids TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    position INTEGER NOT NULL,
    author_name TEXT,
    PRIMARY KEY (brand_id, message_id)
);
CREATE INDEX IF NOT EXISTS messages_by_ticket ON messages (brand_id, ticket_id, position);

-- Per (brand, side, scope key): the customer side's key is the customer id, the agent side's
-- the department. Kept in the transaction that changes the tickets (see the writes module).
CREATE TABLE IF NOT EXISTS counters (
    brand_id TEXT NOT NULL,
    side TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    total INTEGER NOT NULL,
    open INTEGER NOT NULL,
    unread_tickets INTEGER NOT NULL,
    unread_messages INTEGER NOT NULL,
    s1 INTEGER NOT NULL, s2 INTEGER NOT NULL, s3 INTEGER NOT NULL, s4 INTEGER NOT NULL,
    s5 INTEGER NOT NULL, s6 INTEGER NOT NULL, s7 INTEGER NOT NULL, s8 INTEGER NOT NULL,
    PRIMARY KEY (brand_id, side, scope_key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
"""

TABLES = ("tickets", "ticket_words", "messages", "counters", "checkpoint")

#: The columns of a view, in the order `view_row` writes and `view_of` reads them.
VIEW_COLUMNS = (
    "brand_id, ticket_id, tracking_code, title, department, request_type, priority, customer_id,"
    " created_at, last_activity_at, agent_state, customer_read, closed, agent_unread,"
    " customer_unread, assignee_id, version, position, closed_at, closed_by_id, closed_by_role,"
    " closed_by_name, close_reason"
)
#: How many columns VIEW_COLUMNS names (the word columns follow them in SELECT_VIEW).
VIEW_WIDTH = 23
#: The same, of the tickets table aliased `t`.
T_VIEW_COLUMNS = ", ".join(f"t.{column.strip()}" for column in VIEW_COLUMNS.split(","))
#: A view with its words: tickets `t` joined to ticket_words `w`.
SELECT_VIEW = (
    f"SELECT {T_VIEW_COLUMNS}, w.public_words, w.internal_words FROM tickets AS t"
    " JOIN ticket_words AS w ON w.rowid = t.row_id"
)
MESSAGE_COLUMNS = (
    "brand_id, message_id, ticket_id, author_id, author_role, body, internal, attachment_ids,"
    " created_at, position, author_name"
)
MESSAGE_WIDTH = 11
COUNTER_COLUMNS = (
    "total",
    "open",
    "unread_tickets",
    "unread_messages",
    *(f"s{code}" for code in CODES),
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (a naive datetime is refused by the subtraction)."""
    return (moment - _EPOCH) // _MICROSECOND


def moment(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def view_row(view: TicketView) -> tuple[Any, ...]:
    """The VIEW_COLUMNS values, then code, public_count, internal_count."""
    return (
        view.brand_id,
        view.ticket_id,
        view.tracking_code,
        view.title,
        view.department,
        view.request_type,
        view.priority,
        view.customer_id,
        micros(view.created_at),
        micros(view.last_activity_at),
        view.agent_state.value,
        int(view.customer_read),
        int(view.closed),
        view.agent_unread,
        view.customer_unread,
        view.assignee_id,
        view.version,
        view.position,
        None if view.closed_at is None else micros(view.closed_at),
        view.closed_by_id,
        view.closed_by_role,
        view.closed_by_name,
        view.close_reason,
        view.code,
        len(view.public_words),
        len(view.internal_words),
    )


def view_of(row: tuple[Any, ...]) -> TicketView:
    """A view from VIEW_COLUMNS (and, when present, the two word columns after them)."""
    public, internal = (row[VIEW_WIDTH], row[VIEW_WIDTH + 1]) if len(row) > VIEW_WIDTH else ("", "")
    return TicketView(
        brand_id=row[0],
        ticket_id=row[1],
        tracking_code=row[2],
        title=row[3],
        department=row[4],
        request_type=row[5],
        priority=row[6],
        customer_id=row[7],
        created_at=moment(row[8]),
        last_activity_at=moment(row[9]),
        agent_state=AgentState(row[10]),
        customer_read=bool(row[11]),
        closed=bool(row[12]),
        agent_unread=row[13],
        customer_unread=row[14],
        assignee_id=row[15],
        version=row[16],
        position=row[17],
        closed_at=None if row[18] is None else moment(row[18]),
        closed_by_id=row[19],
        closed_by_role=row[20],
        closed_by_name=row[21],
        close_reason=row[22],
        public_words=frozenset(public.split()),
        internal_words=frozenset(internal.split()),
    )


def message_row(message: MessageView) -> tuple[Any, ...]:
    return (
        message.brand_id,
        message.message_id,
        message.ticket_id,
        message.author_id,
        message.author_role,
        message.body,
        int(message.internal),
        json.dumps(list(message.attachment_ids)),
        micros(message.created_at),
        message.position,
        message.author_name,
    )


def message_of(row: tuple[Any, ...]) -> MessageView:
    return MessageView(
        brand_id=row[0],
        message_id=row[1],
        ticket_id=row[2],
        author_id=row[3],
        author_role=row[4],
        body=row[5],
        internal=bool(row[6]),
        attachment_ids=tuple(json.loads(row[7])),
        created_at=moment(row[8]),
        position=row[9],
        author_name=row[10],
    )
