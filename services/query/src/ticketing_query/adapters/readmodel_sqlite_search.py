# ruff: noqa: S608 - SQL is assembled from this package's constant names; values are always bound
"""Search in the SQLite read model: a page of the caller's tickets whose words start with every
term, at a cost that does not grow with the brand. Run inside one read transaction (a snapshot).

Two plans, chosen by what the first one finds:

1. **Walk.** The caller's list in list order (its index, as for a page without a search), for at
   most `WALK` tickets, each tested on its stored words: `instr(' ' || words, ' ' || term)` is
   "some word starts with the term", exactly what the FTS prefix query `"term"*` matches: the
   words are whole `\\w` runs joined by spaces, already case-folded by the domain's
   normalisation, and the terms get the `ascii` tokenizer's folding of A-Z here. A term held
   by more than about one in a hundred of the caller's tickets fills the page within the walk,
   and a caller with at most `WALK` tickets (a customer, a small department) is
   answered by it whatever the term: the walk then covered the whole scope.
2. **Index.** Otherwise the terms are rare among the caller's tickets. The FTS index gives the
   tickets holding the term that matched fewest tickets of the walk (with several terms); the
   other terms are tested on the words, and the few found are sorted. Its cost grows with how
   many tickets hold that term, not with the brand.

The plan before (one statement: the FTS match materialised whole, then the list index walked
until `limit` members were found) grew with the brand in both halves. Both plans give exactly
what it gave; a property test compares them over generated Persian data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ticketing_query.domain.view import TicketView

from .readmodel_sqlite_schema import T_VIEW_COLUMNS, view_of

#: How many of the caller's tickets the walk tests before it turns to the FTS index.
WALK = 2_000

_FROM_EDGE = "(t.last_activity_at, t.ticket_id) >= (?, ?)"  # the walk's last ticket, and before
_ORDER = " ORDER BY t.last_activity_at DESC, t.ticket_id DESC"
# The words are read from the FTS table's own content table (`<table>_content`: `id` = rowid,
# `c0`, `c1` = the columns in order; FTS5's documented file format), as a plain table: reading a
# row through the virtual table costs ~6x more (~7 µs against ~1.2), which the walk pays per row.
_WORDS = f"SELECT {T_VIEW_COLUMNS}, w.c0, w.c1"
_CONTENT = "JOIN ticket_words_content AS w ON w.id = t.row_id"
_WALKED = f"{_WORDS} FROM tickets AS t {_CONTENT}"
#: CROSS JOIN keeps the FTS match as the outer loop: the matching tickets are few.
_INDEXED = (
    f"{_WORDS} FROM (SELECT rowid AS r FROM ticket_words WHERE ticket_words MATCH ?) AS m"
    f" CROSS JOIN tickets AS t ON t.row_id = m.r {_CONTENT}"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def search(
    connection: sqlite3.Connection,
    clauses: Sequence[str],
    params: Sequence[Any],
    terms: Sequence[str],
    *,
    customer_side: bool,
    limit: int,
) -> list[TicketView]:
    """Up to `limit` of the tickets `clauses` admit (over `tickets AS t`) whose words start with
    every term (whole `\\w` runs), in list order. The customer side matches public words only."""
    folded = [term.translate(_ASCII_LOWER) for term in terms]
    where = " AND ".join(clauses)
    connection.execute("BEGIN")  # one snapshot for every statement below
    try:
        edge = connection.execute(
            f"SELECT t.last_activity_at, t.ticket_id FROM tickets AS t WHERE {where}{_ORDER}"
            " LIMIT 1 OFFSET ?",
            (*params, WALK - 1),
        ).fetchone()
        tests, tested = _tests(folded, customer_side=customer_side)
        bound, bounds = ("", ()) if edge is None else (f" AND {_FROM_EDGE}", tuple(edge))
        walked = connection.execute(
            f"{_WALKED} WHERE {where} AND {tests}{bound}{_ORDER} LIMIT ?",
            (*params, *tested, *bounds, limit),
        ).fetchall()
        if edge is None or len(walked) >= limit:
            return [view_of(row) for row in walked]
        driver = _rarest(connection, where, params, folded, edge, customer_side=customer_side)
        others = [term for term in folded if term != driver]
        tests, tested = _tests(others, customer_side=customer_side)
        found = connection.execute(
            f"{_INDEXED} WHERE {where} AND {tests}{_ORDER} LIMIT ?",
            (match_expression([driver], customer_side=customer_side), *params, *tested, limit),
        ).fetchall()
        return [view_of(row) for row in found]
    finally:
        connection.execute("COMMIT")


def match_expression(terms: Sequence[str], *, customer_side: bool) -> str:
    """FTS5 query: every term as a word or a word's start; the customer side's public only."""
    phrases = " AND ".join('"' + term.replace('"', '""') + '"*' for term in terms)
    return f"{{public_words}} : ({phrases})" if customer_side else phrases


def _tests(terms: Sequence[str], *, customer_side: bool) -> tuple[str, list[str]]:
    """SQL true when every term starts a word of the ticket's (side's) words; its parameters."""
    if not terms:
        return "1", []
    # c0: public_words, c1: internal_words; a space between keeps the two columns' words apart.
    words = "' ' || w.c0" if customer_side else "' ' || w.c0 || ' ' || w.c1"
    return " AND ".join([f"instr({words}, ' ' || ?) > 0"] * len(terms)), list(terms)


def _rarest(
    connection: sqlite3.Connection,
    where: str,
    params: Sequence[Any],
    terms: list[str],
    edge: tuple[Any, ...],
    *,
    customer_side: bool,
) -> str:
    """The term that matched fewest of the walked tickets (the first of equals)."""
    if len(terms) == 1:
        return terms[0]
    counted = []
    tested: list[str] = []
    for term in terms:
        test, values = _tests([term], customer_side=customer_side)
        counted.append(f"sum({test})")
        tested += values
    counts = connection.execute(
        f"SELECT {', '.join(counted)} FROM tickets AS t {_CONTENT} WHERE {where} AND {_FROM_EDGE}",
        (*tested, *params, *edge),
    ).fetchone()
    return min(zip(counts, range(len(terms)), terms, strict=True))[2]
