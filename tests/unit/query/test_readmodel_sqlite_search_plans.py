"""The SQLite read model's search plans (walk the caller's list, or drive by the FTS index) give
exactly what the single-statement plan before them gave, over generated Persian tickets: ی/ي and
ک/ك spellings, ZWNJ, Persian and Latin digits, mixed-case Latin, internal notes, every scope,
filter, cursor and page size, with the walk cut short at every length so both plans run."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ticketing_model import AgentState, Scope
from ticketing_query.adapters import readmodel_sqlite_queries as queries
from ticketing_query.adapters import readmodel_sqlite_search
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
from ticketing_query.adapters.readmodel_sqlite_schema import SELECT_VIEW
from ticketing_query.adapters.readmodel_sqlite_search import match_expression
from ticketing_query.application.ports import Cursor, ProjectionBatch, TicketFilter
from ticketing_query.domain.search import query_terms, tokens
from ticketing_query.domain.view import TicketView

FRAGMENTS = (
    "پیامک",
    "پيامك",  # Arabic yeh and kaf
    "پیامک‌ها",  # ZWNJ
    "ارسال نمی‌شود",
    "فاکتور اسفند",
    "فاكتور",
    "سفارش ۱۲۳۴۵",
    "سفارش 12345",
    "سرور",
    "سرورها",
    "کد تایید",
    "Gateway ERROR",
    "gateway",
    "درگاه_پرداخت",
)
# Words, starts of words, and pieces from inside words (which must not match).
QUERIES = (
    *FRAGMENTS,
    *("پیا", "پي", "فا", "123", "۱۲", "GATE", "سفارش 1234", "نمی", "ها", "ج"),
    *("امک", "رور", "ateway", "۳۴۵", "کتور"),
)
BRANDS = ("acme", "zarin")
CUSTOMERS = ("c1", "c2", "c3")
DEPARTMENTS = ("technical", "finance", "refunds")
START = datetime(2026, 3, 21, tzinfo=UTC)

ticket = st.tuples(
    st.sampled_from(BRANDS),
    st.sampled_from(CUSTOMERS),
    st.sampled_from(DEPARTMENTS),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3),  # title and messages
    st.lists(st.sampled_from(FRAGMENTS), max_size=2),  # internal notes
    st.sampled_from(list(AgentState)),
    st.booleans(),  # customer read
    st.booleans(),  # closed
    st.integers(min_value=0, max_value=40),  # minutes of activity after opening
)
scope = st.one_of(
    st.builds(
        lambda b, c: Scope(b, "customer", customer_ids=frozenset(c)),
        st.sampled_from(BRANDS),
        st.sets(st.sampled_from(CUSTOMERS), min_size=1, max_size=2),
    ),
    st.builds(
        lambda b, d: Scope(b, "agent", departments=None if d is None else frozenset(d)),
        st.sampled_from(BRANDS),
        st.none() | st.sets(st.sampled_from(DEPARTMENTS), min_size=1, max_size=2),
    ),
)
search = st.builds(
    lambda terms, unread, closed: TicketFilter(terms=terms, unread=unread, closed=closed),
    st.one_of(
        st.lists(st.sampled_from(QUERIES), min_size=1, max_size=2).map(
            lambda q: query_terms(" ".join(q))
        ),
        # Not normalised, as a caller of the port may pass them: FTS folds A-Z, so must the walk.
        st.sampled_from([("GATE",), ("Gateway", "ERR"), ("سرور", "GAT")]),
    ),
    st.none() | st.booleans(),
    st.none() | st.booleans(),
)


def _view(n: int, generated: tuple[Any, ...]) -> TicketView:
    brand, customer, department, texts, notes, state, read, closed, minutes = generated
    opened = START + timedelta(minutes=n)
    return TicketView(
        brand_id=brand,
        ticket_id=f"{n:032x}",
        tracking_code=f"7000{n:04d}",
        title=texts[0],
        department=department,
        request_type="technical",
        priority="normal",
        customer_id=customer,
        created_at=opened,
        last_activity_at=opened + timedelta(minutes=minutes),
        agent_state=state,
        customer_read=read,
        closed=closed,
        version=1,
        position=n + 1,
        public_words=frozenset([*tokens(" ".join(texts)), f"7000{n:04d}"]),
        internal_words=frozenset(tokens(" ".join(notes))),
    )


def _plan_before(
    connection: sqlite3.Connection,
    clauses: Sequence[str],
    params: Sequence[Any],
    terms: Sequence[str],
    *,
    customer_side: bool,
    limit: int,
) -> list[TicketView]:
    """The one statement searches ran before the two plans (commit b8f49c4)."""
    matching = "t.row_id IN (SELECT rowid FROM ticket_words WHERE ticket_words MATCH ?)"
    sql = (
        f"{SELECT_VIEW} WHERE {' AND '.join([*clauses, matching])}"
        " ORDER BY t.last_activity_at DESC, t.ticket_id DESC LIMIT ?"
    )
    expression = match_expression(terms, customer_side=customer_side)
    return [queries.view_of(row) for row in connection.execute(sql, (*params, expression, limit))]


@pytest.mark.parametrize("walk", [1, 2, 5, 10_000])
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    generated=st.lists(ticket, min_size=1, max_size=30),
    asked=st.lists(st.tuples(scope, search, st.integers(1, 6), st.integers(0, 12)), max_size=8),
)
def test_both_search_plans_give_what_the_single_statement_gave(
    monkeypatch: pytest.MonkeyPatch,
    walk: int,
    generated: list[tuple[Any, ...]],
    asked: list[tuple[Scope, TicketFilter, int, int]],
) -> None:
    views = [_view(n, g) for n, g in enumerate(generated)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "query.db"
        asyncio.run(_written(path, views))
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            for who, where, limit, skip in asked:
                ordered = sorted(
                    (v for v in views if v.brand_id == who.brand_id),
                    key=lambda v: (v.last_activity_at, v.ticket_id),
                    reverse=True,
                )
                after = None
                if skip and len(ordered) > skip:
                    at = ordered[skip]
                    after = Cursor(at.last_activity_at, at.ticket_id)
                monkeypatch.setattr(queries, "search", _plan_before)
                before = queries.tickets(connection, who, where, limit, after)
                monkeypatch.setattr(queries, "search", readmodel_sqlite_search.search)
                monkeypatch.setattr(readmodel_sqlite_search, "WALK", walk)
                now = queries.tickets(connection, who, where, limit, after)
                assert [v.ticket_id for v in now] == [v.ticket_id for v in before], (who, where)
                assert now == before
        finally:
            connection.close()


def test_a_rare_term_in_a_large_scope_is_found_through_the_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    common = ("acme", "c1", "technical", ["سرور"], [], AgentState.NOT_SEEN, False, False, 0)
    rare = (
        "acme",
        "c2",
        "technical",
        ["پيامك سفارش ۱۲۳۴۵"],
        [],
        AgentState.NOT_SEEN,
        False,
        False,
        0,
    )
    views = [_view(n, rare if n in (3, 40) else common) for n in range(60)]
    statements: list[str] = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "query.db"
        asyncio.run(_written(path, views))
        connection = sqlite3.connect(path, isolation_level=None)
        connection.set_trace_callback(statements.append)
        monkeypatch.setattr(readmodel_sqlite_search, "WALK", 10)
        try:
            found = queries.tickets(
                connection,
                Scope("acme", "agent"),
                TicketFilter(terms=query_terms("سفارش پیامک 12345")),
                21,
                None,
            )
        finally:
            connection.close()
    assert [v.ticket_id for v in found] == [f"{40:032x}", f"{3:032x}"]
    assert any("MATCH" in statement for statement in statements)  # the walk of 10 was not enough


async def _written(path: Path, views: list[TicketView]) -> None:
    read_model = await SqliteReadModel(path).open()
    try:
        await read_model.apply(ProjectionBatch(views, [], len(views)))
    finally:
        await read_model.close()
