"""The MongoDB read model's pure parts: documents, filters and the counters' fold (no server).

The contract suite runs the adapter against a real server; these pin what it cannot see: ids
that cannot collide, times kept to the microsecond, and counters summed from grouped rows exactly
as the domain sums views.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ticketing_model import AgentState, Scope
from ticketing_query.adapters.readmodel_mongo_documents import (
    document_id,
    message_document,
    message_view,
    ticket_document,
    ticket_view,
)
from ticketing_query.adapters.readmodel_mongo_queries import (
    counters_of,
    counters_pipeline,
    list_filter,
)
from ticketing_query.application.ports import Cursor, TicketFilter
from ticketing_query.bootstrap import read_model_from_url
from ticketing_query.domain.counters import total
from ticketing_query.domain.view import AGENT_SIDE, CUSTOMER_SIDE, MessageView, TicketView

AT = datetime(2025, 6, 20, 10, 35, 12, 345678, tzinfo=UTC)


def view(**changes: object) -> TicketView:
    fields: dict[str, object] = {
        "brand_id": "acme",
        "ticket_id": "5f0c2b8e9d4a4f7b8c1e2d3f4a5b6c7d",
        "tracking_code": "14030217",
        "title": "خطا در ارسال پیامک انبوه",
        "department": "technical",
        "request_type": "technical",
        "priority": "normal",
        "customer_id": "cust-1",
        "created_at": AT,
        "last_activity_at": AT,
        "agent_state": AgentState.ANSWERED,
        "customer_read": True,
        "agent_unread": 0,
        "customer_unread": 2,
        "assignee_id": "agent-7",
        "version": 4,
        "position": 41,
        "public_words": frozenset({"پیامک", "انبوه", "14030217"}),
        "internal_words": frozenset({"اپراتور", "پیامک"}),
    }
    fields.update(changes)
    return TicketView(**fields)  # type: ignore[arg-type]


def test_a_view_comes_back_from_its_document_unchanged_to_the_microsecond() -> None:
    original = view()
    document = ticket_document(original)
    assert ticket_view(document) == original
    assert document["code"] == original.code == 8
    assert document["agent_words"] == sorted(original.public_words | original.internal_words)


def test_a_message_comes_back_from_its_document_unchanged() -> None:
    message = MessageView("acme", "t1", "m1", "agent-1", "agent", "مشکل برطرف شد", True,
                          ("att-1", "att-2"), AT, 7)  # fmt: skip
    assert message_view(message_document(message)) == message


@given(st.text(), st.text(), st.text(), st.text())
def test_ids_of_different_brands_and_tickets_never_collide(
    brand_a: str, id_a: str, brand_b: str, id_b: str
) -> None:
    if (brand_a, id_a) != (brand_b, id_b):
        assert document_id(brand_a, id_a) != document_id(brand_b, id_b)


def test_a_department_outside_the_agent_scope_or_an_empty_scope_matches_nothing() -> None:
    finance_only = Scope("acme", AGENT_SIDE, departments=frozenset({"finance"}))
    assert list_filter(finance_only, TicketFilter(department="technical"), None) is None
    assert list_filter(finance_only, TicketFilter(department="finance"), None) == {
        "brand_id": "acme",
        "department": "finance",
    }
    nobody = Scope("acme", CUSTOMER_SIDE, customer_ids=frozenset())
    assert list_filter(nobody, TicketFilter(), None) is None
    assert counters_pipeline(nobody) is None


def test_a_search_term_that_is_no_word_matches_nothing_and_an_empty_one_everything() -> None:
    scope = Scope("acme", AGENT_SIDE)
    assert list_filter(scope, TicketFilter(terms=('پیامک"',)), None) is None
    assert list_filter(scope, TicketFilter(terms=("",)), None) == {"brand_id": "acme"}


def test_each_side_searches_its_own_words_by_anchored_prefix() -> None:
    terms = TicketFilter(terms=("پیام", "1200"))
    customer = list_filter(Scope("acme", CUSTOMER_SIDE), terms, None)
    agent = list_filter(Scope("acme", AGENT_SIDE), terms, None)
    assert customer is not None
    assert agent is not None
    assert customer["$and"] == [{"words": {"$regex": "^پیام"}}, {"words": {"$regex": "^1200"}}]
    assert [next(iter(c)) for c in agent["$and"]] == ["agent_words", "agent_words"]


def test_the_cursor_excludes_only_the_ties_already_returned() -> None:
    found = list_filter(Scope("acme", AGENT_SIDE), TicketFilter(), Cursor(AT, "t5"))
    assert found is not None
    at = found["last_activity_at"]["$lte"]
    assert found["$nor"] == [{"last_activity_at": at, "ticket_id": {"$gte": "t5"}}]


@pytest.mark.parametrize("side", [CUSTOMER_SIDE, AGENT_SIDE])
def test_counters_from_grouped_rows_equal_the_domain_sum_of_the_views(side: str) -> None:
    states = itertools.product(AgentState, (False, True), (False, True))
    views = [
        view(
            ticket_id=f"t{n}",
            agent_state=state,
            customer_read=read,
            closed=closed,
            agent_unread=n % 3,
            customer_unread=n % 4,
        )
        for n, (state, read, closed) in enumerate(states)
    ]
    unread = "customer_unread" if side == CUSTOMER_SIDE else "agent_unread"
    rows: dict[tuple[int, bool, int], int] = {}
    for document in map(ticket_document, views):  # what `$group` does on the server
        key = (document["code"], document["closed"], document[unread])
        rows[key] = rows.get(key, 0) + 1
    grouped = [
        {"_id": {"code": c, "closed": closed, "unread": u}, "tickets": n}
        for (c, closed, u), n in rows.items()
    ]
    assert counters_of(grouped, side) == total(views, side)


def test_a_mongodb_url_makes_a_mongodb_read_model_without_connecting() -> None:
    read_model = read_model_from_url("mongodb://127.0.0.1:1/ticketing_query")
    assert type(read_model).__name__ == "MongoReadModel"
