"""The MongoDB read model's queries as plain data: filters, sorts, the counters pipeline, and
how the pipeline's rows become `Counters`. Pure; the adapter sends them.

Lists: the scope's fields first (brand, then its customers or departments), so one of the
(brand, customer | department, last activity, ticket id) indexes serves both the filter and the
order; the keyset cursor is a range on last activity plus an exclusion of the ties already
returned, which keeps the index bounds tight where an `$or` of two ranges would not.

Search: each term is an anchored, case-sensitive regular expression on a sorted array of
normalised words (`words` for the customer side, `agent_words` for the agent side), which
MongoDB answers from the multikey (brand, words) index as a prefix range.

Counters: one `$match` + `$group` over the scope's ticket documents, counting the tickets per
(status code, closed, the side's unread message count); whether a ticket is unread on a side
follows from its status code (STATES.md), and the unread messages are each row's count times
its unread count, so nothing else is needed. Grouping by the unread count rather than summing it
keeps the stage to one accumulator: FerretDB 1.24 returns 0 for every accumulator of a `$group`
after the first. The rows are few (8 codes x 2 x the distinct unread counts), and on MongoDB
all the keys are in the (brand, department | customer, code, closed, unread) indexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ticketing_model import CODES, AgentState, Scope, halves_of

from ticketing_query.application.ports import Cursor, TicketFilter
from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import CUSTOMER_SIDE

from .readmodel_mongo_documents import Document, micros

#: The list order: last activity newest first, then ticket id descending.
LIST_ORDER = [("last_activity_at", -1), ("ticket_id", -1)]

_WORD = re.compile(r"\w+")  # what `search.tokens` makes words of


def scope_filter(scope: Scope) -> Document | None:
    """The tickets a caller of `scope` may see; None when it may see none."""
    found: Document = {"brand_id": scope.brand_id}
    if scope.side == CUSTOMER_SIDE:
        allowed, field = scope.customer_ids, "customer_id"
    else:
        allowed, field = scope.departments, "department"
    if allowed is not None:
        if not allowed:
            return None
        found[field] = next(iter(allowed)) if len(allowed) == 1 else {"$in": sorted(allowed)}
    return found


def list_filter(scope: Scope, where: TicketFilter, after: Cursor | None) -> Document | None:
    """The filter of a list page; None when nothing can match."""
    found = scope_filter(scope)
    if found is None:
        return None
    customer_side = scope.side == CUSTOMER_SIDE
    if where.statuses:
        found["code"] = {"$in": sorted(where.statuses)}
    if where.unread is not None:
        # The side's own half (API.md): exactly what its counters count as unread.
        if customer_side:
            found["customer_read"] = not where.unread
        else:
            not_seen = AgentState.NOT_SEEN.value
            found["agent_state"] = not_seen if where.unread else {"$ne": not_seen}
    if where.department is not None:
        if not customer_side and where.department not in (scope.departments or {where.department}):
            return None  # a department outside the scope's
        found["department"] = where.department
    for field, value in (("priority", where.priority), ("assignee_id", where.assignee)):
        if value is not None:
            found[field] = value
    if where.closed is not None:
        found["closed"] = where.closed
    terms = [term for term in where.terms if term]  # "" starts every word: no restriction
    if terms:
        if not all(_WORD.fullmatch(term) for term in terms):
            return None  # stored words are runs of word characters: nothing else can match
        field = "words" if customer_side else "agent_words"
        found["$and"] = [{field: {"$regex": "^" + re.escape(term)}} for term in terms]
    if after is not None:
        at = micros(after.last_activity_at)
        found["last_activity_at"] = {"$lte": at}
        found["$nor"] = [{"last_activity_at": at, "ticket_id": {"$gte": after.ticket_id}}]
    return found


def counters_pipeline(scope: Scope) -> list[Document] | None:
    """The aggregation that sums the scope's tickets; None when the scope sees none."""
    match = scope_filter(scope)
    if match is None:
        return None
    unread = "$customer_unread" if scope.side == CUSTOMER_SIDE else "$agent_unread"
    key = {"code": "$code", "closed": "$closed", "unread": unread}
    return [{"$match": match}, {"$group": {"_id": key, "tickets": {"$sum": 1}}}]


def counters_of(rows: Iterable[Mapping[str, Any]], side: str) -> Counters:
    """The counters from the pipeline's rows, as `counters.total` would count the tickets."""
    total = open_ = unread_tickets = unread_messages = 0
    by_status = dict.fromkeys(CODES, 0)
    for row in rows:
        key, tickets = row["_id"], int(row["tickets"])
        code, closed, unread_count = int(key["code"]), bool(key["closed"]), int(key["unread"])
        agent_state, customer_read = halves_of(code)
        unread = not customer_read if side == CUSTOMER_SIDE else agent_state is AgentState.NOT_SEEN
        total += tickets
        open_ += 0 if closed else tickets
        unread_tickets += tickets if unread else 0
        unread_messages += tickets * unread_count
        by_status[code] += tickets
    return Counters(total, open_, unread_tickets, unread_messages, by_status)
